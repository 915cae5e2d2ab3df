"""Per-second accounting of a batch of attempts: its weights added into the (zones, seconds)
series by the second each attempt finished in, and what the load balancer itself answered."""

from __future__ import annotations

import copy

import numpy as np

from chaoscli.sim.attempt import Outcome
from chaoscli.sim.engine_state import Route
from chaoscli.sim.results import (
    F_BLACKHOLE,
    F_DB,
    F_GRAY,
    F_HUNG,
    F_NO_TARGET,
    F_NONE,
    F_OVERLOAD,
    F_REFUSED,
    cause_set,
)
from chaoscli.sim.scenario import Scenario

BY_TARGET = cause_set(F_NONE, F_DB, F_GRAY, F_OVERLOAD)  # the target's own answer
LB_OWN = cause_set(F_REFUSED, F_NO_TARGET)  # the load balancer's 502 and 503


class Tally:
    """Adds a batch's weights into (zones, seconds) series by one flat index per attempt: a
    bincount over the seconds the batch finishes in instead of a scattered add per series."""

    def __init__(self, zone: np.ndarray, second: np.ndarray) -> None:
        self.lo = int(second.min()) if second.size else 0
        self.span = int(second.max()) + 1 - self.lo if second.size else 0
        self.second = second - self.lo
        self.flat = zone * self.span + self.second

    def by(self, zone: np.ndarray) -> Tally:
        """The same attempts and seconds, by another zone of each."""
        out = copy.copy(self)
        out.flat = zone * self.span + self.second
        return out

    def add(self, series: np.ndarray, weight: np.ndarray, which: np.ndarray) -> None:
        """Add ``weight`` of the attempts ``which`` to ``series``."""
        if self.span:
            counts = np.bincount(self.flat, weight * which, series.shape[0] * self.span)
            series[:, self.lo : self.lo + self.span] += counts.reshape(-1, self.span)

    def add_each(self, *pairs: tuple[np.ndarray, np.ndarray]) -> None:
        """Add each weight to its (zones, seconds) series, in one bincount: each bin sums
        the same weights in the same order as a bincount of its own would."""
        if not self.span:
            return
        size = pairs[0][0].shape[0] * self.span
        flat = np.concatenate([self.flat + k * size for k in range(len(pairs))])
        weights = np.concatenate([weight for _, weight in pairs])
        counts = np.bincount(flat, weights, size * len(pairs)).reshape(len(pairs), -1, self.span)
        for (series, _), part in zip(pairs, counts, strict=True):
            series[:, self.lo : self.lo + self.span] += part

    def add_all(self, series: np.ndarray, weight: np.ndarray) -> None:
        """Add ``weight`` of every attempt to a (seconds,) series."""
        if self.span:
            counts = np.bincount(self.second, weight, self.span)
            series[self.lo : self.lo + self.span] += counts


def lb_answers(result: Outcome, route: Route, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Which attempts the load balancer itself answered with a 5xx, and which the client closed.

    A refused target (502), no target (503) and a target the node cannot reach within its
    connect timeout (504) are the ALB's own errors; a client whose request timeout runs out
    first, on a hung, blackholed or slow target, closes the request (460), no ELB 5xx; an
    attempt to a dark node never reached the ALB at all.
    """
    node_ok, cause = route.node_ok, result.cause
    gateway = scenario.model.lb_connect_timeout_s <= scenario.clients.request_timeout_s
    own = LB_OWN[cause] | ((cause == F_BLACKHOLE) & gateway)
    given_up = result.too_slow | (cause == F_HUNG) | ((cause == F_BLACKHOLE) & (not gateway))
    return node_ok & own, node_ok & given_up
