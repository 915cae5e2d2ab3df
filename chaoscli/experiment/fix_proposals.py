"""The changes findings propose, as ``--set`` overrides derived from the experiment's own
settings, and the small pieces every finding rule shares."""

from __future__ import annotations

import math

from chaoscli.experiment.spec import Experiment
from chaoscli.record.findings import Finding, Fix, Override
from chaoscli.record.model import ProbeVerdict

INSTANCES = "topology.instances_per_az"
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


def capacity(exp: Experiment, need: float, why: str) -> Fix:
    """More instances per zone; ``need`` is a first guess from the measured load, which the
    search over re-runs replaces by the fewest that hold."""
    now = exp.topology.instances_per_az
    guess = min(400, max(now + 1, math.ceil(need)))
    return Fix(
        words=f"Run about {guess} instances per zone (now {now}) {why}: an estimate from "
        "the measured load, not re-run.",
        set={INSTANCES: guess},
        searched=INSTANCES,
    )


def three_zones(exp: Experiment) -> Fix:
    """Three zones with a Multi-AZ database and 150% of today's capacity, so that losing a
    zone leaves 100%."""
    per_zone = max(1, math.ceil(exp.topology.instances_per_az / 2))
    return Fix(
        words=f"Run in three zones with a Multi-AZ database and {per_zone} instances per zone "
        "(150% of today's capacity, so losing a zone leaves 100%).",
        set={"topology.azs": 3, "topology.database.multi_az": True, INSTANCES: per_zone},
    )
