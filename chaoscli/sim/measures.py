"""Every figure a run's record carries, measured once from the simulated result.

The window metrics the hypothesis judges come from :mod:`chaoscli.sim.metrics`; this adds
what a reader needs beside them (why errors happened, what made the slow tail slow, peaks,
the database and the order queue) and the per-second series, so the record copies numbers
and reports read them without measuring anything again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaoscli.sim.metrics import WindowMetrics, window
from chaoscli.sim.recovery import Recovery, RecoveryRule, recovery
from chaoscli.sim.results import CAUSES, RunResult
from chaoscli.sim.tails import retried_share


@dataclass(frozen=True)
class WindowMeasures:
    """A window's metrics and what explains them."""

    metrics: WindowMetrics
    visible_error_causes: dict[str, float]
    slow_tail_retried_share: float | None
    peak_offered_rps: float
    peak_utilisation: float | None


@dataclass(frozen=True)
class OrderQueueMeasures:
    """How the durable order queue fared."""

    enabled: bool
    max_depth: float
    longest_commit_delay_s: float
    pending_at_end: float


@dataclass(frozen=True)
class Seconds:
    """Per-second series over the whole run; zone series are (zones, seconds)."""

    azs: tuple[str, ...]
    requests: np.ndarray
    visible_errors: np.ndarray
    success_ratio: np.ndarray
    attempts: np.ndarray
    served: np.ndarray
    utilisation: np.ndarray
    p99_latency_ms: np.ndarray
    db_writable: np.ndarray
    queue_depth: np.ndarray
    lb_errors: np.ndarray


@dataclass(frozen=True)
class RunMeasures:
    """The whole run, each judged window, the database, the order queue, and each second."""

    whole: WindowMeasures
    windows: dict[str, WindowMeasures]
    reroute_s: float | None
    recovery: Recovery
    db_write_unavailable_s: float
    db_primary_az: dict[str, str]
    order_queue: OrderQueueMeasures
    seconds: Seconds


def causes(result: RunResult, a: int, b: int) -> dict[str, float]:
    """Visible errors in seconds [a, b) by why the customer's last attempt failed."""
    w_s = result.rate[a:b] / result.samples_per_s
    counts = result.customers.causes[a:b]
    found: dict[str, float] = {}
    for code in np.flatnonzero(counts.sum(axis=0)):
        name = CAUSES[int(code)] if int(code) < len(CAUSES) else f"cause {int(code)}"
        found[name] = float((w_s * counts[:, code]).sum())
    return found


def tail_retried(result: RunResult, a: int, b: int) -> float | None:
    """Share of the slowest 1% of successful requests in [a, b) that needed a retry."""
    return retried_share(result.tail(a, b))


def explain(result: RunResult, wm: WindowMetrics) -> WindowMeasures:
    """A window's metrics with its error causes, slow tail and peaks."""
    a, b = int(wm.start_s), int(wm.end_s)
    busy = result.utilisation[:, a:b]
    return WindowMeasures(
        metrics=wm,
        visible_error_causes=causes(result, a, b),
        slow_tail_retried_share=tail_retried(result, a, b),
        peak_offered_rps=float(result.rate[a:b].max()) if b > a else 0.0,
        peak_utilisation=float(busy.max()) if busy.size else None,
    )


def seconds(result: RunResult) -> Seconds:
    """The per-second series a timeline shows."""
    w = result.world
    ok = result.success_ratio
    tick = np.minimum(w.ticks - 1, (np.arange(result.seconds) / w.tick_s).astype(int))
    return Seconds(
        azs=tuple(w.azs),
        requests=result.rate,
        visible_errors=result.rate * (1 - ok),
        success_ratio=ok,
        attempts=result.attempts,
        served=result.served,
        utilisation=result.utilisation,
        p99_latency_ms=result.customers.p99_s * 1000,
        db_writable=np.asarray(w.db_writable)[tick].astype(bool),
        queue_depth=result.queue_depth,
        lb_errors=result.lb_errors,
    )


def customers_recovery(
    result: RunResult,
    windows: dict[str, WindowMetrics],
    rule: RecoveryRule,
    dns_ttl_s: float,
    per_second: Seconds | None = None,
) -> Recovery:
    """Customers' recovery from the fault of the "during" window, against the "before" one's
    p99; read from ``per_second`` when the series are already measured."""
    during, before = windows.get("during"), windows.get("before")
    if per_second is None:
        success = result.success_ratio
        p99_ms = result.customers.p99_s * 1000
    else:
        success, p99_ms = per_second.success_ratio, per_second.p99_latency_ms
    return recovery(
        result.world,
        success,
        p99_ms,
        (during.start_s, during.end_s) if during else None,
        before.p99_latency_ms if before else None,
        rule,
        dns_ttl_s,
    )


def measure(
    result: RunResult,
    windows: dict[str, WindowMetrics],
    rule: RecoveryRule,
    dns_ttl_s: float,
    patience_s: float,
) -> RunMeasures:
    """Everything the record carries about a simulated run, given its judged windows (the
    fault's is "during"), the rule for a normal second, the clients' DNS TTL and customers'
    patience."""
    w = result.world
    ledger = result.ledger
    per_second = seconds(result)
    return RunMeasures(
        whole=explain(result, window(result, 0, result.seconds, patience_s)),
        windows={name: explain(result, wm) for name, wm in windows.items()},
        reroute_s=w.reroute_s,
        recovery=customers_recovery(result, windows, rule, dns_ttl_s, per_second),
        db_write_unavailable_s=w.db_write_unavailable_s,
        db_primary_az=dict(w.primary_az),
        order_queue=OrderQueueMeasures(
            enabled=w.order_queue,
            max_depth=float(ledger.queue_depth.max()) if result.seconds else 0.0,
            longest_commit_delay_s=ledger.longest_commit_delay_s,
            pending_at_end=ledger.pending_at_end,
        ),
        seconds=per_second,
    )
