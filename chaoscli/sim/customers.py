"""The sampled customers, drawn one block of seconds at a time and dropped once settled.

A run keeps only the customers that may still try again (those that arrived within their
timeout) and the block ahead, so memory does not grow with the run's length. The draws are
those of sampling the whole run at once: each purpose's generator is positioned where a
whole-run draw would have reached it, so a run drawn in blocks has the same customers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from chaoscli.sim.streams import Streams


@dataclass
class Customers:
    """The sampled customer requests of seconds [first, first + seconds), where they stand.

    Index ``i`` of every array is the customer ``offset + i`` of the run.
    """

    arrival: np.ndarray  # t0: when the customer sends the first attempt
    node_draw: np.ndarray  # where in the DNS answer the client's pick falls, in [0, 1)
    dns_age: np.ndarray  # how old the client's cached DNS answer is at arrival, s
    is_order: np.ndarray  # a checkout (an order write) rather than browsing
    weight: np.ndarray  # real requests/s each sample stands for
    next_at: np.ndarray  # when the next attempt is made
    next_attempt: np.ndarray  # its number, from 1
    dns_shift: np.ndarray  # how many addresses the client moved on after connect timeouts
    prev_delay: np.ndarray  # the last backoff (for decorrelated jitter)
    ok: np.ndarray  # the customer saw success
    retried: np.ndarray  # needed more than one attempt
    latency: np.ndarray  # time to success, or to giving up so far
    cause: np.ndarray  # why the last attempt failed
    ack_t: np.ndarray  # when an order was acknowledged (NaN if never)
    settled: np.ndarray  # the outcome is known: served, or no retry to come
    offset: int = 0  # the run-wide index of the first customer held

    def __len__(self) -> int:
        return int(self.arrival.size)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every per-customer array, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "offset"}

    def roll(self, count: int, block: Customers) -> None:
        """Forget the first ``count`` customers held (their figures are harvested) and
        append the next block of seconds, in one copy."""
        for name, values in self.arrays().items():
            setattr(self, name, np.concatenate([values[count:], getattr(block, name)]))
        self.offset += count


class CustomerDraws:
    """Draws the customers of a run block by block, exactly as the whole run at once would.

    Sampling the whole run draws, from the arrivals stream, every second's shuffle of the
    arrival slots, then every uniform offset, then every second's shuffle of checkout ranks
    (and alike from the DNS stream). One generator per such draw, each started where the
    whole-run draw starts it, keeps those sequences when the seconds are drawn in blocks.
    """

    def __init__(
        self,
        streams: Streams,
        seconds: int,
        per_second: int,
        dns_ttl_s: float,
        checkout_share: float,
    ) -> None:
        s = per_second
        self.per_second, self.dns_ttl_s = s, dns_ttl_s
        self.orders = round(checkout_share * s)
        self.slot_order = streams.arrivals
        self.slot_offset = _after_shuffles(streams.arrivals, seconds, s)
        self.checkout_rank = _advanced(self.slot_offset, seconds * s)
        self.pick_order = streams.dns
        self.pick_offset = _after_shuffles(streams.dns, seconds, s)
        self.dns_age = _advanced(self.pick_offset, seconds * s)

    def block(self, first: int, rate: np.ndarray) -> Customers:
        """The customers of seconds [first, first + len(rate)), each worth rate / per_second."""
        secs, s = len(rate), self.per_second
        grid = np.tile(np.arange(s, dtype=float), (secs, 1))
        slots = self.slot_order.permuted(grid, axis=1) + self.slot_offset.random(grid.shape)
        arrival = (np.arange(first, first + secs)[:, None] + slots / s).ravel()
        order_rank = self.checkout_rank.permuted(grid, axis=1).ravel()
        node_draw = (
            (self.pick_order.permuted(grid, axis=1) + self.pick_offset.random(grid.shape)) / s
        ).ravel()
        dns_age = self.dns_age.random(arrival.size) * self.dns_ttl_s
        n = arrival.size
        return Customers(
            arrival=arrival,
            node_draw=node_draw,
            dns_age=dns_age,
            is_order=order_rank < self.orders,
            weight=np.repeat(rate / s, s),
            next_at=arrival.copy(),
            next_attempt=np.ones(n, dtype=np.int64),
            dns_shift=np.zeros(n, dtype=np.int64),
            prev_delay=np.zeros(n),
            ok=np.zeros(n, dtype=bool),
            retried=np.zeros(n, dtype=bool),
            latency=np.zeros(n),
            cause=np.zeros(n, dtype=np.int8),
            ack_t=np.full(n, np.nan),
            settled=np.zeros(n, dtype=bool),
            offset=first * s,
        )


def _after_shuffles(rng: np.random.Generator, rows: int, size: int) -> np.random.Generator:
    """A copy of ``rng`` where it stands after shuffling ``rows`` rows of ``size`` items (how
    many raw draws a shuffle takes varies, so the shuffles are done, one row at a time)."""
    out = copy.deepcopy(rng)
    row = np.arange(size, dtype=np.int32)
    for _ in range(rows):
        out.shuffle(row)
    return out


def _advanced(rng: np.random.Generator, doubles: int) -> np.random.Generator:
    """A copy of ``rng`` where it stands after ``doubles`` uniform draws (one raw draw each)."""
    out = copy.deepcopy(rng)
    bits: Any = out.bit_generator  # PCG64: it can jump ahead
    held = dict(bits.state)  # a half-used 32-bit draw that a later shuffle takes first
    bits.advance(doubles)
    state = dict(bits.state)
    state["has_uint32"], state["uinteger"] = held["has_uint32"], held["uinteger"]
    bits.state = state
    return out
