"""The experiment file, validated by pydantic: every field, its default and its bounds.

README.md documents these fields; ``chaoscli validate`` and ``run`` reject anything else.
A method step's settings are those its fault module declares (``chaoscli.experiment.faults``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from chaoscli.experiment.clients_spec import ClientsSpec, TrafficSpec
from chaoscli.experiment.faults.step import WAIT, FaultStep
from chaoscli.experiment.spec_fields import Strict, assumed
from chaoscli.experiment.topology_spec import TopologySpec
from chaoscli.record.probes import CATALOGUE
from chaoscli.sim.metrics import DEFAULT_PATIENCE_S

Scalar = str | int | float | bool | None
# Chaos Toolkit's names for when the steady-state hypothesis is checked
Strategy = Literal[
    "default", "before-method-only", "after-method-only", "during-method-only", "continuously"
]
STRATEGY_WINDOWS: dict[str, tuple[str, ...]] = {
    "default": ("before", "after"),
    "before-method-only": ("before",),
    "after-method-only": ("after",),
    "during-method-only": ("during",),
    "continuously": ("before", "during", "after"),
}


class Tolerance(Strict):
    """A probe's bound: the measured value must be >= min and/or <= max."""

    min: float | None = None
    max: float | None = None


class RecoverySpec(Strict):
    """When a second counts as back to normal, for customers' recovery time: success ratio
    at least ``success_ratio_min`` (default: the worst-second probe's minimum) and p99 at
    most max(before p99 x ``p99_factor``, before p99 + ``p99_margin_ms``)."""

    success_ratio_min: Annotated[float, Field(ge=0, le=1)] | None = None
    p99_factor: Annotated[float, Field(ge=1, le=100)] = 1.5
    p99_margin_ms: Annotated[float, Field(ge=0, le=60_000)] = 50


class HypothesisBase(Strict):
    """The steady-state hypothesis, checked before, during and after the fault: a title, a
    bound per probe of the catalogue (chaoscli.record.probes), and when to judge."""

    title: str = "no visible downtime"
    patience_s: Annotated[
        float,
        assumed(
            "a customer's patience: a request that succeeds later than this, retries included, "
            "is a slow request, as bad for a customer as a failed one",
            "s",
            "assumed: the wait after which web users abandon a page; measure yours",
            gt=0,
            le=3600,
        ),
    ] = DEFAULT_PATIENCE_S
    strategy: Strategy = "default"
    windows: list[Literal["before", "during", "after"]] | None = None
    recovery: RecoverySpec = RecoverySpec()
    # with --runs N: the share of runs that must hold for the verdict to be "held"
    runs_must_hold: Annotated[float, Field(gt=0, le=1)] = 1.0

    def tolerance(self, probe: str) -> Tolerance:
        """The bound the experiment sets for one probe of the catalogue."""
        bound: Tolerance = getattr(self, probe)
        return bound

    @property
    def checked_windows(self) -> list[str]:
        """The windows to judge: ``windows`` if given, else those of the strategy."""
        return (
            list(self.windows)
            if self.windows is not None
            else list(STRATEGY_WINDOWS[self.strategy])
        )


if TYPE_CHECKING:
    HypothesisSpec = HypothesisBase
else:
    HypothesisSpec = create_model(
        "HypothesisSpec",
        __base__=HypothesisBase,
        __module__=__name__,
        **{
            p.name: (
                Tolerance,
                Field(
                    default=Tolerance(min=p.default_min, max=p.default_max),
                    description=p.meaning,
                    json_schema_extra={"unit": "share" if p.ratio else p.unit, "source": p.source},
                ),
            )
            for p in CATALOGUE
        },
    )


class StopCondition(Strict):
    """An AWS FIS stop condition: a measured guard or a CloudWatch alarm that ends the method.

    ``metric`` trips when its value over the last ``over_s`` seconds is above ``above``;
    ``alarm`` trips when the named CloudWatch alarm goes into ALARM.
    """

    metric: Literal["visible_error_ratio", "attempt_error_ratio", "p99_latency_ms"] | None = None
    above: float | None = None
    over_s: Annotated[float, Field(ge=1, le=3600)] = 10
    alarm: Annotated[str, Field(min_length=1, max_length=255)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> StopCondition:
        """Exactly one of metric (with its threshold) or alarm."""
        if (self.metric is None) == (self.alarm is None):
            raise ValueError("give either metric (with above) or alarm")
        if self.metric is not None and self.above is None:
            raise ValueError("above: a metric stop condition needs a threshold")
        if self.alarm is not None and ({"above", "over_s"} & self.model_fields_set):
            raise ValueError("above/over_s: an alarm carries its own threshold and period")
        return self


class AlarmSpec(Strict):
    """A CloudWatch alarm on the load balancer's metrics, created if the account lacks it."""

    name: Annotated[str, Field(min_length=1, max_length=255)]
    metric: Literal[
        "RequestCount",
        "HTTPCode_ELB_5XX_Count",
        "TargetResponseTime",
        "HealthyHostCount",
        "UnHealthyHostCount",
    ]
    statistic: Literal["Sum", "Average", "Minimum", "Maximum", "SampleCount"] = "Sum"
    threshold: float
    comparison: Literal[
        "GreaterThanThreshold",
        "GreaterThanOrEqualToThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ] = "GreaterThanThreshold"
    period_s: Literal[60, 120, 180, 300, 600, 900, 3600] = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=60)] = 1
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=60)] | None = None
    az: str | None = None

    @model_validator(mode="after")
    def _fits(self) -> AlarmSpec:
        """M of N: datapoints_to_alarm cannot exceed evaluation_periods."""
        if self.datapoints_to_alarm is not None and (
            self.datapoints_to_alarm > self.evaluation_periods
        ):
            raise ValueError("datapoints_to_alarm: must not exceed evaluation_periods")
        return self


class EngineSpec(Strict):
    """Sampling resolution of the fast engine (independent of the request rate)."""

    samples_per_s: Annotated[int, Field(ge=100, le=100_000)] = 2000
    tick_s: Annotated[float, Field(ge=0.01, le=1.0)] = 0.1


class Experiment(Strict):
    """A whole experiment file."""

    title: str
    description: str = ""
    # the verdict this experiment declares it expects; `run --all` fails on any other
    expect: Literal["held", "deviated"] = "held"
    parameters: dict[str, Scalar] = Field(default_factory=dict)
    topology: TopologySpec = TopologySpec()
    traffic: TrafficSpec = TrafficSpec()
    clients: ClientsSpec = ClientsSpec()
    hypothesis: HypothesisSpec = HypothesisSpec()
    # required: a file without faults says so with ``method: []`` (a baseline run)
    method: list[FaultStep]
    stop_conditions: list[StopCondition] = Field(default_factory=list)
    alarms: list[AlarmSpec] = Field(default_factory=list)
    engine: EngineSpec = EngineSpec()

    @field_validator("method")
    @classmethod
    def _method_fits(cls, v: list[FaultStep], info: ValidationInfo) -> list[FaultStep]:
        """Place steps without ``at_s`` after the previous one; every step starts in time."""
        traffic = info.data.get("traffic")
        cursor = 0.0
        for n, step in enumerate(v):
            if step.at_s is None:
                step.at_s = cursor
            cursor = step.end_s
            if traffic is not None and step.at_s >= traffic.duration_s:
                raise ValueError(
                    f"step {n} starts at {step.at_s:g} s, not before the end of the traffic "
                    f"(traffic.duration_s = {traffic.duration_s:g} s)"
                )
        return v

    @model_validator(mode="after")
    def _alarms_declared_once(self) -> Experiment:
        """Alarm names are unique."""
        names = [a.name for a in self.alarms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"alarms: {', '.join(dupes)} declared more than once")
        return self

    @property
    def faults(self) -> list[FaultStep]:
        """The method's fault steps, without the waits."""
        return [s for s in self.method if s.fault != WAIT]
