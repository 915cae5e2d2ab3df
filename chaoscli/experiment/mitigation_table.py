"""What carries the shipped az-outage: the sample run again with one mitigation taken away.

Each row re-runs the shipped experiment with a few ``--set`` overrides (the same seed) and
reports what customers met, so the README's table of mitigations is measured, never typed
(``python -m chaoscli.experiment.mitigation_table``; a test compares it with the README).
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import Outcome, run

EXPERIMENT = "az-outage"
SAMPLING = ("engine.samples_per_s=500",)
AWS_DEFAULT_CHECKS = (
    "topology.health_check.interval_s=30",
    "topology.health_check.timeout_s=5",
    "topology.health_check.healthy_threshold=5",
    "topology.health_check.unhealthy_threshold=2",
)
CROSS_ZONE = ("topology.load_balancer.cross_zone=true",)


@dataclass(frozen=True)
class Variant:
    """The shipped experiment with some mitigations taken away (or the fault changed)."""

    name: str
    sets: tuple[str, ...] = ()
    vars: tuple[str, ...] = ()


VARIANTS = (
    Variant("the shipped shop: every mitigation"),
    Variant("cross-zone routing on", CROSS_ZONE),
    Variant("cross-zone on, AWS's default health checks", CROSS_ZONE + AWS_DEFAULT_CHECKS),
    Variant(
        "cross-zone on, AWS's default checks, one client attempt",
        (*CROSS_ZONE, *AWS_DEFAULT_CHECKS, "clients.max_attempts=1"),
    ),
    Variant("AWS's default health checks (cross-zone off)", AWS_DEFAULT_CHECKS),
    Variant("clients' connect timeout 1 s", ("clients.connect_timeout_s=1",)),
    Variant("clients' connect timeout 3 s", ("clients.connect_timeout_s=3",)),
    Variant("no order queue", ("topology.order_queue.enabled=false",)),
    Variant("two zones near capacity: 21 instances a zone", ("topology.instances_per_az=21",)),
    Variant("two zones at capacity: 20 instances a zone", ("topology.instances_per_az=20",)),
    Variant("two zones below the peak: 18 instances a zone", ("topology.instances_per_az=18",)),
    Variant("FIS's API stop instead of the power loss", vars=("mode=api-stop",)),
)


@dataclass(frozen=True)
class Row:
    """What one variant's run showed customers during the fault."""

    variant: Variant
    held: bool
    visible_errors: float
    p99_ms: float
    recovery_s: float | None
    failed: tuple[str, ...]


def measure(variant: Variant, seed: int = 0) -> Row:
    """Run one variant and read its verdict and figures."""
    out: Outcome = run(load(EXPERIMENT, [*SAMPLING, *variant.sets], list(variant.vars)), seed)
    during = out.windows["during"]
    recovery = out.measures.recovery.customer_recovery_s if out.measures else None
    failed = tuple(f"{p.window} {p.probe}" for p in out.probes if not p.ok)
    return Row(
        variant, not out.deviated, during.visible_errors, during.p99_latency_ms, recovery, failed
    )


def markdown(rows: list[Row]) -> str:
    """The table of variants, as the README shows it."""
    lines = [
        "| variant | `--set` / `--var` | verdict | visible errors during | p99 during (ms) "
        "| customers recovered (s) | probes that failed |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        changes = " ".join(f"`{c}`" for c in (*r.variant.sets, *r.variant.vars)) or "(none)"
        recovered = "not within the run" if r.recovery_s is None else f"{r.recovery_s:.0f}"
        lines.append(
            f"| {r.variant.name} | {changes} | {'held' if r.held else 'deviated'} "
            f"| {r.visible_errors:,.0f} | {r.p99_ms:,.0f} | {recovered} "
            f"| {', '.join(r.failed) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def table() -> str:
    """Every variant measured, as Markdown."""
    return markdown([measure(v) for v in VARIANTS])


if __name__ == "__main__":
    print(table(), end="")
