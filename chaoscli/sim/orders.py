"""The order ledger: every acknowledged order, when it reached the primary, and what was lost.

Each sampled checkout that a customer saw acknowledged stands for rate / samples_per_s
orders. Without a queue an order is committed when it is acknowledged; with the order queue
it is committed first in, first out, as workers drain the queue at ``order_drain_rps``
while the primary takes writes. An order committed inside a loss window (asynchronous
replication before a replica promotion) is not on the primary at the end.

The ledger is kept as the run goes: orders come in once their customers' outcomes are final
and the queue is drained second by second, so only the orders still queued are held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaoscli.sim.world import World

_HELD = ("ack", "index", "weight", "placed", "cum_in")


@dataclass(frozen=True)
class Ledger:
    """Orders over the run, per second."""

    lost_weight: np.ndarray  # (seconds,) orders lost, by the second of the loss
    commit_delay_s: np.ndarray  # (seconds,) longest ack-to-commit wait of orders placed then
    queue_depth: np.ndarray  # (seconds,) orders waiting in the queue at the end of each second
    longest_commit_delay_s: float
    pending_at_end: float  # orders still queued (durable, not lost) when the run ends


class OrderBook:
    """Acknowledged orders in, committed (or lost) orders out, one second at a time."""

    def __init__(self, world: World, seconds: int, drain_rps: float) -> None:
        self.seconds, self.drain_rps = seconds, drain_rps
        self.follow(world)
        self.lost_weight = np.zeros(seconds)
        self.delay = np.full(seconds, -np.inf)
        self.depth = np.zeros(seconds)
        self.longest = -np.inf
        # acknowledged, not yet committed: ack time, run-wide index, weight, arrival second and
        # the queue's cumulative intake up to the order (NaN until it is counted in)
        self.ack = np.zeros(0)
        self.index = np.zeros(0, dtype=np.int64)
        self.weight = np.zeros(0)
        self.placed = np.zeros(0, dtype=np.int64)
        self.cum_in = np.zeros(0)
        self.counted = 0.0  # the queue's cumulative intake so far
        self.committed = 0.0  # the cumulative intake up to the last order committed
        self.served = 0.0
        self.done = 0  # seconds drained

    def follow(self, world: World) -> None:
        """Go on under a changed world (a run resumed under more of the control plane): its
        database and loss windows from now on; the seconds drained are the same in both."""
        self.world = world
        ticks_per_s = round(1 / world.tick_s)
        self.writable = (
            np.asarray(world.db_writable[: self.seconds * ticks_per_s])
            .reshape(self.seconds, ticks_per_s)
            .mean(axis=1)
        )

    def add(
        self, ack_t: np.ndarray, index: np.ndarray, weight: np.ndarray, second: np.ndarray
    ) -> None:
        """Acknowledged orders whose customers' outcomes are final."""
        if not self.world.order_queue:
            self._record(ack_t, ack_t, second, weight)
            return
        self.ack = np.concatenate([self.ack, ack_t])
        self.index = np.concatenate([self.index, index])
        self.weight = np.concatenate([self.weight, weight])
        self.placed = np.concatenate([self.placed, second])
        self.cum_in = np.concatenate([self.cum_in, np.full(ack_t.size, np.nan)])

    def drain(self, until: int) -> None:
        """Drain the queue through the seconds before ``until``; every order acknowledged by
        then must be in."""
        until = min(until, self.seconds)
        if until <= self.done or not self.world.order_queue:
            self.done = max(self.done, until)
            return
        order = np.lexsort((self.index, self.ack))
        for name in _HELD:
            setattr(self, name, getattr(self, name)[order])
        fresh = np.flatnonzero(np.isnan(self.cum_in) & (self.ack <= until))
        if fresh.size:
            a, b = int(fresh[0]), int(fresh[-1]) + 1
            sums = np.cumsum(np.concatenate([[self.counted], self.weight[a:b]]))[1:]
            self.cum_in[a:b] = sums
            self.counted = float(sums[-1])
        for s in range(self.done, until):
            arrived = int(np.searchsorted(self.ack, s + 1, side="right"))
            backlog = float(self.cum_in[arrived - 1]) if arrived else self.committed
            self.served = min(backlog, self.served + self.drain_rps * self.writable[s])
            self.depth[s] = backlog - self.served
            due = np.flatnonzero(self.cum_in - 1e-9 <= self.served)
            if due.size:
                n = int(due[-1]) + 1
                when = np.maximum(float(s), np.floor(self.ack[:n])) + 0.5
                when[when > self.seconds] = np.nan
                self.committed = float(self.cum_in[n - 1])
                self._record(self.ack[:n], when, self.placed[:n], self.weight[:n])
                for name in _HELD:
                    setattr(self, name, getattr(self, name)[n:])
        self.done = until

    def _record(
        self, ack: np.ndarray, commit: np.ndarray, placed: np.ndarray, weight: np.ndarray
    ) -> None:
        """Orders committed at ``commit`` (NaN: never): their wait and what was lost."""
        done = np.where(np.isnan(commit), float(self.seconds), commit)
        np.maximum.at(self.delay, placed, done - ack)
        if self.world.order_queue:
            delays = commit - ack
            if np.isfinite(delays).any():
                self.longest = max(self.longest, float(np.nanmax(delays)))
        lost_at = np.full(ack.size, np.nan)
        for a, b in self.world.loss_windows:
            lost_at[(commit > a) & (commit <= b)] = b
        at = np.floor(lost_at)
        hit = np.isfinite(at) & (at >= 0) & (at < self.seconds)
        if hit.any():
            when = at[hit].astype(np.int64)
            lo = int(when.min())
            self.lost_weight[lo : int(when.max()) + 1] += np.bincount(when - lo, weight[hit])

    def finish(self) -> Ledger:
        """The ledger once every second is drained: orders still queued are never committed."""
        self.drain(self.seconds)
        if self.ack.size:
            self._record(self.ack, np.full(self.ack.size, np.nan), self.placed, self.weight)
            for name in _HELD:
                setattr(self, name, getattr(self, name)[:0])
        pending = float(self.depth[-1]) if self.world.order_queue and self.seconds else 0.0
        longest = self.longest if np.isfinite(self.longest) else 0.0
        return Ledger(self.lost_weight, self.delay, self.depth, max(0.0, longest), pending)
