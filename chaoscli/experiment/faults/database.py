"""Database faults: a forced Multi-AZ failover and losing read replicas."""

from __future__ import annotations

from chaoscli.aws.changes import database, replicas
from chaoscli.errors import AwsError
from chaoscli.experiment.faults.base import FaultContext, Injected, resolve_az
from chaoscli.experiment.faults.targets import pick
from chaoscli.sim.scenario import ControlAction


def rds_failover(ctx: FaultContext) -> Injected:
    """FIS aws:rds:reboot-db-instances with forceFailover: the standby takes over."""
    db = ctx.topo.database
    if db is None or not db.multi_az:
        raise AwsError(f"stack {ctx.topo.stack} has no Multi-AZ database to fail over")
    line = database.reboot_with_failover(ctx.session, ctx.log, db.primary.id)
    return Injected([line], [ControlAction(ctx.t, "db_failover", db.primary.id)])


def replica_loss(ctx: FaultContext) -> Injected:
    """Read replicas go away (deleted); the undo re-creates each with its id and zone."""
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
