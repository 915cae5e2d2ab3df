"""The parts of a discovered topology a reader of the report needs, as discovered through
the AWS API before the method and after the rollback."""

from __future__ import annotations

from chaoscli.record.base import Part
from chaoscli.record.figures import Figure


class HealthCheck(Part):
    """The target group's health check."""

    interval_s: Figure
    timeout_s: Figure
    healthy_threshold: int
    unhealthy_threshold: int
    path: str

    @property
    def out_after_s(self) -> float:
        """Checks it takes to take a dead target out of rotation, in seconds."""
        return self.interval_s * self.unhealthy_threshold

    @property
    def back_after_s(self) -> float:
        """Checks it takes to put a recovered target back, in seconds."""
        return self.interval_s * self.healthy_threshold


class LoadBalancerSummary(Part):
    """The application load balancer."""

    name: str
    azs: list[str]
    cross_zone: bool
    algorithm: str
    deregistration_delay_s: Figure
    health_check: HealthCheck


class DatabaseSummary(Part):
    """The database's primary, standby and read replicas (id -> zone)."""

    primary: str
    primary_az: str
    multi_az: bool
    standby_az: str | None
    replicas: dict[str, str]


class TopologySummary(Part):
    """One discovery of the stack."""

    stack: str
    region: str
    azs: list[str]
    instances_per_az: dict[str, int]
    running_per_az: dict[str, int]
    load_balancer: LoadBalancerSummary | None
    database: DatabaseSummary | None
    backup_bucket: str | None

    @property
    def instances(self) -> int:
        """Web instances over every zone."""
        return sum(self.instances_per_az.values())

    @property
    def largest_zone(self) -> int:
        """Web instances in the fullest zone."""
        return max(self.instances_per_az.values(), default=0)


class Topologies(Part):
    """The stack before the method and after the rollback."""

    before: TopologySummary | None
    after: TopologySummary | None
