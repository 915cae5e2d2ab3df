"""The changes findings propose, as ``--set`` overrides derived from the experiment's own
settings, and the small pieces every finding rule shares."""

from __future__ import annotations

import math

from chaoscli.experiment.spec import Experiment
from chaoscli.record.findings import Finding, Fix, Override
from chaoscli.record.model import ProbeVerdict

INSTANCES = "topology.instances_per_az"
BY_ZONE = "topology.instances_by_zone"
FASTEST_CHECK: dict[str, Override] = {  # ELB's fastest detection: 5 s x 2, each check 2 s
    "topology.health_check.interval_s": 5,
    "topology.health_check.timeout_s": 2,
    "topology.health_check.unhealthy_threshold": 2,
}
GUESS_BUSY = 0.9  # where a capacity search starts: instances at 90% of their capacity


def probe_keys(probes: list[ProbeVerdict]) -> list[str]:
    """The ``window/probe`` keys of some probes."""
    return [p.key for p in probes]


def severity(keys: list[str]) -> str:
    """A cause when it explains a failed probe, else a note."""
    return "cause" if keys else "note"


def finding(title: str, detail: str, keys: list[str], fix: Fix | None, **kw: str) -> Finding:
    return Finding.model_validate(
        {"title": title, "detail": detail, "probes": keys, "severity": severity(keys)}
        | {"fix": fix}
        | kw
    )


def shorter_connect(after_s: float, now_s: float) -> Fix:
    """Clients that give up on an address that does not answer and try the next one."""
    return Fix(
        words=f"Give up connecting after {after_s:g} s (now {now_s:g} s) and try the next "
        "address of the DNS answer.",
        set={"clients.connect_timeout_s": min(after_s, now_s), "clients.dns_fallback": True},
    )


def faster_detection(exp: Experiment) -> Fix | None:
    """ELB's fastest health checks, when the stack's are slower; None when they are not."""
    hc = exp.topology.health_check
    if hc.interval_s * hc.unhealthy_threshold <= 10 and hc.timeout_s <= 2:
        return None
    return Fix(
        words=f"Detect dead targets with ELB's fastest health checks: interval 5 s x "
        f"unhealthy threshold 2, each check waiting 2 s (now {hc.interval_s:g} s x "
        f"{hc.unhealthy_threshold}, {hc.timeout_s:g} s).",
        set=dict(FASTEST_CHECK),
    )


def instances_now(exp: Experiment) -> int:
    """Instances per zone as a capacity fix counts them: the fewest any zone runs."""
    return min(exp.topology.zone_counts)


def instance_sets(exp: Experiment, n: int) -> dict[str, Override]:
    """The overrides that give every zone at least ``n`` instances: ``instances_per_az``, or
    with per-zone counts each zone's count raised to ``n`` (a larger one is kept)."""
    by_zone = exp.topology.instances_by_zone
    if by_zone is None:
        return {INSTANCES: n}
    return {BY_ZONE: [max(n, c) for c in by_zone]}


def instances_in(sets: dict[str, Override], now: int) -> int:
    """The per-zone count ``instance_sets`` wrote into ``sets`` (``now`` when it holds none)."""
    value = sets.get(INSTANCES, sets.get(BY_ZONE))
    if isinstance(value, list):
        return min(value)
    return int(value) if isinstance(value, int | float) else now


def capacity_field(exp: Experiment) -> str:
    """The field a capacity fix changes."""
    return INSTANCES if exp.topology.instances_by_zone is None else BY_ZONE


def capacity(exp: Experiment, need: float, why: str) -> Fix:
    """More instances per zone; ``need`` is a first guess from the measured load, which the
    search over re-runs replaces by the fewest that hold."""
    now = instances_now(exp)
    guess = min(400, max(now + 1, math.ceil(need)))
    every = "in every zone" if exp.topology.instances_by_zone is not None else "per zone"
    return Fix(
        words=f"Run about {guess} instances {every} (now {counts_now(exp)}) {why}: an estimate "
        "from the measured load, not re-run.",
        set=instance_sets(exp, guess),
        searched=capacity_field(exp),
    )


def counts_now(exp: Experiment) -> str:
    """Today's instances per zone, as ``3`` or ``4/3/3``."""
    by_zone = exp.topology.instances_by_zone
    return str(exp.topology.instances_per_az) if by_zone is None else "/".join(map(str, by_zone))


def three_zones(exp: Experiment) -> Fix:
    """Three zones with a Multi-AZ database and 150% of today's capacity, so that losing a
    zone leaves 100%."""
    per_zone = max(1, math.ceil(sum(exp.topology.zone_counts) / 2))
    sets: dict[str, Override] = {"topology.azs": 3, "topology.database.multi_az": True}
    if exp.topology.instances_by_zone is not None:
        sets[BY_ZONE] = [per_zone] * 3
    else:
        sets[INSTANCES] = per_zone
    return Fix(
        words=f"Run in three zones with a Multi-AZ database and {per_zone} instances per zone "
        "(150% of today's capacity, so losing a zone leaves 100%).",
        set=sets,
    )
