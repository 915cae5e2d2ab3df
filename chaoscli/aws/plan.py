"""What to build: the few numbers a stack is made of, checked before any AWS call is made."""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass, field

from chaoscli.errors import SpecError
from chaoscli.topology import HealthCheck

# ALB names are at most 32 characters and "<stack>-alb" must fit; S3 wants lower case.
_STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,26}[a-z0-9]$")
_ALGORITHMS = ("round_robin", "least_outstanding_requests", "weighted_random")
MAX_AZS = 8  # a /16 VPC holds sixteen /20 subnets: one public and one private per zone


@dataclass(frozen=True)
class StackPlan:
    """The shop's stack as provisioning should build it; everything after ``stack`` by keyword."""

    stack: str
    _: KW_ONLY
    region: str = "ap-south-1"
    azs: int = 3
    instances_per_az: int
    instances_by_zone: tuple[int, ...] = ()  # per zone, in zone order; empty: instances_per_az
    instance_type: str = "t3.medium"
    health_check: HealthCheck = field(default_factory=HealthCheck)
    cross_zone: bool = True
    algorithm: str = "round_robin"
    deregistration_delay_s: float = 300  # whole seconds at AWS
    db_engine_version: str = "10.11.6"
    db_multi_az: bool = True
    read_replicas: int = 2
    db_instance_class: str = "db.r6g.large"
    backup_bucket: bool = True
    order_queue: bool = False
    autoscaling: bool = True
    asg_per_zone: bool = False  # one Auto Scaling group in each zone rather than one over all
    asg_max_per_az: int = 100
    asg_target_utilization: float = 0.6
    asg_warmup_s: float = 120

    def __post_init__(self) -> None:
        """Reject values AWS would reject later, halfway through provisioning."""
        if not _STACK_NAME.match(self.stack):
            self._bad("stack", "2-28 characters: lower-case letters, digits, inner hyphens")
        if not 1 <= self.azs <= MAX_AZS:
            self._bad("azs", f"must be between 1 and {MAX_AZS}")
        if not 0 <= self.instances_per_az <= 1000:
            self._bad("instances_per_az", "must be between 0 and 1000")
        if self.instances_by_zone and (
            len(self.instances_by_zone) != self.azs
            or not all(0 <= n <= 1000 for n in self.instances_by_zone)
        ):
            self._bad("instances_by_zone", "one count per zone, each between 0 and 1000")
        if self.read_replicas < 0:
            self._bad("read_replicas", "must be >= 0")
        if self.db_multi_az and self.azs < 2:
            self._bad("db_multi_az", "a Multi-AZ standby needs at least 2 zones")
        if self.algorithm not in _ALGORITHMS:
            self._bad("algorithm", f"must be one of {', '.join(_ALGORITHMS)}")
        if not 0 <= self.deregistration_delay_s <= 3600:
            self._bad("deregistration_delay_s", "must be between 0 and 3600")
        hc = self.health_check
        if not (5 <= hc.interval_s <= 300 and 2 <= hc.timeout_s < hc.interval_s):
            self._bad("health_check", "interval 5-300 s, timeout 2 s to less than the interval")
        if not (2 <= hc.healthy_threshold <= 10 and 2 <= hc.unhealthy_threshold <= 10):
            self._bad("health_check", "thresholds must be between 2 and 10")

    def _bad(self, name: str, message: str) -> None:
        """Raise the SpecError for one invalid field."""
        raise SpecError("stack plan", name, message)

    def instances_in(self, index: int) -> int:
        """Web instances to launch in the zone at ``index`` of the stack's zones."""
        return self.instances_by_zone[index] if self.instances_by_zone else self.instances_per_az

    @property
    def alb_name(self) -> str:
        """Name of the stack's Application Load Balancer."""
        return f"{self.stack}-alb"

    @property
    def target_group_name(self) -> str:
        """Name of the web servers' target group."""
        return f"{self.stack}-web"
