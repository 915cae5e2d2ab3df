"""What the engine keeps of customers once their outcomes are final: per-second counts, the
slow tails of the judged windows and the orders they placed.

A customer's outcome is final once its timeout has passed; from then on the run needs only
these, so the customer's sample can be dropped and memory stays bounded by the window.
"""

from __future__ import annotations

import copy

import numpy as np

from chaoscli.sim.customers import Customers
from chaoscli.sim.metrics import per_second_p99
from chaoscli.sim.orders import Ledger, OrderBook
from chaoscli.sim.results import CAUSES, F_NONE, CustomerSeconds
from chaoscli.sim.tails import Tail
from chaoscli.sim.world import World


class Harvest:
    """Per-second counts, tails and orders of the customers harvested so far."""

    def __init__(
        self,
        world: World,
        rate: np.ndarray,
        per_second: int,
        patience_s: float,
        drain_rps: float,
        windows: list[tuple[int, int]],
    ) -> None:
        self.per_second = per_second
        self.seconds = len(rate)
        self.counts = CustomerSeconds.zeros(self.seconds, patience_s)
        self.book = OrderBook(world, self.seconds, drain_rps)
        self.tails: dict[tuple[int, int], Tail] = {}
        self.done = 0  # seconds harvested
        for a, b in [(0, self.seconds), *windows]:
            self.track(a, b, rate)

    def track(self, a: int, b: int, rate: np.ndarray) -> None:
        """Keep the slow tail of seconds [a, b), unless kept already; a window that ends
        earlier than one kept from the same start is that one cut short."""
        if (a, b) in self.tails:
            return
        longer = [k for k in self.tails if k[0] == a and k[1] > b and a < self.done]
        if longer:
            tail = self.tails.pop(longer[0])
            tail.cut(b)
            self.tails[(a, b)] = tail
            return
        if a < self.done:
            raise ValueError(f"the window [{a}, {b}) s starts before the seconds still held")
        s = self.per_second
        self.tails[(a, b)] = Tail(a, b, 1.25 * float(rate[a:b].sum()), (b - a) * s)

    def retrack(self, rate: np.ndarray) -> None:
        """The traffic changed from here on: the tails' bounds follow it."""
        for (a, b), tail in self.tails.items():
            tail.bound_weight = max(tail.bound_weight, 1.25 * float(rate[a:b].sum()))

    def take(self, cust: Customers, seconds: int) -> None:
        """Harvest the first ``seconds`` whole seconds of customers held (final outcomes)."""
        s = self.per_second
        first, n = self.done, seconds * s
        rows = slice(first, first + seconds)
        ok = cust.ok[:n].reshape(seconds, s)
        latency = cust.latency[:n].reshape(seconds, s)
        is_order = cust.is_order[:n].reshape(seconds, s)
        counts = self.counts
        counts.ok[rows] = ok.sum(axis=1)
        counts.retried_ok[rows] = (cust.retried[:n].reshape(seconds, s) & ok).sum(axis=1)
        counts.orders[rows] = is_order.sum(axis=1)
        counts.orders_ok[rows] = (is_order & ok).sum(axis=1)
        counts.slow[rows] = (ok & (latency > counts.patience_s)).sum(axis=1)
        cause = np.where(ok, F_NONE, cust.cause[:n].reshape(seconds, s)).astype(np.int64)
        flat = np.arange(seconds)[:, None] * len(CAUSES) + cause
        counts.causes[rows] = np.bincount(flat[~ok], minlength=seconds * len(CAUSES)).reshape(
            seconds, len(CAUSES)
        )
        counts.p99_s[rows] = per_second_p99(latency, ok)
        second = np.repeat(np.arange(first, first + seconds, dtype=np.int32), s)
        served = cust.ok[:n]
        for tail in self.tails.values():
            if tail.start < first + seconds and tail.end > first:
                tail.add(
                    cust.latency[:n][served],
                    cust.weight[:n][served],
                    cust.retried[:n][served],
                    second[served],
                )
        acked = ~np.isnan(cust.ack_t[:n])
        if acked.any():
            index = cust.offset + np.flatnonzero(acked)
            self.book.add(cust.ack_t[:n][acked], index, cust.weight[:n][acked], second[acked])
        self.done += seconds
        self.book.drain(self.done)

    def final(
        self, cust: Customers | None, seconds: int, keep: bool = True
    ) -> tuple[CustomerSeconds, Ledger, dict]:
        """The figures with the first ``seconds`` held seconds harvested too, leaving this
        harvest as it is (a run may go on after a look at its figures so far), or, once
        the run is over (``keep=False``), taking them into this harvest without a copy."""
        out = copy.deepcopy(self, {id(self.book.world): self.book.world}) if keep else self
        if cust is not None and seconds > 0:
            out.take(cust, seconds)
        return out.counts, out.book.finish(), out.tails
