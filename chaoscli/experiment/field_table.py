"""Every field of the experiment file as a Markdown table, generated from the spec's models.

The README's fields table is printed from here (``python -m chaoscli.experiment.field_table``)
so it lists exactly the fields pydantic accepts, with their defaults and bounds; a field whose
model carries no description takes its meaning from ``MEANING``, and a test fails when a field
has neither or when ``MEANING`` names a field that no longer exists.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from chaoscli.experiment.model_table import as_written
from chaoscli.experiment.spec import Experiment, Tolerance

# The meaning of each field whose model declares no description, by dotted path ("[]": an
# item of a list).
MEANING: dict[str, str] = {
    "title": "the experiment's name in reports",
    "description": "what it shows; `list` prints it whole",
    "expect": "the verdict `run --all` expects: held, or deviated for a counter-example",
    "parameters": "names set with `--var name=value`, used as `${name}` in the file",
    "topology.stack": "the stack's name: every resource is tagged `chaoscli:stack=<name>`",
    "topology.region": "the AWS region the stack lives in",
    "topology.azs": "availability zones used (the first N of the region, sorted)",
    "topology.instances_per_az": "web instances launched in each zone",
    "topology.instances_by_zone": "web instances in each zone, in zone order, when zones "
    "differ, e.g. `[4, 3, 3]` (one count per zone, each 1-400; empty: instances_per_az in every "
    "zone)",
    "topology.instance_type": "EC2 instance type; its vCPUs set the workers",
    "topology.load_balancer.cross_zone": "load-balancer nodes route to targets in every zone",
    "topology.load_balancer.algorithm": "the target group's routing algorithm",
    "topology.load_balancer.deregistration_delay_s": "the target group's deregistration delay "
    "(set on the stack; the model does not drain connections)",
    "topology.health_check.interval_s": "time between the target group's health checks",
    "topology.health_check.timeout_s": "a health check's timeout (less than the interval)",
    "topology.health_check.healthy_threshold": "passing checks before a target enters rotation",
    "topology.health_check.unhealthy_threshold": "failed checks before a target leaves rotation",
    "topology.health_check.path": "the URL path the health check requests",
    "topology.database.engine_version": "MariaDB version of the RDS instances",
    "topology.database.instance_class": "RDS instance class of the primary and replicas",
    "topology.database.multi_az": "a synchronous standby in another zone (Multi-AZ)",
    "topology.database.read_replicas": "read replicas, in the zones other than the primary's",
    "topology.order_queue.enabled": "checkout goes through a durable SQS order queue",
    "topology.autoscaling.max_per_az": "the Auto Scaling group's maximum, per zone",
    "topology.autoscaling.target_utilization": "target tracking's target for average CPU",
    "topology.autoscaling.warmup_s": "instance warm-up of the scaling policy",
    "traffic.rps": "customer requests per second at the peak",
    "traffic.checkout_share": "share of requests that are checkouts (order writes)",
    "traffic.duration_s": "virtual length of the run",
    "hypothesis.title": "the hypothesis's name in reports",
    "hypothesis.strategy": "Chaos Toolkit's: when the hypothesis is judged (default: before "
    "and after the method)",
    "hypothesis.windows": "the windows judged, overriding strategy (before, during, after)",
    "hypothesis.recovery.success_ratio_min": "a normal second's lowest success ratio (empty: "
    "the worst-second probe's minimum, else 0.99)",
    "hypothesis.recovery.p99_factor": "a normal second's p99 is at most before p99 x this...",
    "hypothesis.recovery.p99_margin_ms": "...or before p99 + this, whichever is higher",
    "hypothesis.runs_must_hold": "with `--runs N`: the share of runs that must hold",
    "method[].fault": "the fault: az-outage, router-failure, instance-crash, rds-failover, "
    "replica-loss, gray-failure, az-slowdown, traffic-spike (or `wait_s: N` for a pause)",
    "method[].at_s": "when the step starts (empty: when the previous step ends)",
    "method[].duration_s": "how long the fault lasts before it is undone",
    "method[].az": "the zone it strikes (empty: the database primary's zone)",
    "method[].mode": "the fault's mode, e.g. az-outage's power-loss or api-stop",
    "method[].selection": "targets as AWS FIS picks them: ALL, COUNT(n), PERCENT(n)",
    "method[].tags": "only targets carrying these tags",
    "method[].latency_ms": "added latency (gray-failure, az-slowdown)",
    "method[].error_share": "share of requests answered with an error (gray-failure)",
    "method[].rps": "the load a traffic-spike ramps to",
    "method[].ramp_s": "how long a traffic-spike takes to reach its load",
    "method[].fail_back": "fail the database back in the rollback: a second write outage",
    "stop_conditions[].metric": "a modelled metric that stops the method when above `above`",
    "stop_conditions[].above": "the metric's threshold",
    "stop_conditions[].over_s": "how long the metric must stay above it",
    "stop_conditions[].alarm": "or: the name of a CloudWatch alarm (declared under alarms or "
    "existing) whose ALARM state stops the method",
    "alarms[].name": "the alarm's name, created if the account lacks it",
    "alarms[].metric": "the load balancer's metric it watches",
    "alarms[].statistic": "the statistic over each period",
    "alarms[].threshold": "the value it compares the statistic with",
    "alarms[].comparison": "how it compares",
    "alarms[].period_s": "the length of one period",
    "alarms[].evaluation_periods": "periods it looks back over",
    "alarms[].datapoints_to_alarm": "breaching periods among them that set ALARM (empty: all)",
    "alarms[].az": "the zone whose metric it watches (empty: the whole load balancer)",
    "engine.samples_per_s": "sampled customers per virtual second (cost, not load)",
    "engine.tick_s": "resolution of the world's state",
}

# Units of fields without one declared: by name, else from the name's suffix.
_UNIT_OF_NAME = {
    "rps": "requests/s",
    "target_utilization": "share",
    "runs_must_hold": "share",
    "success_ratio_min": "share",
    "p99_factor": "x",
    "instances_per_az": "instances",
    "instances_by_zone": "instances",
    "read_replicas": "replicas",
    "max_per_az": "instances",
    "healthy_threshold": "checks",
    "unhealthy_threshold": "checks",
    "evaluation_periods": "periods",
    "datapoints_to_alarm": "periods",
}
_UNIT_OF_SUFFIX = {
    "_per_s": "per s",
    "_ms": "ms",
    "_s": "s",
    "_rps": "requests/s",
    "_share": "share",
    "_ratio": "share",
}


@dataclass(frozen=True)
class Row:
    """One field of the experiment file: its path, default, unit, allowed values and meaning."""

    path: str
    info: FieldInfo

    @property
    def default(self) -> str:
        """The default as written in an experiment file, or "required"."""
        if self.info.is_required():
            return "required"
        value = self.info.get_default(call_default_factory=True)
        if value == {} or value == []:
            return "(none)"
        if value == "":
            return "(empty)"
        return as_written(value)

    @property
    def unit(self) -> str:
        """The declared unit, else one read from the name's suffix."""
        extra = self.info.json_schema_extra
        if isinstance(extra, dict) and "unit" in extra:
            return str(extra["unit"])
        name = self.path.rsplit(".", 1)[-1]
        if name in _UNIT_OF_NAME:
            return _UNIT_OF_NAME[name]
        return next((u for suffix, u in _UNIT_OF_SUFFIX.items() if name.endswith(suffix)), "")

    @property
    def allowed(self) -> str:
        """The choices of a Literal, or the numeric bounds pydantic enforces."""
        choices = _choices(self.info.annotation)
        if choices:
            return ", ".join(str(c) for c in choices)
        bounds = []
        for meta in _metadata(self.info):
            for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
                if isinstance(meta, getattr(annotated_types, attr.capitalize())):
                    bounds.append(f"{sign} {as_written(getattr(meta, attr))}")
        return ", ".join(bounds)

    @property
    def meaning(self) -> str:
        """The model's description, else the entry in ``MEANING``."""
        return self.info.description or MEANING.get(self.path, "")


def rows(model: type[BaseModel] = Experiment, prefix: str = "") -> Iterator[Row]:
    """Every field a file may set, depth first, in declaration order; a probe's bound
    (``{min, max}``) is one field."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner = _leaf(info)
        if inner is None or inner is Tolerance:
            yield Row(path, info)
        else:
            many = typing.get_origin(info.annotation) is list
            yield from rows(inner, f"{path}[]." if many else f"{path}.")


def _leaf(info: FieldInfo) -> type[BaseModel] | None:
    """The model a field holds (itself or in a list), or None for a plain value."""
    kind = info.annotation
    for candidate in (kind, *typing.get_args(kind)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _metadata(info: FieldInfo) -> list[Any]:
    """The field's constraints, also those inside an ``Annotated[...] | None``."""
    found = list(info.metadata)
    if isinstance(info.annotation, UnionType) or typing.get_origin(info.annotation) is typing.Union:
        for arg in typing.get_args(info.annotation):
            found += list(getattr(arg, "__metadata__", ()))
    flat: list[Any] = []
    for meta in found:
        flat += list(meta.metadata) if isinstance(meta, FieldInfo) else [meta]
    return flat


def _choices(kind: Any) -> tuple[Any, ...]:
    """The values of a Literal (also inside Optional), or ()."""
    if typing.get_origin(kind) is typing.Literal:
        return typing.get_args(kind)
    for arg in typing.get_args(kind):
        if arg is not NoneType and typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)
    return ()


def markdown() -> str:
    """The fields table: path, default, unit, allowed values and meaning of every field."""
    lines = [
        "| Field | Default | Unit | Allowed | Meaning |",
        "|---|---|---|---|---|",
    ]
    for r in rows():
        lines.append(f"| `{r.path}` | {r.default} | {r.unit} | {r.allowed} | {r.meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
