"""The slow tail of a window's successes, kept within bounded memory and read exactly.

A window's p99 (weighted, with its interval) and the share of its slowest 1% that needed a
retry only ever read the slowest few percent of its successful requests. A tail keeps every
success until it holds more than ``KEEP_ALL``; from then on it drops those that at least
the needed share of the window's weight (an upper bound, from the traffic it will see)
already outranks: a dropped one can never be read. A window whose successes all fit is read
by the very computation it always had.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054
KEEP_ALL = 1_500_000  # successes a tail keeps before it drops any (21 bytes each)


@dataclass
class Tail:
    """The successes of seconds [start, end) that may be read, in arrival order."""

    start: int
    end: int
    bound_weight: float  # at most the window's weight of successes
    bound_count: int  # at most the window's count of successes
    latency: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    retried: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    second: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    dropped: int = 0
    dropped_weight: float = 0.0
    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    held: int = 0

    def add(
        self, latency: np.ndarray, weight: np.ndarray, retried: np.ndarray, second: np.ndarray
    ) -> None:
        """Successes of whole seconds, in arrival order, after those already added."""
        keep = (second >= self.start) & (second < self.end)
        if not keep.any():
            return
        self.parts.append((latency[keep], weight[keep], retried[keep], second[keep]))
        self.held += int(keep.sum())
        if self.held > max(KEEP_ALL, 2 * self._need_count() + 2 * _ROOM):
            self._drop()

    def gather(self) -> Tail:
        """Every part added, as one set of arrays (the tail itself, updated)."""
        if self.parts:
            lat, w, r, s = zip(*self.parts, strict=True)
            self.latency = np.concatenate([self.latency, *lat])
            self.weight = np.concatenate([self.weight, *w])
            self.retried = np.concatenate([self.retried, *r])
            self.second = np.concatenate([self.second, *s]).astype(np.int32)
            self.parts = []
        return self

    def cut(self, end: int) -> None:
        """The window now ends at ``end`` (a stop condition cut the method short)."""
        self.end = min(self.end, end)
        self.gather()
        keep = self.second < self.end
        self._keep(keep)

    def within(self, start: int, end: int) -> Tail:
        """The tail of a window inside this one; only while nothing was dropped."""
        self.gather()
        if self.dropped:
            raise ValueError(f"the tail of [{start}, {end}) s was not kept")
        keep = (self.second >= start) & (self.second < end)
        return Tail(
            start,
            end,
            self.bound_weight,
            self.bound_count,
            self.latency[keep],
            self.weight[keep],
            self.retried[keep],
            self.second[keep],
        )

    def _need_count(self) -> int:
        return math.ceil(0.01 * self.bound_count) + 3

    def _need_weight(self) -> float:
        w_max = float(self.weight.max()) if self.weight.size else 0.0
        w_max = max([w_max, *(float(p[1].max()) for p in self.parts if p[1].size)])
        spread = Z95 * math.sqrt(0.0099 * max(self.bound_count, 1))
        return 1.25 * (0.01 * self.bound_weight + (spread + 3) * w_max)

    def _drop(self) -> None:
        """Forget the successes that enough weight and count already outrank."""
        need_w, need_n = self._need_weight(), self._need_count()
        self.gather()
        order = np.argsort(-self.latency, kind="stable")
        above_w = np.cumsum(self.weight[order])
        enough = np.flatnonzero((above_w >= need_w) & (np.arange(1, order.size + 1) >= need_n))
        if enough.size == 0:
            return
        floor = self.latency[order[int(enough[0])]]
        self._keep(self.latency >= floor)

    def _keep(self, keep: np.ndarray) -> None:
        gone = ~keep
        self.dropped += int(gone.sum())
        self.dropped_weight += float(self.weight[gone].sum())
        self.latency, self.weight = self.latency[keep], self.weight[keep]
        self.retried, self.second = self.retried[keep], self.second[keep]
        self.held = int(self.latency.size)


_ROOM = 4096


def weighted_p99(tail: Tail) -> tuple[float, tuple[float, float]]:
    """Weighted 99th percentile of the window's successful latencies, with an order-statistic
    interval.

    Only the slowest few percent are sorted: a partition finds a latency below which less
    weight lies than the lowest quantile asked for, and the quantiles are read above it (the
    whole sample is sorted only when the weights are too uneven for that). Where the tail has
    dropped the fastest successes already, their weight is that floor's.
    """
    tail.gather()
    x, w = tail.latency, tail.weight
    n = x.size + tail.dropped
    if n == 0:
        return math.nan, (math.nan, math.nan)
    half = Z95 * math.sqrt(n * 0.99 * 0.01) / n
    qs = (0.99, max(0.0, 0.99 - half), min(1.0, 0.99 + half))
    if tail.dropped:
        total = float(w.sum()) + tail.dropped_weight
        below = tail.dropped_weight
    else:
        total = w.sum()
        below = 0.0
        k = int(n * 0.95)
        if 0 < k < n:
            floor_x = np.partition(x, k)[k]
            low = x < floor_x
            below = float(w[low].sum())
            if below < qs[1] * total:
                x, w = x[~low], w[~low]
            else:
                below = 0.0
    order = np.argsort(x, kind="stable")
    x = x[order]
    cw = (below + np.cumsum(w[order])) / total
    pick = lambda q: float(x[min(x.size - 1, int(np.searchsorted(cw, q)))])  # noqa: E731
    return pick(qs[0]), (pick(qs[1]), pick(qs[2]))


def retried_share(tail: Tail) -> float | None:
    """Share of the slowest 1% of the window's successes (by count) that needed a retry."""
    tail.gather()
    lat = tail.latency
    n = lat.size + tail.dropped
    if n == 0:
        return None
    exact = not tail.dropped
    cut = float(np.quantile(lat, 0.99)) if exact else _linear_quantile(np.sort(lat), n, 0.99)
    slow = lat >= cut
    total = float(tail.weight[slow].sum())
    return float(tail.weight[slow & tail.retried].sum()) / total if total else None


def _linear_quantile(top: np.ndarray, n: int, q: float) -> float:
    """numpy's linear quantile of ``n`` values of which ``top`` are the largest, sorted."""
    virtual = n * q + (1 + q * (1 - 1 - 1)) - 1
    lo = min(max(math.floor(virtual), 0), n - 1)
    hi = min(lo + 1, n - 1)
    gamma = virtual - lo
    skip = n - top.size
    a, b = float(top[lo - skip]), float(top[hi - skip])
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
