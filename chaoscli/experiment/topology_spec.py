"""The experiment's ``topology`` section: the shop's stack as it is provisioned, and the
numbers the model assumes about its load balancer, servers, database and Auto Scaling."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from chaoscli.experiment.instance_types import vcpus_of
from chaoscli.experiment.spec_fields import Strict, assumed


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
            "(az-outage in mode api-stop; what it answers meanwhile is api_stop_answer)",
            "s",
            "assumed: AWS does not document it",
            ge=0,
            le=600,
        ),
    ] = 1.0
    api_stop_answer: Annotated[
        Literal["refuse", "timeout"],
        assumed(
            "what the load balancer meets when it connects to an instance stopped through "
            "the API before it notices the stop: a refusal (502 at once, as an instance "
            "shutting down resets connections) or nothing (504 after connect_timeout_s)",
            "",
            "assumed: AWS does not document it",
        ),
    ] = "refuse"
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
    """The web tier's Auto Scaling: one group over every zone, or one group in each zone,
    and its policy."""

    enabled: Annotated[
        bool,
        assumed(
            "whether the web tier's Auto Scaling group replaces and adds instances",
            "",
            "the stack's configuration",
        ),
    ] = True
    groups: Annotated[
        Literal["one", "per_zone"],
        assumed(
            "one group over every zone, which replaces a lost zone's instances in the zones "
            "it may still launch in; or per_zone, one group in each zone, which can replace "
            "and add instances only in its own zone",
            "",
            "the stack's configuration (each group's VPCZoneIdentifier)",
        ),
    ] = "one"
    max_per_az: Annotated[int, Field(ge=1, le=1000)] = 100
    target_utilization: Annotated[float, Field(gt=0, le=1)] = 0.6
    warmup_s: Annotated[float, Field(ge=0, le=3600)] = 120
    replace_after_s: Annotated[
        float,
        assumed(
            "how long after Auto Scaling deems an instance unhealthy (stopped, or taken out "
            "by the load balancer's health checks) it launches its replacement",
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
    instances_by_zone: tuple[Annotated[int, Field(ge=1, le=400)], ...] | None = None
    instance_type: str = "c6i.xlarge"
    vcpus: Annotated[
        int | None,
        assumed(
            "vCPUs of one instance; none: from instance_type (c6i.xlarge has 4)",
            "vCPUs",
            "Amazon EC2 docs: Amazon EC2 instance types (specifications by size)",
            ge=1,
            le=448,
        ),
    ] = None
    workers: Annotated[
        int | None,
        assumed(
            "requests one instance works on at once, the c of its M/M/c queue; none: one "
            "per vCPU, as for CPU-bound work (a thread pool waiting on I/O holds more)",
            "requests",
            "assumed: CPU-bound service; measure the concurrency at which throughput stops "
            "growing in a load test",
            ge=1,
            le=10_000,
        ),
    ] = None
    instance_capacity_rps: Annotated[
        float,
        assumed(
            "requests per second one instance serves at full load; with the workers it fixes "
            "the mean service time (workers / capacity: 0.8 ms for 4 workers at 5000 req/s)",
            "requests/s",
            "assumed: measure it with a load test of the instance type",
            gt=0,
            le=10_000_000,
        ),
    ] = 5000
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

    @field_validator("instances_by_zone", mode="before")
    @classmethod
    def _a_list(cls, v: object) -> object:
        if v is not None and not isinstance(v, list | tuple):
            raise ValueError("must be a list of instance counts, one per zone, e.g. [4, 3, 3]")
        return v

    @model_validator(mode="after")
    def _one_count_per_zone(self) -> TopologySpec:
        by_zone = self.instances_by_zone
        if by_zone is not None and len(by_zone) != self.azs:
            raise ValueError(
                f"instances_by_zone has {len(by_zone)} count(s) for {self.azs} zone(s): "
                "give one per zone"
            )
        return self

    @property
    def zone_counts(self) -> tuple[int, ...]:
        """Web instances in each zone, in zone order."""
        if self.instances_by_zone is not None:
            return tuple(self.instances_by_zone)
        return (self.instances_per_az,) * self.azs

    @model_validator(mode="after")
    def _vcpus_known(self) -> TopologySpec:
        if self.vcpus is None and vcpus_of(self.instance_type) is None:
            raise ValueError(
                f"the vCPUs of instance type {self.instance_type!r} are not known: set vcpus"
            )
        return self

    @property
    def workers_per_instance(self) -> int:
        """Parallel workers of one instance: the workers field, else one per vCPU."""
        vcpus = self.vcpus if self.vcpus is not None else vcpus_of(self.instance_type)
        return self.workers if self.workers is not None else int(vcpus or 1)
