"""Read replicas go away (deleted); the undo re-creates each with its id and zone."""

from __future__ import annotations

from chaoscli.aws.changes import replicas
from chaoscli.errors import AwsError
from chaoscli.experiment.faults.base import FaultContext, Injected, StackShape, resolve_az
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import FaultStep, StepSettings
from chaoscli.experiment.faults.targets import pick


def replica_loss(ctx: FaultContext) -> Injected:
    """Delete the chosen available replicas, in the step's zone when it names one."""
    db = ctx.topo.database
    if db is None:
        raise AwsError(f"stack {ctx.topo.stack} has no database")
    az = ctx.step.az and resolve_az(ctx.step, ctx.topo)
    live = [r.id for r in db.replicas if r.status == "available" and (not az or r.az == az)]
    chosen = pick(live, ctx.step.selection, ctx.rng)
    if not chosen:
        where = f" in {az}" if az else ""
        return Injected([f"no available read replica{where} to delete"])
    return Injected([replicas.delete_replicas(ctx.session, ctx.log, chosen)])


def _needs(stack: StackShape) -> str | None:
    """At least one read replica."""
    if stack.read_replicas > 0:
        return None
    return "replica-loss needs read replicas (topology.database.read_replicas > 0)"


def _targets(_: FaultStep, stack: StackShape) -> tuple[int, str]:
    """The stack's read replicas (those of the step's zone are among them)."""
    return stack.read_replicas, "read replicas of the stack"


register(
    FaultKind(
        "replica-loss",
        "read replicas are deleted",
        StepSettings(frozenset({"az", "selection"})),
        replica_loss,
        needs=_needs,
        targets=_targets,
    )
)
