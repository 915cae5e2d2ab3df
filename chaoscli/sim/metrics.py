"""Measures over a window of a run: availability, worst second, p99 and the requests slower
than a customer's patience, with 95% intervals, and how long its orders waited to commit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chaoscli.sim.results import RunResult
from chaoscli.sim.scenario import DEFAULT_PATIENCE_S
from chaoscli.sim.tails import Z95, weighted_p99

__all__ = ["DEFAULT_PATIENCE_S", "WindowMetrics", "commit_delay", "visible_errors", "window"]


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


def span(result: RunResult, start_s: float, end_s: float) -> tuple[int, int]:
    """The whole seconds [a, b) a window covers (at least one)."""
    a = max(0, math.floor(start_s))
    return a, min(result.seconds, max(a + 1, math.ceil(end_s)))


def window(
    result: RunResult, start_s: float, end_s: float, patience_s: float = DEFAULT_PATIENCE_S
) -> WindowMetrics:
    """Availability, worst second, p99 latency and the share slower than ``patience_s`` (end
    to end, retries included) for customers who arrived in the window."""
    s = result.samples_per_s
    a, b = span(result, start_s, end_s)
    cust = result.customers
    if patience_s != cust.patience_s:
        raise ValueError(
            f"the run counted requests slower than {cust.patience_s:g} s, not {patience_s:g} s"
        )
    rate = result.rate[a:b]
    p_ok = cust.ok[a:b] / s
    total = float(rate.sum())
    visible = _visible(rate, p_ok)
    avail = 1 - visible / total if total else 1.0
    var = float((rate**2 * p_ok * (1 - p_ok) / s).sum()) / total**2 if total else 0.0
    half = Z95 * math.sqrt(var)
    worst_i = int(np.argmin(p_ok))
    p99, p99_ci = weighted_p99(result.tail(a, b))
    hidden = float((rate * (cust.retried_ok[a:b] / s)).sum())
    sent = float(result.attempts[a:b].sum())
    w_s = rate / s
    orders = float((w_s * cust.orders[a:b]).sum())
    acked = float((w_s * cust.orders_ok[a:b]).sum())
    # a lost order counts where it was lost (the primary's loss), not where it was placed
    lost = float(result.ledger.lost_weight[a:b].sum())
    slow = float((w_s * cust.slow[a:b]).sum())
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
    a, b = span(result, start_s, end_s)
    return _visible(result.rate[a:b], result.customers.ok[a:b] / result.samples_per_s)


def commit_delay(result: RunResult, a: int, b: int) -> float:
    """The longest wait, in seconds, from an order's acknowledgement to its commit, over the
    orders placed in seconds [a, b); one still queued at the end has waited until then."""
    delays = result.ledger.commit_delay_s[a:b]
    return max(0.0, float(delays.max())) if delays.size else 0.0


def per_second_p99(latency: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """p99 latency of successful requests in each row (one row per second; NaN where none
    succeeded).

    numpy's nanpercentile (linear) for every second at once: each second's successes sorted
    to the front, its two neighbouring order statistics interpolated as numpy does.
    """
    seconds, s = latency.shape
    lat = np.sort(np.where(ok, latency, np.inf), 1)
    count = ok.sum(axis=1)
    q = 0.99
    virtual = count * q + (1 + q * (1 - 1 - 1)) - 1
    lo = np.clip(np.floor(virtual), 0, None).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    gamma = virtual - lo
    rows = np.arange(seconds)
    a, b = lat[rows, np.minimum(lo, s - 1)], lat[rows, np.minimum(hi, s - 1)]
    with np.errstate(invalid="ignore"):
        diff = b - a
        out = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    return np.where(count > 0, out, np.nan)
