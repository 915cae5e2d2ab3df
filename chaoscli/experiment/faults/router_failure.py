"""The shop's own incident: a zone's network goes, its servers keep running."""

from __future__ import annotations

from chaoscli.experiment.faults.base import FaultContext, Injected, resolve_az
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import StepSettings
from chaoscli.experiment.faults.targets import isolate_zone


def router_failure(ctx: FaultContext) -> Injected:
    """Cut every subnet of the zone off, as FIS's disrupt-connectivity (scope all) does.

    Nothing is stopped, so connections to the zone time out instead of being refused, and
    RDS fails over on its own if its primary lives there (the model's job, as at AWS).
    """
    return Injected([isolate_zone(ctx, resolve_az(ctx.step, ctx.topo))])


register(
    FaultKind(
        "router-failure",
        "a zone's network is cut off while its servers keep running",
        StepSettings(frozenset({"az"})),
        router_failure,
    )
)
