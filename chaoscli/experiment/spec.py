"""The experiment file, validated by pydantic: every field, its default and its bounds.

README.md documents these fields; ``chaoscli validate`` and ``run`` reject anything else.
A method step's settings are those its fault module declares (``chaoscli.experiment.faults``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from chaoscli.experiment.faults.step import WAIT, FaultStep
from chaoscli.record.probes import CATALOGUE

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


class Strict(BaseModel):
    """Base: unknown fields are errors, so a typo never passes silently; numbers are finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def assumed(
    description: str,
    unit: str,
    source: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A field the model assumes: its meaning, unit and source, for the README's model table.

    ``source`` names the AWS documentation page a user can look up, a measurement, or says
    "assumed"; ``gt``, ``ge`` and ``le`` are pydantic's bounds.
    """
    return Field(
        description=description,
        json_schema_extra={"unit": unit, "source": source},
        gt=gt,
        ge=ge,
        le=le,
    )


class HealthCheckSpec(Strict):
    """Target-group health check (ELBv2 limits)."""

    interval_s: Annotated[float, Field(ge=5, le=300)] = 30
    timeout_s: Annotated[float, Field(ge=2, le=120)] = 5
    healthy_threshold: Annotated[int, Field(ge=2, le=10)] = 5
    unhealthy_threshold: Annotated[int, Field(ge=2, le=10)] = 2
    path: str = "/health"

    @field_validator("timeout_s")
    @classmethod
    def _timeout_below_interval(cls, v: float, info: ValidationInfo) -> float:
        interval = info.data.get("interval_s")
        if interval is not None and v >= interval:
            raise ValueError(f"must be less than interval_s ({interval:g}), an ELBv2 rule")
        return v


class LoadBalancerSpec(Strict):
    """The Application Load Balancer and its clients' DNS."""

    cross_zone: bool = True
    algorithm: Literal["round_robin", "least_outstanding_requests"] = "round_robin"
    deregistration_delay_s: Annotated[float, Field(ge=0, le=3600)] = 300
    connect_timeout_s: Annotated[
        float,
        assumed(
            "how long the ALB waits to connect to a target before it answers 504",
            "s",
            "AWS ELB docs: Troubleshoot your Application Load Balancers (HTTP 504)",
            gt=0,
            le=60,
        ),
    ] = 10
    dns_ttl_s: Annotated[
        float,
        assumed(
            "how long clients keep the load balancer's DNS answer",
            "s",
            "AWS ELB docs: How Elastic Load Balancing works (DNS TTL of 60 seconds)",
            ge=1,
            le=3600,
        ),
    ] = 60
    dns_removal_s: Annotated[
        float,
        assumed(
            "how long after its zone goes dark a load-balancer node leaves DNS",
            "s",
            "assumed: AWS does not document it",
            ge=0,
            le=600,
        ),
    ] = 60
    api_stop_notice_s: Annotated[
        float,
        assumed(
            "how long after an API stop ELB takes the stopped instance out of rotation "
            "(it refuses connections meanwhile)",
            "s",
            "assumed: AWS does not document it",
            ge=0,
            le=600,
        ),
    ] = 1.0
    lor_refused_weight_cap: Annotated[
        float,
        assumed(
            "with least_outstanding_requests, the most traffic a target that refuses at once "
            "attracts, as a multiple of a healthy target's share",
            "x",
            "assumed: AWS does not document how the algorithm weighs failing targets",
            ge=1,
            le=1000,
        ),
    ] = 20.0


class DatabaseSpec(Strict):
    """RDS for MariaDB: Multi-AZ primary and read replicas."""

    engine_version: str = "10.11.6"
    instance_class: str = "db.r6g.large"
    multi_az: bool = True
    read_replicas: Annotated[int, Field(ge=0, le=15)] = 2
    failover_s: Annotated[
        tuple[float, float],
        assumed(
            "[low, high]: writes fail for a time drawn from this range in a Multi-AZ failover",
            "s",
            "Amazon RDS docs: Failing over a Multi-AZ DB instance for Amazon RDS "
            "(typically one to two minutes)",
        ),
    ] = (60, 120)
    write_timeout_s: Annotated[
        float,
        assumed(
            "how long the web tier waits for a database write before failing the order",
            "s",
            "assumed: the application's setting",
            gt=0,
            le=60,
        ),
    ] = 2.0
    replica_lag_s: Annotated[
        float,
        assumed(
            "how far a read replica trails the primary: the orders lost when one is promoted",
            "s",
            "assumed: measure it with the ReplicaLag metric (Amazon RDS docs: Working with "
            "DB instance read replicas)",
            ge=0,
            le=3600,
        ),
    ] = 1.0
    promote_replica_after_s: Annotated[
        float | None,
        assumed(
            "without a standby, when an operator promotes a replica (empty: never)",
            "s",
            "assumed: the operator's runbook",
            gt=0,
            le=86_400,
        ),
    ] = None

    @model_validator(mode="after")
    def _range(self) -> DatabaseSpec:
        lo, hi = self.failover_s
        if not 0 < lo <= hi:
            raise ValueError("failover_s must be [low, high] with 0 < low <= high")
        return self


class OrderQueueSpec(Strict):
    """A durable order queue (SQS) between web and database: orders are acknowledged once
    queued and committed by workers when the primary takes writes."""

    enabled: bool = False
    drain_rps: Annotated[
        float,
        assumed(
            "how many queued orders the workers commit per second",
            "orders/s",
            "assumed: the workers' measured throughput",
            gt=0,
            le=10_000_000,
        ),
    ] = 10_000


class AutoScalingSpec(Strict):
    """The web tier's Auto Scaling group (one group over every zone) and its policy."""

    enabled: Annotated[
        bool,
        assumed(
            "whether the web tier's Auto Scaling group replaces and adds instances",
            "",
            "the stack's configuration",
        ),
    ] = True
    max_per_az: Annotated[int, Field(ge=1, le=1000)] = 100
    target_utilization: Annotated[float, Field(gt=0, le=1)] = 0.6
    warmup_s: Annotated[float, Field(ge=0, le=3600)] = 120
    replace_after_s: Annotated[
        float,
        assumed(
            "how long after an instance stops Auto Scaling launches its replacement",
            "s",
            "assumed: Amazon EC2 Auto Scaling docs: Health checks for instances in an Auto "
            "Scaling group (the delay is not documented)",
            ge=0,
            le=3600,
        ),
    ] = 60
    alarm_periods: Annotated[
        int,
        assumed(
            "one-minute averages above the target before target tracking scales out",
            "minutes",
            "Amazon EC2 Auto Scaling docs: Target tracking scaling policies for Amazon EC2 "
            "Auto Scaling (the alarms it creates)",
            ge=1,
            le=60,
        ),
    ] = 3


class TopologySpec(Strict):
    """The shop's stack as it is provisioned."""

    stack: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")] = "shop"
    region: str = "ap-south-1"
    azs: Annotated[int, Field(ge=1, le=6)] = 3
    instances_per_az: Annotated[int, Field(ge=1, le=400)] = 25
    instance_type: str = "c6i.xlarge"
    instance_capacity_rps: Annotated[
        float,
        assumed(
            "requests per second one instance serves at full load",
            "requests/s",
            "assumed: measure it with a load test of the instance type",
            gt=0,
            le=10_000_000,
        ),
    ] = 5000
    service_time_ms: Annotated[
        float,
        assumed(
            "mean time an instance spends on one request (exponential)",
            "ms",
            "assumed: measure it as TargetResponseTime at low load",
            gt=0,
            le=60000,
        ),
    ] = 20
    network_ms: Annotated[
        float,
        assumed(
            "network time of an attempt between client, load balancer and target, "
            "also the time a refused or shed attempt takes",
            "ms",
            "assumed: a round trip within one region",
            gt=0,
            le=10_000,
        ),
    ] = 5
    boot_s: Annotated[
        float,
        assumed(
            "how long a new instance takes from launch until it can pass health checks",
            "s",
            "assumed: measure the AMI's boot and the application's start",
            ge=0,
            le=3600,
        ),
    ] = 60
    queue_limit_s: Annotated[
        float,
        assumed(
            "the most work an instance holds queued; what arrives beyond it is shed (503)",
            "s",
            "assumed: the server's accept queue and worker settings",
            gt=0,
            le=600,
        ),
    ] = 1.0
    load_balancer: LoadBalancerSpec = LoadBalancerSpec()
    health_check: HealthCheckSpec = HealthCheckSpec()
    database: DatabaseSpec = DatabaseSpec()
    order_queue: OrderQueueSpec = OrderQueueSpec()
    autoscaling: AutoScalingSpec = AutoScalingSpec()


class TrafficSpec(Strict):
    """Customer traffic: a constant rate for the whole run."""

    rps: Annotated[float, Field(gt=0, le=50_000_000)] = 200_000
    checkout_share: Annotated[float, Field(ge=0, le=1)] = 0.01
    duration_s: Annotated[float, Field(ge=10, le=86_400)] = 600


class ClientsSpec(Strict):
    """How customers' clients connect, time out and retry."""

    max_attempts: Annotated[
        int,
        assumed(
            "attempts per request, the first included",
            "attempts",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=1,
            le=10,
        ),
    ] = 3
    backoff: Annotated[
        Literal["none", "full", "equal", "decorrelated"],
        assumed(
            "the jitter of the backoff between attempts",
            "",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
        ),
    ] = "full"
    backoff_base_s: Annotated[
        float,
        assumed(
            "backoff ceiling after the first failure, doubling after each",
            "s",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=60,
        ),
    ] = 1.0
    backoff_cap_s: Annotated[
        float,
        assumed(
            "the largest backoff ceiling",
            "s",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=600,
        ),
    ] = 20.0
    connect_timeout_s: Annotated[
        float,
        assumed(
            "how long a client waits for a load-balancer node to accept a connection",
            "s",
            "assumed: the client's setting",
            gt=0,
            le=120,
        ),
    ] = 3.0
    request_timeout_s: Annotated[
        float,
        assumed(
            "how long a client waits for one attempt's answer",
            "s",
            "assumed: the client's setting",
            gt=0,
            le=600,
        ),
    ] = 10.0
    customer_timeout_s: Annotated[
        float,
        assumed(
            "how long a customer waits, retries included, before giving up (a visible error)",
            "s",
            "assumed",
            gt=0,
            le=600,
        ),
    ] = 15.0
    dns_fallback: Annotated[
        bool,
        assumed(
            "after a connect timeout a client tries the next address of its DNS answer",
            "",
            "assumed: what browsers and most HTTP clients do",
        ),
    ] = True
    retry_budget: Annotated[
        bool,
        assumed(
            "clients keep the SDK's retry token bucket",
            "",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
        ),
    ] = True
    requests_per_client_s: Annotated[
        float,
        assumed(
            "requests one client sends per second: how load spreads over token buckets",
            "requests/s",
            "assumed",
            gt=0,
            le=1000,
        ),
    ] = 0.2
    retry_tokens: Annotated[
        float,
        assumed(
            "size of a client's retry token bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            gt=0,
            le=100_000,
        ),
    ] = 500.0
    retry_cost_tokens: Annotated[
        float,
        assumed(
            "tokens a retry takes from the bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=100_000,
        ),
    ] = 5.0
    timeout_retry_cost_tokens: Annotated[
        float,
        assumed(
            "tokens a retry after a timeout takes from the bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=100_000,
        ),
    ] = 10.0
    success_refund_tokens: Annotated[
        float,
        assumed(
            "tokens a successful attempt puts back into the bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=100_000,
        ),
    ] = 1.0


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
    strategy: Strategy = "default"
    windows: list[Literal["before", "during", "after"]] | None = None
    recovery: RecoverySpec = RecoverySpec()

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
        **{p.name: (Tolerance, Tolerance(min=p.default_min, max=p.default_max)) for p in CATALOGUE},
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
    parameters: dict[str, Scalar] = {}
    topology: TopologySpec = TopologySpec()
    traffic: TrafficSpec = TrafficSpec()
    clients: ClientsSpec = ClientsSpec()
    hypothesis: HypothesisSpec = HypothesisSpec()
    method: list[FaultStep] = []
    stop_conditions: list[StopCondition] = []
    alarms: list[AlarmSpec] = []
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
