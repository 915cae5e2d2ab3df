"""What a simulated run gives back: per-second series, failure causes and slow tails.

Kept apart from the engine so that metrics, the journal and a live view can read results
without knowing how they were made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from chaoscli.sim.orders import Ledger
from chaoscli.sim.tails import Tail
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
    """Per-second series of one simulated run, and the slow tails of its judged windows.

    Customers are counted in the second they arrived; attempts and answers in the second
    they finished. Nothing is kept per sampled customer: a long run holds per-second series.
    """

    world: World
    samples_per_s: int
    rate: np.ndarray  # (seconds,) offered requests/s
    attempts: np.ndarray  # (seconds,) attempts sent (retry amplification)
    served: np.ndarray  # (zones, seconds) successful requests per target zone
    load: np.ndarray  # (zones, seconds) requests/s reaching up targets
    utilisation: np.ndarray  # (zones, seconds) offered load / capacity per instance
    lb_errors: np.ndarray  # (seconds,) 502/503/504 the load balancer itself answered
    customers: CustomerSeconds  # what the customers of each second saw
    ledger: Ledger  # commits, losses and the order queue
    tails: dict[tuple[int, int], Tail]  # the slow tail of each judged window

    @property
    def seconds(self) -> int:
        """Length of the run in whole seconds."""
        return len(self.rate)

    @property
    def queue_depth(self) -> np.ndarray:
        """(seconds,) orders waiting in the order queue at the end of each second."""
        return self.ledger.queue_depth

    @property
    def success_ratio(self) -> np.ndarray:
        """(seconds,) share of each second's customers who saw success."""
        return self.customers.ok / self.samples_per_s

    def tail(self, a: int, b: int) -> Tail:
        """The slow tail of the successes of seconds [a, b)."""
        found = self.tails.get((a, b))
        if found is not None:
            return found
        whole = self.tails.get((0, self.seconds))
        if whole is None:
            raise ValueError(f"the tail of [{a}, {b}) s was not kept")
        return whole.within(a, b)


@dataclass
class CustomerSeconds:
    """Per arrival second: how many of its sampled customers saw what."""

    ok: np.ndarray  # (seconds,) served
    retried_ok: np.ndarray  # (seconds,) served after a retry
    orders: np.ndarray  # (seconds,) checkouts
    orders_ok: np.ndarray  # (seconds,) checkouts acknowledged
    slow: np.ndarray  # (seconds,) served later than ``patience_s``
    causes: np.ndarray  # (seconds, len(CAUSES)) failed, by why the last attempt failed
    p99_s: np.ndarray  # (seconds,) p99 latency of the second's successes (NaN: none)
    patience_s: float

    @classmethod
    def zeros(cls, seconds: int, patience_s: float) -> CustomerSeconds:
        """Nothing counted yet."""
        count = lambda: np.zeros(seconds, dtype=np.int64)  # noqa: E731
        return cls(
            count(),
            count(),
            count(),
            count(),
            count(),
            np.zeros((seconds, len(CAUSES)), dtype=np.int64),
            np.full(seconds, np.nan),
            patience_s,
        )


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
    known_errors: np.ndarray  # (seconds,) visible errors, by the second the customer knew
    known_latency: Callable[[int, int], np.ndarray]  # successes' latencies known in [a, b]
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
