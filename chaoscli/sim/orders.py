"""The order ledger: every acknowledged order, when it reached the primary, and what was lost.

Each sampled checkout that a customer saw acknowledged stands for rate / samples_per_s
orders. Without a queue an order is committed when it is acknowledged; with the order queue
it is committed first in, first out, as workers drain the queue at ``order_drain_rps``
while the primary takes writes. An order committed inside a loss window (asynchronous
replication before a replica promotion) is not on the primary at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaoscli.sim.world import World


@dataclass(frozen=True)
class Ledger:
    """Orders over the run, per sample and per second."""

    commit_t: np.ndarray  # (samples,) when the order reached the primary (NaN: not yet/never)
    lost: np.ndarray  # (samples,) acknowledged but not on the primary at the end
    lost_at: np.ndarray  # (samples,) when the loss happened (the primary's loss), else NaN
    queue_depth: np.ndarray  # (seconds,) orders waiting in the queue at the end of each second
    longest_commit_delay_s: float
    pending_at_end: float  # orders still queued (durable, not lost) when the run ends


def ledger(
    w: World, rate: np.ndarray, samples_per_s: int, ack_t: np.ndarray, drain_rps: float
) -> Ledger:
    """Commit times, losses and queue depth for a run."""
    acked = ~np.isnan(ack_t)
    secs = len(rate)
    weight = np.repeat(rate / samples_per_s, samples_per_s)
    commit = ack_t.copy()
    depth = np.zeros(secs)
    pending = 0.0
    longest = 0.0
    if w.order_queue:
        order = np.argsort(np.where(acked, ack_t, np.inf), kind="stable")
        order = order[acked[order]]
        cum_in = np.cumsum(weight[order])
        ticks_per_s = round(1 / w.tick_s)
        writable = w.db_writable[: secs * ticks_per_s].reshape(secs, ticks_per_s).mean(axis=1)
        arrived = np.searchsorted(ack_t[order], np.arange(1, secs + 1), side="right")
        backlog = np.concatenate([[0.0], cum_in])[arrived]
        served = np.zeros(secs)
        done = 0.0
        for s in range(secs):
            done = min(backlog[s], done + drain_rps * writable[s])
            served[s] = done
        depth = backlog - served
        # FIFO: the k-th order commits in the first second whose cumulative drain reaches it
        when = np.searchsorted(served, cum_in - 1e-9, side="left").astype(float)
        start = np.floor(ack_t[order])
        when = np.maximum(when, start) + 0.5
        when[when > secs] = np.nan
        commit[order] = when
        delays = when - ack_t[order]
        longest = float(np.nanmax(delays)) if np.isfinite(delays).any() else 0.0
        pending = float(depth[-1]) if secs else 0.0
    lost = np.zeros(ack_t.size, dtype=bool)
    lost_at = np.full(ack_t.size, np.nan)
    for a, b in w.loss_windows:
        hit = acked & (commit > a) & (commit <= b)
        lost |= hit
        lost_at[hit] = b
    return Ledger(commit, lost, lost_at, depth, max(0.0, longest), pending)
