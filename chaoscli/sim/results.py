"""What a simulated run gives back: per-sample outcomes, per-second series, failure causes.

Kept apart from the engine so that metrics, the journal and a live view can read results
without knowing how they were made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chaoscli.sim.orders import Ledger
from chaoscli.sim.world import World

# Why an attempt failed
(
    F_NONE,
    F_CONNECT,
    F_REFUSED,
    F_BLACKHOLE,
    F_HUNG,
    F_NO_TARGET,
    F_OVERLOAD,
    F_SLOW,
    F_DB,
    F_GRAY,
) = range(10)


def cause_set(*codes: int) -> np.ndarray:
    """A lookup table over cause codes: ``table[cause]`` says which attempts have one of
    ``codes`` (one indexing instead of a set test per batch)."""
    table = np.zeros(len(CAUSES), dtype=bool)
    table[list(codes)] = True
    return table


CAUSES = (
    "none",
    "connect timeout",
    "refused (502)",
    "blackhole (504)",
    "hung (timeout)",
    "no target (503)",
    "overload",
    "too slow",
    "database unavailable",
    "gray failure (500)",
)


@dataclass
class RunResult:
    """Per-sample outcomes and per-second series of one simulated run."""

    world: World
    samples_per_s: int
    rate: np.ndarray  # (seconds,) offered requests/s
    ok: np.ndarray  # (samples,) customer saw success
    latency_s: np.ndarray  # (samples,) time to success, or to giving up
    retried: np.ndarray  # (samples,) needed more than one attempt
    attempts: np.ndarray  # (seconds,) attempts sent (retry amplification)
    served: np.ndarray  # (zones, seconds) successful requests per target zone
    load: np.ndarray  # (zones, seconds) requests/s reaching up targets
    utilisation: np.ndarray  # (zones, seconds) offered load / capacity per instance
    causes: np.ndarray  # (samples,) failure cause of visible errors
    is_order: np.ndarray  # (samples,) a checkout (an order write) rather than browsing
    ack_t: np.ndarray  # (samples,) when an order was acknowledged (NaN if never)
    ledger: Ledger  # commits, losses and the order queue
    queue_depth: np.ndarray  # (seconds,) orders waiting in the order queue
    lb_errors: np.ndarray  # (seconds,) 502/503/504 the load balancer itself answered

    @property
    def seconds(self) -> int:
        """Length of the run in whole seconds."""
        return len(self.rate)

    def per_second(self, values: np.ndarray) -> np.ndarray:
        """Mean of a per-sample quantity within each second."""
        return values.reshape(self.seconds, self.samples_per_s).mean(axis=1)


@dataclass(frozen=True)
class RunSoFar:
    """The figures of a run up to now, each final for the seconds done; what CloudWatch's
    series and the stop conditions read while the run goes on."""

    world: World
    samples_per_s: int
    seconds_done: int
    rate: np.ndarray  # (seconds,) offered requests/s
    attempts: np.ndarray  # (seconds,) attempts sent
    served: np.ndarray  # (zones, seconds) successes per target zone, by finishing second
    lb_errors: np.ndarray  # (seconds,) 502/503/504 the load balancer itself answered
    requests: np.ndarray  # (zones, seconds) attempts that reached a node, by its zone
    elb_5xx: np.ndarray  # (zones, seconds) 502/503/504 a node answered, by finishing second
    client_closed: np.ndarray  # (zones, seconds) given up by the client first (460)
    answered: np.ndarray  # (zones, seconds) attempts a target answered, by finishing second
    response_s: np.ndarray  # (zones, seconds) the time those took at the target, summed
    arrival: np.ndarray  # (samples,) when each customer sent its first attempt
    ok: np.ndarray  # (samples,) customer saw success
    latency_s: np.ndarray  # (samples,) time to success, or to giving up (so far)
    settled: np.ndarray  # (samples,) the customer's outcome is known
    patience_s: float  # the customer's timeout: every outcome is known this long after arrival

    @property
    def seconds(self) -> int:
        """Length of the run in whole seconds."""
        return len(self.rate)


@dataclass(frozen=True)
class SecondStats:
    """One virtual second as it ends, for a live view (attempts, not final outcomes)."""

    t: int
    offered: float
    attempts: float
    served: dict[str, float]
    utilisation: dict[str, float]
    db_writable: bool
    failed: dict[str, float] = field(default_factory=dict)  # by the client's node zone
