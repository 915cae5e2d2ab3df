"""Turn a stack read from AWS into the overrides that make a shipped experiment model it.

The model's control plane is a copy: each run provisions this shape in in-process moto, so
the stack that was read is never touched. Zones keep their roles: the database primary's zone
comes first, as the model places its primary in its first zone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from chaoscli.assess.inputs import AssessmentInputs, Source
from chaoscli.aws.foreign import Foreign
from chaoscli.aws.regions import stack_zones
from chaoscli.experiment.instance_types import vcpus_of

# Where the model runs when the stack's region is one chaoscli has no zone table for.
FALLBACK_REGION = "us-east-1"
# The shipped experiments' per-instance capacity, used when none is given.
DEFAULT_CAPACITY_RPS = 5000.0


@dataclass(frozen=True)
class Shape:
    """A stack as the model copies it: the ``--set`` overrides, the zone each of the stack's
    zones is played by, and the inputs with their values and sources."""

    sets: tuple[str, ...]
    zones: dict[str, str]  # the stack's zone -> the model's zone
    inputs: tuple[tuple[str, str, str], ...]  # (input, value, source)
    approximations: tuple[str, ...]
    primary_az: str | None
    multi_az: bool
    duration_s: float
    at_s: float


def shape_of(found: Foreign, inputs: AssessmentInputs, sources: dict[str, Source]) -> Shape:
    """The overrides that make the shipped experiments model ``found``."""
    topo = found.topology
    notes: list[str] = []
    per_zone = Counter(i.az for i in topo.instances if i.state in ("pending", "running"))
    zones = sorted(per_zone) or list(topo.azs)
    primary = topo.database.primary.az if topo.database else None
    ordered = ([primary] if primary in zones else []) + [z for z in zones if z != primary]
    region = topo.region if stack_zones(topo.region, len(ordered)) else FALLBACK_REGION
    model_zones = stack_zones(region, len(ordered)) or []
    counts = [per_zone[z] for z in ordered if z in per_zone] or [1]
    itype = (
        max(found.instance_types, key=lambda t: found.instance_types[t])
        if found.instance_types
        else "c6i.xlarge"
    )
    if len(found.instance_types) > 1:
        notes.append(f"instance types {sorted(found.instance_types)}: the model runs {itype}")
    capacity = inputs.instance_capacity_rps or DEFAULT_CAPACITY_RPS
    rps, rps_source = _traffic(found, inputs, sources, capacity * sum(counts))
    lb = topo.load_balancer
    sets = [
        f"topology.stack={_stack_name(topo.stack)}",
        f"topology.region={region}",
        f"topology.azs={len(ordered)}",
        f"topology.instance_type={itype}",
        f"topology.instance_capacity_rps={capacity:g}",
        f"topology.order_queue.enabled={str(inputs.order_queue).lower()}",
        f"traffic.rps={rps:g}",
        f"traffic.duration_s={inputs.run_s:g}",
        f"engine.samples_per_s={inputs.samples_per_s}",
        f"clients.max_attempts={inputs.max_attempts}",
        f"clients.backoff={inputs.backoff}",
        f"clients.connect_timeout_s={inputs.connect_timeout_s:g}",
    ]
    if len(set(counts)) > 1 and len(counts) == len(ordered):
        sets.append(f"topology.instances_by_zone=[{','.join(map(str, counts))}]")
    else:
        sets.append(f"topology.instances_per_az={min(counts)}")
    if inputs.vcpus is not None or vcpus_of(itype) is None:
        sets.append(f"topology.vcpus={inputs.vcpus or 2}")
        if inputs.vcpus is None:
            notes.append(f"the vCPUs of {itype} are not known: the model assumes 2")
    if lb is not None:
        hc = lb.health_check
        algorithm = (
            lb.algorithm
            if lb.algorithm in ("round_robin", "least_outstanding_requests")
            else "round_robin"
        )
        if algorithm != lb.algorithm:
            notes.append(f"algorithm {lb.algorithm}: the model balances round robin")
        sets += [
            f"topology.load_balancer.cross_zone={str(lb.cross_zone).lower()}",
            f"topology.load_balancer.algorithm={algorithm}",
            f"topology.load_balancer.deregistration_delay_s={lb.deregistration_delay_s:g}",
            f"topology.health_check.interval_s={hc.interval_s:g}",
            f"topology.health_check.timeout_s={hc.timeout_s:g}",
            f"topology.health_check.healthy_threshold={hc.healthy_threshold}",
            f"topology.health_check.unhealthy_threshold={hc.unhealthy_threshold}",
            f"topology.health_check.path={hc.path}",
        ]
    if topo.database is not None:
        sets += [
            f"topology.database.multi_az={str(topo.database.multi_az).lower()}",
            f"topology.database.read_replicas={min(len(topo.database.replicas), 15)}",
        ]
        if topo.database.engine != "mariadb":
            notes.append(
                f"engine {topo.database.engine}: modelled as MariaDB, which fails over alike"
            )
    else:
        notes.append("no database was found: the model keeps the shipped experiments' own")
    sets += _autoscaling(found, len(ordered), notes)
    values = {
        "instance_capacity_rps": (f"{capacity:g}", sources.get("instance_capacity_rps", "default")),
        "rps": (f"{rps:g}", rps_source),
        "max_attempts": (str(inputs.max_attempts), sources.get("max_attempts", "default")),
        "backoff": (inputs.backoff, sources.get("backoff", "default")),
        "connect_timeout_s": (
            f"{inputs.connect_timeout_s:g}",
            sources.get("connect_timeout_s", "default"),
        ),
        "order_queue": (str(inputs.order_queue).lower(), sources.get("order_queue", "default")),
    }
    return Shape(
        sets=tuple(sets),
        zones=dict(zip(ordered, model_zones, strict=False)),
        inputs=tuple((k, v, s) for k, (v, s) in values.items()),
        approximations=tuple(notes),
        primary_az=primary,
        multi_az=topo.database.multi_az if topo.database else True,
        duration_s=inputs.duration_s,
        at_s=inputs.at_s,
    )


def _traffic(
    found: Foreign, inputs: AssessmentInputs, sources: dict[str, Source], capacity: float
) -> tuple[float, str]:
    """Customer requests per second and where that number came from."""
    if inputs.rps is not None:
        return inputs.rps, sources.get("rps", "option")
    if found.request_rps:
        return round(found.request_rps, 1), "CloudWatch RequestCount (busiest minute, last day)"
    return round(capacity / 2, 1), "default: half the web tier's capacity"


def _autoscaling(found: Foreign, zones: int, notes: list[str]) -> list[str]:
    """The Auto Scaling overrides: off without a group, else the tightest group's limits, and
    one group per zone when each of the ``zones`` has a group of its own."""
    if not found.groups:
        return ["topology.autoscaling.enabled=false"]
    per_zone_max = min(max(1, g.max_size // max(1, len(g.azs))) for g in found.groups)
    targets = [g.target_utilization for g in found.groups if g.target_utilization]
    sets = ["topology.autoscaling.enabled=true", f"topology.autoscaling.max_per_az={per_zone_max}"]
    own_zone = {g.azs[0] for g in found.groups if len(g.azs) == 1}
    if len(found.groups) > 1 and len(own_zone) == len(found.groups) == zones:
        sets.append("topology.autoscaling.groups=per_zone")
    elif len(found.groups) > 1:
        notes.append(f"{len(found.groups)} Auto Scaling groups: the model runs one over every zone")
    if targets:
        sets.append(f"topology.autoscaling.target_utilization={min(targets):g}")
        sets.append(f"topology.autoscaling.warmup_s={min(g.warmup_s for g in found.groups):g}")
    else:
        sets.append("topology.autoscaling.target_utilization=1")
        notes.append(
            "no target-tracking policy: the groups only replace lost instances (the model's "
            "CPU target is set to 100%)"
        )
    return sets


def _stack_name(name: str) -> str:
    """A stack name the model accepts (lower case, letters first, at most 31 characters)."""
    cleaned = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"s-{cleaned}"
    return cleaned[:31].rstrip("-") or "assessed"
