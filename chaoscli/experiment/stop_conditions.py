"""Stop conditions, as AWS FIS has them: watch the run while the method runs, and say when
one trips.

The runner advances the engine second by second and asks ``StopWatch.check`` after each;
the figures it reads are final by then (sim/cloudwatch_series.py), so a stop condition only
sees what was visible at that moment. On a trip the runner cuts the method there and the
engine goes on from that second: nothing is simulated twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from chaoscli.aws.cloudwatch import Alarm
from chaoscli.experiment.alarms import alarm_states, points_for
from chaoscli.experiment.method import method_span
from chaoscli.experiment.spec import Experiment, StopCondition
from chaoscli.sim.cloudwatch_series import CloudWatchSeries, MinuteMetric, stop_metric
from chaoscli.sim.results import RunSoFar
from chaoscli.topology import LoadBalancer


@dataclass(frozen=True)
class Trip:
    """A stop condition tripping: when (virtual seconds), which one, and why in one line."""

    t: float
    condition: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        """Plain values for the journal."""
        return {"t": self.t, "condition": self.condition, "reason": self.reason}


class StopWatch:
    """The experiment's stop conditions, checked as the run reaches the end of each second."""

    def __init__(
        self,
        exp: Experiment,
        alarms: dict[str, Alarm],
        lb: LoadBalancer | None,
        series: CloudWatchSeries,
    ) -> None:
        self.conditions = list(exp.stop_conditions)
        self.alarms, self.lb, self.series = alarms, lb, series
        span = method_span(exp)
        # a trip at or after the method's last end stops nothing
        self.until = span[1] if span is not None and self.conditions else 0.0

    @property
    def seconds(self) -> int:
        """How many seconds to watch: every second that ends before the method does."""
        return max(0, math.ceil(self.until) - 1)

    def check(self, result: RunSoFar, second: int) -> Trip | None:
        """The condition that trips at the end of ``second`` (the lowest-numbered if several)."""
        t = float(second + 1)
        if t >= self.until:
            return None
        minute_done = self.series.update(result, second + 1)
        for n, cond in enumerate(self.conditions):
            trip = None
            if cond.metric is not None:
                trip = _metric_trip(n, cond, result, second)
            elif minute_done and cond.alarm in self.alarms and self.lb is not None:
                alarm = self.alarms[cond.alarm]
                points = points_for(alarm, self.series.points, self.lb)
                trip = _alarm_trip(n, alarm, points, result.seconds, t)
            if trip is not None:
                return trip
        return None


def _metric_trip(n: int, cond: StopCondition, result: RunSoFar, second: int) -> Trip | None:
    """A measured stop condition above its bound at the end of ``second``."""
    assert cond.metric is not None and cond.above is not None
    value = stop_metric(cond.metric, cond.over_s, result, second)
    if not value > cond.above:
        return None
    shown, bound = _fmt(cond.metric, value), _fmt(cond.metric, cond.above)
    name = cond.metric.removesuffix("_ms").replace("_", " ")
    reason = f"{name} {shown} over {cond.over_s:g} s > {bound}"
    return Trip(float(second + 1), n, reason)


def _alarm_trip(
    n: int, alarm: Alarm, points: Sequence[MinuteMetric], run_s: float, now: float
) -> Trip | None:
    """The alarm going into ALARM at ``now`` (the end of one of its periods)."""
    for t, state, reason in alarm_states(alarm, points, run_s):
        if state == "ALARM" and t == now:
            return Trip(t, n, f"alarm {alarm.name} in ALARM: {reason}")
    return None


def _fmt(metric: str, value: float) -> str:
    """A ratio as a percentage, a latency in ms."""
    return f"{value:.1%}" if metric.endswith("ratio") else f"{value:,.0f} ms"
