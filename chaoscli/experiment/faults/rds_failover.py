"""FIS aws:rds:reboot-db-instances with forceFailover: the Multi-AZ standby takes over."""

from __future__ import annotations

from chaoscli.aws.changes import database
from chaoscli.errors import AwsError
from chaoscli.experiment.faults.base import FaultContext, Injected, StackShape
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import StepSettings
from chaoscli.sim.scenario import ControlAction


def rds_failover(ctx: FaultContext) -> Injected:
    """Reboot the primary with a forced failover; the model runs the failover window."""
    db = ctx.topo.database
    if db is None or not db.multi_az:
        raise AwsError(f"stack {ctx.topo.stack} has no Multi-AZ database to fail over")
    line = database.reboot_with_failover(
        ctx.session, ctx.log, db.primary.id, fail_back=ctx.step.fail_back
    )
    return Injected([line], [ControlAction(ctx.t, "db_failover", db.primary.id)])


def _needs(stack: StackShape) -> str | None:
    """A standby in another zone."""
    if stack.multi_az and stack.azs > 1:
        return None
    return "rds-failover needs a Multi-AZ database (topology.database.multi_az and azs > 1)"


register(
    FaultKind(
        "rds-failover",
        "the Multi-AZ database fails over to its standby",
        StepSettings(frozenset({"az", "fail_back"})),
        rds_failover,
        needs=_needs,
    )
)
