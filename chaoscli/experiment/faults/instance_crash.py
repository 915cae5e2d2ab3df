"""Chaos Monkey: the web process of the chosen instances dies while EC2 says running."""

from __future__ import annotations

from chaoscli.aws.changes import instance_tags
from chaoscli.experiment.faults.base import FaultContext, Injected, StackShape, resolve_az
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import FaultStep, StepSettings
from chaoscli.experiment.faults.targets import instance_targets


def instance_crash(ctx: FaultContext) -> Injected:
    """Mark the chosen instances ``crash``: the model has them refuse connections."""
    az = ctx.step.az and resolve_az(ctx.step, ctx.topo)
    ids = instance_targets(ctx, az or None)
    where = f" in {az}" if az else ""
    if not ids:
        return Injected([f"no running instance of the stack{where} to crash"])
    return Injected([instance_tags.set_fault_tag(ctx.session, ctx.log, ids, "crash")])


def _targets(step: FaultStep, stack: StackShape) -> tuple[int, str]:
    """The stack's instances, or its zone's when the step names one."""
    if step.az is not None:
        return stack.instances_in(step.az), "instances in the step's zone"
    return stack.instances, "instances of the stack"


register(
    FaultKind(
        "instance-crash",
        "the web process of chosen instances dies while EC2 reports them running",
        StepSettings(frozenset({"az", "selection", "tags"})),
        instance_crash,
        targets=_targets,
    )
)
