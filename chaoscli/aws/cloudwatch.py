"""CloudWatch for stop conditions: publish the load balancer's metrics and read alarms.

moto stores metrics and alarms but never evaluates an alarm, so chaoscli evaluates them itself
(in the experiment layer); creating an alarm and setting its state are changes with an undo,
in ``chaoscli.aws.changes.alarms``. The modelled metrics go into chaoscli's own namespace:
``AWS/*`` namespaces are AWS's, and a modelled 5XX count there would read as a real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import STACK_TAG, tag_dict

NAMESPACE = "chaoscli/ApplicationELB"
# The namespace whose metrics chaoscli's are a model of: an SRE's alarm on it is evaluated over
# chaoscli's copy of the same metric and dimensions (never written to).
AWS_NAMESPACE = "AWS/ApplicationELB"
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
    arn: str = ""


def lb_dimension(arn: str) -> str:
    """The ``LoadBalancer`` dimension value (``app/name/id``) of an ALB ARN."""
    return arn.split(":loadbalancer/", 1)[-1]


def tg_dimension(arn: str) -> str:
    """The ``TargetGroup`` dimension value (``targetgroup/name/id``) of a target group ARN."""
    return "targetgroup/" + arn.split(":targetgroup/", 1)[-1]


def publish(session: AwsSession, points: Sequence[Datapoint]) -> int:
    """PutMetricData in batches into chaoscli's namespace; how many datapoints were published."""
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
            arn=str(a.get("AlarmArn", "")),
        )
    return out


def created_by_chaoscli(session: AwsSession, alarm: Alarm) -> bool:
    """True when the alarm carries chaoscli's stack tag (chaoscli tags every alarm it creates)."""
    if not alarm.arn:
        return False
    cw = session.client("cloudwatch")
    with aws_errors(f"read the tags of alarm {alarm.name}"):
        tags = cw.list_tags_for_resource(ResourceARN=alarm.arn).get("Tags", [])
    return STACK_TAG in tag_dict(tags)
