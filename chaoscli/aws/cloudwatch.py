"""CloudWatch for stop conditions: publish the load balancer's metrics, read and set alarms.

moto stores metrics and alarms but never evaluates an alarm, so chaoscli evaluates them itself
(in the experiment layer) and records the verdict with SetAlarmState, logged for rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chaoscli.aws.rollback import RollbackLog
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import stack_tags

NAMESPACE = "AWS/ApplicationELB"
DELETE_ALARM = "delete_alarm"
RESTORE_ALARM_STATE = "restore_alarm_state"
_BATCH = 500


@dataclass(frozen=True)
class Datapoint:
    """One published value: metric name, dimensions, time and value."""

    metric: str
    dimensions: tuple[tuple[str, str], ...]
    at: datetime
    value: float
    unit: str = "Count"


@dataclass(frozen=True)
class Alarm:
    """The parts of a metric alarm its evaluation needs, as DescribeAlarms returns them."""

    name: str
    metric: str
    namespace: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...]
    period_s: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    state: str


def lb_dimension(arn: str) -> str:
    """The ``LoadBalancer`` dimension value (``app/name/id``) of an ALB ARN."""
    return arn.split(":loadbalancer/", 1)[-1]


def tg_dimension(arn: str) -> str:
    """The ``TargetGroup`` dimension value (``targetgroup/name/id``) of a target group ARN."""
    return "targetgroup/" + arn.split(":targetgroup/", 1)[-1]


def publish(session: AwsSession, points: Sequence[Datapoint]) -> int:
    """PutMetricData in batches; returns how many datapoints were published."""
    cw = session.client("cloudwatch")
    with aws_errors(f"publish {len(points)} datapoints to CloudWatch"):
        for start in range(0, len(points), _BATCH):
            cw.put_metric_data(
                Namespace=NAMESPACE,
                MetricData=[
                    {
                        "MetricName": p.metric,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in p.dimensions],
                        "Timestamp": p.at,
                        "Value": p.value,
                        "Unit": p.unit,
                    }
                    for p in points[start : start + _BATCH]
                ],
            )
    return len(points)


def describe(session: AwsSession, names: Sequence[str]) -> dict[str, Alarm]:
    """The named metric alarms that exist, by name."""
    if not names:
        return {}
    cw = session.client("cloudwatch")
    with aws_errors(f"describe alarms {', '.join(names)}"):
        raw = cw.describe_alarms(AlarmNames=list(names))["MetricAlarms"]
    out = {}
    for a in raw:
        evaluation = int(a.get("EvaluationPeriods", 1))
        out[a["AlarmName"]] = Alarm(
            name=a["AlarmName"],
            metric=str(a.get("MetricName", "")),
            namespace=str(a.get("Namespace", "")),
            statistic=str(a.get("Statistic", "")),
            dimensions=tuple(sorted((d["Name"], d["Value"]) for d in a.get("Dimensions", []))),
            period_s=int(a.get("Period", 60)),
            evaluation_periods=evaluation,
            datapoints_to_alarm=int(a.get("DatapointsToAlarm", evaluation)),
            threshold=float(a.get("Threshold", 0.0)),
            comparison=str(a.get("ComparisonOperator", "GreaterThanThreshold")),
            state=str(a.get("StateValue", "OK")),
        )
    return out


def create_alarm(
    session: AwsSession, log: RollbackLog, stack: str, alarm: Alarm, description: str
) -> str:
    """Create a metric alarm the experiment declares, unless it exists; the undo deletes it."""
    if alarm.name in describe(session, [alarm.name]):
        return f"alarm {alarm.name} already exists: used as it is"
    cw = session.client("cloudwatch")
    with aws_errors(f"create alarm {alarm.name}"):
        log.record(DELETE_ALARM, {"name": alarm.name})
        cw.put_metric_alarm(
            AlarmName=alarm.name,
            AlarmDescription=description,
            Namespace=alarm.namespace,
            MetricName=alarm.metric,
            Statistic=alarm.statistic,
            Dimensions=[{"Name": k, "Value": v} for k, v in alarm.dimensions],
            Period=alarm.period_s,
            EvaluationPeriods=alarm.evaluation_periods,
            DatapointsToAlarm=alarm.datapoints_to_alarm,
            Threshold=alarm.threshold,
            ComparisonOperator=alarm.comparison,
            TreatMissingData="notBreaching",
            Tags=stack_tags(stack, alarm.name),
        )
    return f"created alarm {alarm.name}"


def set_state(session: AwsSession, log: RollbackLog, name: str, state: str, reason: str) -> str:
    """SetAlarmState, as CloudWatch would have set it; the undo puts the old state back."""
    found = describe(session, [name])
    if name not in found:
        return f"alarm {name} is gone: state not set"
    old = found[name].state
    if old == state:
        return f"alarm {name} already {state}"
    cw = session.client("cloudwatch")
    with aws_errors(f"set the state of alarm {name}"):
        log.record(RESTORE_ALARM_STATE, {"name": name, "state": old})
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason[:1023])
    return f"alarm {name}: {old} -> {state} ({reason})"


def _delete_alarm(session: AwsSession, undo: dict[str, Any]) -> str:
    """Delete an alarm the run created."""
    name = str(undo["name"])
    cw = session.client("cloudwatch")
    with aws_errors(f"delete alarm {name}"):
        cw.delete_alarms(AlarmNames=[name])
    return f"deleted alarm {name}"


def _restore_alarm_state(session: AwsSession, undo: dict[str, Any]) -> str:
    """Put an alarm back in the state it had before the run evaluated it."""
    name, state = str(undo["name"]), str(undo["state"])
    if name not in describe(session, [name]):
        return f"alarm {name} is gone: nothing to restore"
    cw = session.client("cloudwatch")
    with aws_errors(f"restore the state of alarm {name}"):
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="chaoscli rollback")
    return f"alarm {name} back to {state}"


UNDO = {DELETE_ALARM: _delete_alarm, RESTORE_ALARM_STATE: _restore_alarm_state}
