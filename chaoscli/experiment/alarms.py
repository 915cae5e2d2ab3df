"""CloudWatch alarms as stop conditions: create the declared ones, publish, evaluate, record.

moto never evaluates an alarm, so chaoscli evaluates the stack's alarms over the metrics it
published (into its own namespace) and sets the state of the alarms it created with
SetAlarmState (undone by the rollback); an SRE's own alarm on the load balancer's metrics is
evaluated over chaoscli's copy of them, guards the run and shows in the report, but its state
is never set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from chaoscli.aws import cloudwatch
from chaoscli.aws.changes import alarms as alarm_changes
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.cloudwatch import AWS_NAMESPACE, NAMESPACE, Alarm, Datapoint
from chaoscli.aws.session import AwsSession
from chaoscli.errors import SpecError
from chaoscli.experiment.loader import Loaded
from chaoscli.sim.cloudwatch_series import HOST_COUNTS, LB_METRICS, PERIOD_S, MinuteMetric
from chaoscli.sim.world import Event
from chaoscli.topology import LoadBalancer

Dims = tuple[tuple[str, str], ...]

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


def guarded_names(loaded: Loaded) -> list[str]:
    """Alarms the stop conditions name, in order."""
    return [c.alarm for c in loaded.experiment.stop_conditions if c.alarm is not None]


def check_exist(session: AwsSession, loaded: Loaded) -> None:
    """Before anything changes: every alarm a stop condition names is declared or exists."""
    exp = loaded.experiment
    declared = {a.name for a in exp.alarms}
    wanted = [n for n in guarded_names(loaded) if n not in declared]
    found = cloudwatch.describe(session, wanted)
    for n, cond in enumerate(exp.stop_conditions):
        if cond.alarm is not None and cond.alarm not in declared and cond.alarm not in found:
            raise SpecError(
                loaded.source,
                f"stop_conditions.{n}.alarm",
                f"no CloudWatch alarm {cond.alarm} at {session.where}, and none declared "
                "under alarms",
            )


def dims_of(point: MinuteMetric, lb: LoadBalancer) -> Dims:
    """The dimensions an ALB publishes a metric under."""
    dims = [("LoadBalancer", cloudwatch.lb_dimension(lb.arn))]
    if point.metric in HOST_COUNTS:
        dims.append(("TargetGroup", cloudwatch.tg_dimension(lb.target_group_arn)))
    if point.az is not None:
        dims.append(("AvailabilityZone", point.az))
    return tuple(sorted(dims))


def _spec_dims(metric: str, az: str | None, lb: LoadBalancer) -> Dims:
    """Dimensions of a declared alarm on the stack's load balancer."""
    return dims_of(MinuteMetric(metric, 0, 0.0, az), lb)


def prepare(
    session: AwsSession, log: RollbackLog, loaded: Loaded, lb: LoadBalancer | None
) -> tuple[dict[str, Alarm], list[str]]:
    """Create the declared alarms the account lacks; every alarm to evaluate, and what was done."""
    exp = loaded.experiment
    names = [a.name for a in exp.alarms] + [
        n for n in guarded_names(loaded) if n not in {a.name for a in exp.alarms}
    ]
    if not names:
        return {}, []
    if lb is None:
        raise SpecError(loaded.source, "alarms", "the stack has no load balancer to watch")
    lines = []
    for spec in exp.alarms:
        alarm = Alarm(
            name=spec.name,
            metric=spec.metric,
            namespace=NAMESPACE,
            statistic=spec.statistic,
            dimensions=_spec_dims(spec.metric, spec.az, lb),
            period_s=spec.period_s,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm or spec.evaluation_periods,
            threshold=spec.threshold,
            comparison=spec.comparison,
            state="OK",
        )
        description = f"chaoscli: {exp.title}"
        lines.append(
            alarm_changes.create_alarm(session, log, exp.topology.stack, alarm, description)
        )
    alarms = cloudwatch.describe(session, names)
    published = {(p.metric, dims_of(p, lb)) for p in _shapes(lb)}
    for n, cond in enumerate(exp.stop_conditions):
        found = alarms.get(cond.alarm or "")
        if found is not None and (
            found.namespace not in (NAMESPACE, AWS_NAMESPACE)
            or (found.metric, found.dimensions) not in published
        ):
            raise SpecError(
                loaded.source,
                f"stop_conditions.{n}.alarm",
                f"alarm {found.name} watches {found.namespace} {found.metric} "
                f"{dict(found.dimensions)}, which chaoscli does not publish for this stack",
            )
    return alarms, lines


def _shapes(lb: LoadBalancer) -> list[MinuteMetric]:
    """One point of every metric and dimension set chaoscli publishes."""
    return [MinuteMetric(n, 0, 0.0, az) for az in (None, *lb.azs) for n in LB_METRICS]


def points_for(
    alarm: Alarm, points: Sequence[MinuteMetric], lb: LoadBalancer
) -> list[MinuteMetric]:
    """The published points an alarm watches (chaoscli's copy, for an alarm on AWS's metric)."""
    if alarm.namespace not in (NAMESPACE, AWS_NAMESPACE):
        return []
    return [p for p in points if p.metric == alarm.metric and dims_of(p, lb) == alarm.dimensions]


def publish(
    session: AwsSession, points: Sequence[MinuteMetric], lb: LoadBalancer, minutes: int
) -> int:
    """PutMetricData for every simulated minute, ending at the current minute."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(seconds=PERIOD_S * minutes)
    data = [
        Datapoint(
            p.metric,
            dims_of(p, lb),
            start + timedelta(seconds=PERIOD_S * p.minute),
            p.value,
            p.unit,
        )
        for p in points
    ]
    return cloudwatch.publish(session, data)


def record(
    session: AwsSession,
    log: RollbackLog,
    alarms: dict[str, Alarm],
    points: Sequence[MinuteMetric],
    lb: LoadBalancer,
    run_s: float,
) -> tuple[list[Event], list[dict[str, Any]]]:
    """Evaluate every alarm over the run; set each state change; events and a summary each."""
    events: list[Event] = []
    summary: list[dict[str, Any]] = []
    for name in sorted(alarms):
        alarm = alarms[name]
        changes = alarm_states(alarm, points_for(alarm, points, lb), run_s)
        for t, state, reason in changes:
            events.append(Event(t, "alarm", f"alarm {name}: {state} ({reason})"))
            alarm_changes.set_state(session, log, name, state, f"chaoscli, t={t:g} s: {reason}")
        first = next((t for t, s, _ in changes if s == "ALARM"), None)
        summary.append(
            {
                "name": name,
                "metric": alarm.metric,
                "statistic": alarm.statistic,
                "comparison": alarm.comparison,
                "threshold": alarm.threshold,
                "period_s": alarm.period_s,
                "state": changes[-1][1] if changes else "OK",
                "first_alarm_t": first,
            }
        )
    return events, summary


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
