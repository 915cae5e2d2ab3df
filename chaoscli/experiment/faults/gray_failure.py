"""A zone's gray failure: its instances answer, but late and with a share of errors.

The control plane records it as each instance's ``chaoscli:fault`` tag
``slow:<added_ms>:<error_share>``; discovery reads the tag back and the model adds the
latency and the errors to every request those instances serve.
"""

from __future__ import annotations

from chaoscli.aws.changes import instance_tags
from chaoscli.experiment.faults.base import FaultContext, Injected, StackShape, resolve_az
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import FaultStep, StepSettings
from chaoscli.experiment.faults.targets import instance_targets


def slow_tag(latency_ms: float, error_share: float) -> str:
    """A slow instance's tag value ``slow:<added_ms>:<error_share>``, e.g. ``slow:800:0.05``."""
    return f"slow:{latency_ms:g}:{error_share:g}"


def gray_failure(ctx: FaultContext) -> Injected:
    """Tag the zone's chosen instances slow, with the step's latency and error share."""
    step = ctx.step
    az = resolve_az(step, ctx.topo)
    ids = instance_targets(ctx, az)
    if not ids:
        return Injected([f"no running instance of the stack in {az} to slow down"])
    value = slow_tag(step.latency_ms or 0.0, step.error_share or 0.0)
    return Injected([instance_tags.set_fault_tag(ctx.session, ctx.log, ids, value)])


def _targets(step: FaultStep, stack: StackShape) -> tuple[int, str]:
    """The instances of the one zone a gray failure strikes."""
    return stack.instances_in(step.az), "instances in the step's zone"


register(
    FaultKind(
        "gray-failure",
        "a zone's servers answer late and with a share of errors, passing health checks",
        StepSettings(
            frozenset({"az", "selection", "tags", "latency_ms", "error_share"}),
            defaults={"latency_ms": 800.0, "error_share": 0.05},
        ),
        gray_failure,
        targets=_targets,
        cause_words={
            "gray failure (500)": (
                "a degraded zone answered some requests with errors while passing its "
                "health checks",
                "use a health check that exercises the failing dependency, or "
                "least_outstanding_requests so slow targets get less traffic",
            )
        },
    )
)
