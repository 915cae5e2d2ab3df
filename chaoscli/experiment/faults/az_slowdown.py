"""AWS FIS's "AZ Application Slowdown": every instance of one zone answers later.

Each running instance of the zone gets the ``chaoscli:fault`` tag ``slow:<latency_ms>:0``,
the format gray-failure uses, so discovery reads it back and the model adds the latency to
every answer those instances give, with no errors. A latency at or above the health check's
timeout fails the checks, and the zone's targets leave rotation.
"""

from __future__ import annotations

from chaoscli.aws.changes import instance_tags
from chaoscli.experiment.faults.base import FaultContext, Injected, healthy_instances, resolve_az
from chaoscli.experiment.faults.gray_failure import slow_tag
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import StepSettings

DEFAULT_LATENCY_MS = 200.0


def az_slowdown(ctx: FaultContext) -> Injected:
    """Tag every running instance of the zone (none that another step holds) as slow."""
    az = resolve_az(ctx.step, ctx.topo)
    ids = [i.id for i in healthy_instances(ctx.topo, az)]
    if not ids:
        return Injected([f"no running instance of the stack in {az} to slow down"])
    value = slow_tag(ctx.step.latency_ms or DEFAULT_LATENCY_MS, 0.0)
    return Injected([instance_tags.set_fault_tag(ctx.session, ctx.log, ids, value)])


register(
    FaultKind(
        "az-slowdown",
        "every instance of one zone answers later by the same added latency, with no errors",
        StepSettings(frozenset({"az", "latency_ms"}), defaults={"latency_ms": DEFAULT_LATENCY_MS}),
        az_slowdown,
        words=(
            "every instance of the slowed zone answered later by the added latency while "
            "passing its health checks, so the requests sent there carried it",
            "set topology.load_balancer.algorithm: least_outstanding_requests, so the load "
            "balancer sends less to targets that are slow to answer",
        ),
    )
)
