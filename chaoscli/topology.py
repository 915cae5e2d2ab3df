"""Plain typed objects describing a stack as discovery read it back from the control plane.

Nothing here knows boto3: the AWS adapter builds these, the simulation consumes them, so the
model judges whatever the API says is there, not what an experiment file asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HealthCheck:
    """Target-group health-check settings (ELBv2 names, seconds)."""

    interval_s: float = 30.0
    timeout_s: float = 5.0
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    path: str = "/health"


@dataclass(frozen=True)
class Subnet:
    """A subnet and whether its network ACL lets traffic in and out."""

    id: str
    az: str
    public: bool
    nacl_id: str
    reachable: bool = True


@dataclass(frozen=True)
class Instance:
    """A web server; ``state`` is the EC2 state name, ``target_state`` the ELB target health.

    ``fault`` is what a fault did inside the instance that EC2 cannot show (``crash``: the
    web process is dead and the OS refuses connections; ``hang``: it accepts and never
    answers); faults record it as the ``chaoscli:fault`` tag so discovery can read it back.
    """

    id: str
    az: str
    subnet_id: str
    state: str = "running"
    target_state: str = "healthy"
    tagged: bool = True
    fault: str = ""


@dataclass(frozen=True)
class LoadBalancer:
    """An ALB: one node per enabled zone, its target group and listener settings."""

    name: str
    arn: str
    dns_name: str
    azs: tuple[str, ...]
    target_group_arn: str
    health_check: HealthCheck
    cross_zone: bool = True
    algorithm: str = "round_robin"
    deregistration_delay_s: float = 300.0


@dataclass(frozen=True)
class DbInstance:
    """An RDS instance: the primary or a read replica."""

    id: str
    az: str
    status: str = "available"
    replica_of: str | None = None


@dataclass(frozen=True)
class Database:
    """MariaDB on RDS: a primary (optionally Multi-AZ with a standby zone) and read replicas."""

    primary: DbInstance
    multi_az: bool
    standby_az: str | None
    replicas: tuple[DbInstance, ...] = ()
    engine: str = "mariadb"


@dataclass(frozen=True)
class AutoScaling:
    """The web tier's Auto Scaling group: its size, zones and target-tracking policy.

    ``per_zone``: the tier has one group in each zone, read as one: sizes summed, ``azs`` the
    zones whose group may still launch, ``zone_max`` the smallest group's maximum. Each
    group replaces and adds instances only in its own zone.
    """

    name: str
    min_size: int
    max_size: int
    desired: int
    azs: tuple[str, ...]  # zones it may launch in (its subnets' zones)
    instance_ids: tuple[str, ...]
    target_utilization: float | None = None  # target tracking on average CPU, 0-1
    warmup_s: float = 300.0
    suspended: tuple[str, ...] = ()  # suspended processes, e.g. ("Launch",)
    subnet_ids: tuple[str, ...] = ()  # its VPCZoneIdentifier, sorted
    per_zone: bool = False
    zone_max: int = 0  # with per_zone: the most instances one zone's group may hold


@dataclass(frozen=True)
class NetworkAcl:
    """A network ACL of the stack's VPC, each rule as one line, and whether a fault made it
    (tagged ``chaoscli:purpose=fault``): one left behind is a subnet's deny-all waiting."""

    id: str
    entries: tuple[str, ...]
    fault: bool = False


@dataclass(frozen=True)
class AlarmState:
    """A CloudWatch alarm chaoscli created, and its state."""

    name: str
    state: str


@dataclass(frozen=True)
class Topology:
    """Everything the model needs about one stack at one moment."""

    stack: str
    region: str
    vpc_id: str
    azs: tuple[str, ...]
    subnets: tuple[Subnet, ...]
    instances: tuple[Instance, ...]
    load_balancer: LoadBalancer | None
    database: Database | None
    backup_bucket: str | None = None
    order_queue: str | None = None
    autoscaling: AutoScaling | None = None
    tags: dict[str, str] = field(default_factory=dict)
    nacls: tuple[NetworkAcl, ...] = ()  # every network ACL of the VPC, by id
    alarms: tuple[AlarmState, ...] = ()  # the alarms chaoscli created, by name

    def instances_in(self, az: str) -> list[Instance]:
        """The stack's web instances in one zone."""
        return [i for i in self.instances if i.az == az]

    def zone_reachable(self, az: str) -> bool:
        """True unless every subnet of the zone is cut off by its network ACL."""
        subnets = [s for s in self.subnets if s.az == az]
        return not subnets or any(s.reachable for s in subnets)

    def subnet(self, subnet_id: str) -> Subnet | None:
        """The subnet with this id, if it belongs to the stack."""
        return next((s for s in self.subnets if s.id == subnet_id), None)
