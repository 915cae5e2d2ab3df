"""Measures over a window of a run: availability, worst second, p99 and the requests slower
than a customer's patience, with 95% intervals, and how long its orders waited to commit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chaoscli.sim.results import RunResult

Z95 = 1.959963984540054
# a customer's patience: a request answered later than this is as bad as a failed one
DEFAULT_PATIENCE_S = 2.0


@dataclass(frozen=True)
class WindowMetrics:
    """What customers saw between ``start_s`` and ``end_s``."""

    start_s: float
    end_s: float
    requests: float
    visible_errors: float
    availability: float
    availability_ci: tuple[float, float]
    worst_second_success_ratio: float
    worst_second_at_s: float
    p99_latency_ms: float
    p99_latency_ci_ms: tuple[float, float]
    retried_hidden: float
    retry_amplification: float
    orders: float = 0.0
    orders_acked: float = 0.0
    order_success_ratio: float = 1.0
    lost_orders: float = 0.0
    patience_s: float = DEFAULT_PATIENCE_S
    slow_requests: float = 0.0  # succeeded, but later than patience_s, retries included
    slow_request_ratio: float = 0.0  # of all customer requests in the window
    order_commit_delay_s: float = 0.0  # longest wait from acknowledgement to commit

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def window(
    result: RunResult, start_s: float, end_s: float, patience_s: float = DEFAULT_PATIENCE_S
) -> WindowMetrics:
    """Availability, worst second, p99 latency and the share slower than ``patience_s`` (end
    to end, retries included) for customers who arrived in the window."""
    s = result.samples_per_s
    a = max(0, math.floor(start_s))
    b = min(result.seconds, max(a + 1, math.ceil(end_s)))
    rate = result.rate[a:b]
    ok = result.ok[a * s : b * s].reshape(b - a, s)
    lat = result.latency_s[a * s : b * s].reshape(b - a, s)
    retried = result.retried[a * s : b * s].reshape(b - a, s)
    p_ok = ok.mean(axis=1)
    total = float(rate.sum())
    visible = _visible(rate, p_ok)
    avail = 1 - visible / total if total else 1.0
    var = float((rate**2 * p_ok * (1 - p_ok) / s).sum()) / total**2 if total else 0.0
    half = Z95 * math.sqrt(var)
    worst_i = int(np.argmin(p_ok))
    p99, p99_ci = _weighted_p99(lat, ok, rate / s)
    hidden = float((rate * (retried & ok).mean(axis=1)).sum())
    sent = float(result.attempts[a:b].sum())
    order = result.is_order[a * s : b * s].reshape(b - a, s)
    w_s = (rate / s)[:, None]
    orders = float((w_s * order).sum())
    acked = float((w_s * (order & ok)).sum())
    # a lost order counts where it was lost (the primary's loss), not where it was placed
    lost_at = result.ledger.lost_at
    in_window = (lost_at >= a) & (lost_at < b)
    weight = np.repeat(result.rate / s, s)
    lost = float(weight[in_window].sum())
    slow = float((w_s * (ok & (lat > patience_s))).sum())
    return WindowMetrics(
        start_s=float(a),
        end_s=float(b),
        requests=total,
        visible_errors=visible,
        availability=avail,
        availability_ci=(max(0.0, avail - half), min(1.0, avail + half)),
        worst_second_success_ratio=float(p_ok[worst_i]),
        worst_second_at_s=float(a + worst_i),
        p99_latency_ms=p99 * 1000,
        p99_latency_ci_ms=(p99_ci[0] * 1000, p99_ci[1] * 1000),
        retried_hidden=hidden,
        retry_amplification=sent / total if total else 1.0,
        orders=orders,
        orders_acked=acked,
        order_success_ratio=acked / orders if orders else 1.0,
        lost_orders=lost,
        patience_s=patience_s,
        slow_requests=slow,
        slow_request_ratio=slow / total if total else 0.0,
        order_commit_delay_s=commit_delay(result, a, b),
    )


def _visible(rate: np.ndarray, success_ratio: np.ndarray) -> float:
    return float((rate * (1 - success_ratio)).sum())


def visible_errors(result: RunResult, start_s: float, end_s: float) -> float:
    """The visible errors of ``window`` alone, for a caller that needs no other figure."""
    s = result.samples_per_s
    a = max(0, math.floor(start_s))
    b = min(result.seconds, max(a + 1, math.ceil(end_s)))
    return _visible(result.rate[a:b], result.ok[a * s : b * s].reshape(b - a, s).mean(axis=1))


def commit_delay(result: RunResult, a: int, b: int) -> float:
    """The longest wait, in seconds, from an order's acknowledgement to its commit, over the
    orders acknowledged in seconds [a, b); one still queued at the end has waited until then."""
    s = result.samples_per_s
    ack = result.ack_t[a * s : b * s]
    commit = result.ledger.commit_t[a * s : b * s]
    acked = ~np.isnan(ack)
    if not acked.any():
        return 0.0
    done = np.where(np.isnan(commit), float(result.seconds), commit)
    return max(0.0, float((done[acked] - ack[acked]).max()))


def _weighted_p99(
    lat: np.ndarray, ok: np.ndarray, weight_per_sec: np.ndarray
) -> tuple[float, tuple[float, float]]:
    """Weighted 99th percentile of successful latencies, with an order-statistic interval.

    Only the slowest few percent are sorted: a partition finds a latency below which less
    weight lies than the lowest quantile asked for, and the quantiles are read above it (the
    whole sample is sorted only when the weights are too uneven for that).
    """
    w = np.broadcast_to(weight_per_sec[:, None], lat.shape)[ok]
    x = lat[ok]
    n = x.size
    if n == 0:
        return math.nan, (math.nan, math.nan)
    half = Z95 * math.sqrt(n * 0.99 * 0.01) / n
    qs = (0.99, max(0.0, 0.99 - half), min(1.0, 0.99 + half))
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


def per_second_p99(result: RunResult) -> np.ndarray:
    """p99 latency of successful requests in each second (NaN where none succeeded).

    numpy's nanpercentile (linear) for every second at once: each second's successes sorted
    to the front, its two neighbouring order statistics interpolated as numpy does.
    """
    s = result.samples_per_s
    lat = np.sort(np.where(result.ok, result.latency_s, np.inf).reshape(result.seconds, s), 1)
    count = result.ok.reshape(result.seconds, s).sum(axis=1)
    q = 0.99
    virtual = count * q + (1 + q * (1 - 1 - 1)) - 1
    lo = np.clip(np.floor(virtual), 0, None).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    gamma = virtual - lo
    rows = np.arange(result.seconds)
    a, b = lat[rows, np.minimum(lo, s - 1)], lat[rows, np.minimum(hi, s - 1)]
    with np.errstate(invalid="ignore"):
        diff = b - a
        out = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    return np.where(count > 0, out, np.nan)
