"""What the fast engine keeps between seconds: the per-second series, each zone's backlog and
the clients' retry budget (the sampled customers are in :mod:`chaoscli.sim.customers`).

Kept as plain dataclasses so that every piece of state has one place where it is created and
a name that says what it is; the engine's steps read and update them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from chaoscli.sim.retry import ClientPolicy


class Route(NamedTuple):
    """Where a batch of attempts goes, computed once for the load and the attempt itself."""

    tau: np.ndarray  # when each attempt is made
    tick: np.ndarray
    zone: np.ndarray  # the load-balancer node's zone each client connects to
    node_ok: np.ndarray  # that node answers
    loaded: np.ndarray  # (attempts, zones) share of the node's requests up targets take
    cumulative: np.ndarray  # where the node sends a request, its route columns summed: the pick


class QueueState(NamedTuple):
    """Each zone's queue over one second, as the attempts made in it meet it."""

    wait: np.ndarray  # time a request waits behind the backlog, s
    drop: np.ndarray  # share of requests shed because the queue is full
    busy: np.ndarray  # probability that every worker is busy (Erlang C)
    spare: np.ndarray  # service rate left over, requests/s per instance


@dataclass
class SecondSeries:
    """Per-second figures, filled in as the seconds are simulated."""

    attempts: np.ndarray  # (seconds,) attempts sent, retries included
    served: np.ndarray  # (zones, seconds) successes per target zone, by finishing second
    failed: np.ndarray  # (zones, seconds) failed attempts per node zone, by finishing second
    lb_errors: np.ndarray  # (seconds,) failed attempts the load balancer answered (5xx)
    load: np.ndarray  # (zones, seconds) requests/s reaching up targets
    utilisation: np.ndarray  # (zones, seconds) offered load / capacity per instance
    requests: np.ndarray  # (zones, seconds) attempts that reached a node, by its zone
    elb_5xx: np.ndarray  # (zones, seconds) 502/503/504 a node answered, by finishing second
    client_closed: np.ndarray  # (zones, seconds) given up by the client first (460)
    answered: np.ndarray  # (zones, seconds) attempts a target answered, by finishing second
    response_s: np.ndarray  # (zones, seconds) the time those took at the target, summed

    @classmethod
    def zeros(cls, zones: int, seconds: int) -> SecondSeries:
        """Empty series for a run."""
        return cls(
            attempts=np.zeros(seconds),
            served=np.zeros((zones, seconds)),
            failed=np.zeros((zones, seconds)),
            lb_errors=np.zeros(seconds),
            load=np.zeros((zones, seconds)),
            utilisation=np.zeros((zones, seconds)),
            requests=np.zeros((zones, seconds)),
            elb_5xx=np.zeros((zones, seconds)),
            client_closed=np.zeros((zones, seconds)),
            answered=np.zeros((zones, seconds)),
            response_s=np.zeros((zones, seconds)),
        )


@dataclass
class Backlog:
    """Each zone's queue between seconds, per instance."""

    held: np.ndarray  # requests waiting per instance
    intra: np.ndarray  # retries within the last second beyond its estimate, requests/s

    @classmethod
    def empty(cls, zones: int) -> Backlog:
        """No backlog anywhere."""
        return cls(held=np.zeros(zones), intra=np.zeros(zones))


class RetryBudget:
    """The AWS SDK's retry token bucket, per client; every client alike (a mean field).

    A retry costs tokens (more after a timeout), a success refunds one; an empty bucket stops
    retries. The bucket is settled once a second, scaled to one client's share of the load.
    """

    def __init__(self, policy: ClientPolicy) -> None:
        self.policy = policy
        self.tokens = policy.budget_tokens
        self.spent = 0.0
        self.refund = 0.0

    def cost(self, timed_out: np.ndarray) -> np.ndarray:
        """Tokens a retry after each attempt would take."""
        return np.where(timed_out, self.policy.timeout_retry_cost, self.policy.retry_cost)

    def allows(self, draw: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """Which retries the bucket lets through (each client's bucket sampled by ``draw``)."""
        return draw * cost < self.tokens

    def charge(self, weight: np.ndarray, cost: np.ndarray, retry: np.ndarray) -> None:
        """Take the tokens of the retries made."""
        self.spent += float((weight * cost * retry).sum())

    def credit(self, weight: np.ndarray) -> None:
        """Refund the successes."""
        self.refund += self.policy.success_refund * float(weight.sum())

    def settle(self, rate: float) -> None:
        """End a second: one client's share of what was spent and refunded at ``rate``."""
        if self.policy.retry_budget and rate > 0:
            per_client = self.policy.requests_per_client_s / rate
            self.tokens += per_client * (self.refund - self.spent)
            self.tokens = min(self.policy.budget_tokens, max(0.0, self.tokens))
        self.spent = self.refund = 0.0
