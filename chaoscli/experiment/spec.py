"""The experiment file, validated by pydantic: every field, its default and its bounds.

README.md documents these fields; ``chaoscli validate`` and ``run`` reject anything else.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Scalar = str | int | float | bool


class Strict(BaseModel):
    """Base: unknown fields are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


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
    connect_timeout_s: Annotated[float, Field(gt=0, le=60)] = 10
    dns_ttl_s: Annotated[float, Field(ge=1, le=3600)] = 60
    dns_removal_s: Annotated[float, Field(ge=0, le=600)] = 60


class DatabaseSpec(Strict):
    """RDS for MariaDB: Multi-AZ primary and read replicas."""

    engine_version: str = "10.11.6"
    instance_class: str = "db.r6g.large"
    multi_az: bool = True
    read_replicas: Annotated[int, Field(ge=0, le=15)] = 2
    failover_s: tuple[float, float] = (60, 120)

    @model_validator(mode="after")
    def _range(self) -> DatabaseSpec:
        lo, hi = self.failover_s
        if not 0 < lo <= hi:
            raise ValueError("failover_s must be [low, high] with 0 < low <= high")
        return self


class TopologySpec(Strict):
    """The shop's stack as it is provisioned."""

    stack: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")] = "shop"
    region: str = "ap-south-1"
    azs: Annotated[int, Field(ge=1, le=6)] = 3
    instances_per_az: Annotated[int, Field(ge=1, le=400)] = 25
    instance_type: str = "c6i.xlarge"
    instance_capacity_rps: Annotated[float, Field(gt=0)] = 5000
    service_time_ms: Annotated[float, Field(gt=0, le=60000)] = 20
    boot_s: Annotated[float, Field(ge=0, le=3600)] = 60
    queue_limit_s: Annotated[float, Field(gt=0, le=600)] = 1.0
    load_balancer: LoadBalancerSpec = LoadBalancerSpec()
    health_check: HealthCheckSpec = HealthCheckSpec()
    database: DatabaseSpec = DatabaseSpec()


class TrafficSpec(Strict):
    """Customer traffic: a constant rate for the whole run."""

    rps: Annotated[float, Field(gt=0, le=50_000_000)] = 200_000
    duration_s: Annotated[float, Field(ge=10, le=86_400)] = 600


class ClientsSpec(Strict):
    """How customers' clients connect, time out and retry."""

    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    backoff: Literal["none", "full", "equal", "decorrelated"] = "full"
    backoff_base_s: Annotated[float, Field(ge=0, le=60)] = 1.0
    backoff_cap_s: Annotated[float, Field(ge=0, le=600)] = 20.0
    connect_timeout_s: Annotated[float, Field(gt=0, le=120)] = 3.0
    request_timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    customer_timeout_s: Annotated[float, Field(gt=0, le=600)] = 15.0
    dns_fallback: bool = True


class Tolerance(Strict):
    """A probe's bound: the measured value must be >= min and/or <= max."""

    min: float | None = None
    max: float | None = None


class HypothesisSpec(Strict):
    """The steady-state hypothesis, checked before, during and after the fault."""

    title: str = "no visible downtime"
    availability: Tolerance = Tolerance(min=0.999)
    worst_second_success_ratio: Tolerance = Tolerance(min=0.99)
    p99_latency_ms: Tolerance = Tolerance(max=5000)
    windows: list[Literal["before", "during", "after"]] = ["before", "during", "after"]


class FaultStep(Strict):
    """One fault in the method: what, where, when and for how long (virtual seconds)."""

    fault: Literal["az-outage"]
    at_s: Annotated[float, Field(ge=0)] = 120
    duration_s: Annotated[float, Field(gt=0)] = 300
    az: str | None = None


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
    engine: EngineSpec = EngineSpec()

    @field_validator("method")
    @classmethod
    def _method_fits(cls, v: list[FaultStep], info: ValidationInfo) -> list[FaultStep]:
        traffic = info.data.get("traffic")
        for n, step in enumerate(v):
            if traffic is not None and step.at_s >= traffic.duration_s:
                raise ValueError(
                    f"step {n} starts at {step.at_s:g} s, not before the end of the traffic "
                    f"(traffic.duration_s = {traffic.duration_s:g} s)"
                )
        return v
