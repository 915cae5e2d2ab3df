"""Stop conditions, as AWS FIS has them: find the first moment a guard trips.

The engine simulates a whole run at once, so a stop works in two passes: simulate, find the
first second a guard trips while the method runs, then drive the control plane again with the
method cut (rolled back) at that second and simulate again. Both passes are deterministic.
Guards only look at what was visible by then: errors count when the customer gave up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chaoscli.aws.cloudwatch import Alarm
from chaoscli.experiment.lbmetrics import PERIOD_S, MinuteMetric
from chaoscli.experiment.spec import StopCondition
from chaoscli.sim.results import RunResult

_COMPARE = {
    "GreaterThanThreshold": lambda v, x: v > x,
    "GreaterThanOrEqualToThreshold": lambda v, x: v >= x,
    "LessThanThreshold": lambda v, x: v < x,
    "LessThanOrEqualToThreshold": lambda v, x: v <= x,
}
_SYMBOL = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


@dataclass(frozen=True)
class Trip:
    """A guard tripping: when (virtual seconds), which condition, and why in one line."""

    t: float
    condition: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        """Plain values for the journal."""
        return {"t": self.t, "condition": self.condition, "reason": self.reason}


def _rolling(series: np.ndarray, width: int) -> np.ndarray:
    """Sum of the last ``width`` values at each index (fewer at the start)."""
    c = np.concatenate([[0.0], np.cumsum(series)])
    idx = np.arange(series.size)
    return c[idx + 1] - c[np.maximum(idx + 1 - width, 0)]


def _visible_errors_by_second(result: RunResult) -> np.ndarray:
    """Requests whose failure became visible in each second (when the customer gave up)."""
    s, secs = result.samples_per_s, result.seconds
    sec = np.repeat(np.arange(secs), s)
    failed = ~result.ok
    when = np.minimum((sec + 0.5 + result.latency_s).astype(np.int64), secs - 1)
    weight = np.repeat(result.rate / s, s)
    return np.bincount(when[failed], weights=weight[failed], minlength=secs)


def metric_series(cond: StopCondition, result: RunResult) -> np.ndarray:
    """The guarded value over the last ``over_s`` seconds, at the end of each second."""
    width = max(1, math.ceil(cond.over_s))
    if cond.metric == "visible_error_ratio":
        errors = _rolling(_visible_errors_by_second(result), width)
        return errors / np.maximum(_rolling(result.rate, width), 1e-12)
    if cond.metric == "attempt_error_ratio":
        failed = np.maximum(result.attempts - result.served.sum(axis=0), 0.0)
        return _rolling(failed, width) / np.maximum(_rolling(result.attempts, width), 1e-12)
    return _p99_series(result, width)


def _p99_series(result: RunResult, width: int) -> np.ndarray:
    """p99 latency (ms) of requests that succeeded within the last ``width`` seconds."""
    s, secs = result.samples_per_s, result.seconds
    sec = np.repeat(np.arange(secs), s)
    done = np.minimum((sec + 0.5 + result.latency_s).astype(np.int64), secs - 1)
    lat = result.latency_s[result.ok] * 1000
    at = done[result.ok]
    order = np.argsort(at, kind="stable")
    lat, at = lat[order], at[order]
    bounds = np.searchsorted(at, np.arange(secs + 1))
    out = np.zeros(secs)
    for k in range(secs):
        chunk = lat[bounds[max(0, k + 1 - width)] : bounds[k + 1]]
        out[k] = float(np.percentile(chunk, 99)) if chunk.size else 0.0
    return out


def metric_trip(n: int, cond: StopCondition, result: RunResult, until: float) -> Trip | None:
    """The first end of a second before ``until`` at which the guarded value is above bound."""
    assert cond.metric is not None and cond.above is not None
    values = metric_series(cond, result)
    limit = min(len(values), math.ceil(until))
    over = np.nonzero(values[:limit] > cond.above)[0]
    if over.size == 0:
        return None
    k = int(over[0])
    shown = _fmt(cond.metric, float(values[k]))
    bound = _fmt(cond.metric, cond.above)
    reason = f"{cond.metric.replace('_', ' ')} {shown} over {cond.over_s:g} s > {bound}"
    return Trip(float(k + 1), n, reason)


def _fmt(metric: str, value: float) -> str:
    """A ratio as a percentage, a latency in ms."""
    return f"{value:.1%}" if metric.endswith("ratio") else f"{value:,.0f} ms"


def _statistic(values: list[float], statistic: str) -> float:
    """One CloudWatch statistic over the datapoints of a period."""
    if statistic == "Sum":
        return float(sum(values))
    if statistic == "Average":
        return float(sum(values) / len(values))
    if statistic == "Minimum":
        return float(min(values))
    if statistic == "Maximum":
        return float(max(values))
    return float(len(values))


def alarm_states(
    alarm: Alarm, points: Sequence[MinuteMetric], run_s: float
) -> list[tuple[float, str, str]]:
    """(time, new state, reason) each time the alarm changes state, starting from OK.

    Evaluated as CloudWatch does at each period's end: the last ``evaluation_periods``
    periods, ALARM when at least ``datapoints_to_alarm`` breach; missing data does not breach.
    """
    per = max(1, alarm.period_s // PERIOD_S)
    by_minute: dict[int, list[float]] = {}
    for p in points:
        by_minute.setdefault(p.minute, []).append(p.value)
    last_minute = max(by_minute, default=-1)
    periods = last_minute // per + 1
    values: list[float | None] = []
    for k in range(periods):
        data = [v for m in range(k * per, (k + 1) * per) for v in by_minute.get(m, [])]
        values.append(_statistic(data, alarm.statistic) if data else None)
    compare = _COMPARE[alarm.comparison]
    state, out = "OK", []
    for k in range(periods):
        recent = values[max(0, k + 1 - alarm.evaluation_periods) : k + 1]
        breaching = sum(1 for v in recent if v is not None and compare(v, alarm.threshold))
        new = "ALARM" if breaching >= alarm.datapoints_to_alarm else "OK"
        if new != state:
            value = values[k]
            shown = "no data" if value is None else f"{value:,.6g}"
            reason = (
                f"{alarm.metric} {alarm.statistic} {shown} {_SYMBOL[alarm.comparison]} "
                f"{alarm.threshold:,.6g}: {breaching} of {len(recent)} period(s) of "
                f"{alarm.period_s} s breaching"
            )
            out.append((min(float((k + 1) * alarm.period_s), run_s), new, reason))
            state = new
    return out


def alarm_trip(
    n: int, alarm: Alarm, points: Sequence[MinuteMetric], run_s: float, until: float
) -> Trip | None:
    """The first time before ``until`` the alarm goes into ALARM."""
    for t, state, reason in alarm_states(alarm, points, run_s):
        if state == "ALARM" and t <= until:
            return Trip(t, n, f"alarm {alarm.name} in ALARM: {reason}")
    return None
