"""AWS FIS "AZ Availability: Power Interruption": stop, cut off, no launches, fail over."""

from __future__ import annotations

from chaoscli.aws.changes import autoscaling, database, instances
from chaoscli.experiment.faults.base import FaultContext, Injected, resolve_az
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import StepSettings
from chaoscli.experiment.faults.targets import isolate_zone
from chaoscli.sim.scenario import ControlAction


def az_outage(ctx: FaultContext) -> Injected:
    """Stop the zone's instances, block launches there, cut it off, fail the database over."""
    topo, step = ctx.topo, ctx.step
    az = resolve_az(step, topo)
    done = Injected()
    running = [
        i.id for i in topo.instances_in(az) if i.tagged and i.state in ("running", "pending")
    ]
    if running:
        done.messages.append(instances.stop_instances(ctx.session, ctx.log, running))
    done.messages += autoscaling.block_zone_launches(
        ctx.session, ctx.log, topo.stack, [s.id for s in topo.subnets if s.az == az]
    )
    done.messages.append(isolate_zone(ctx, az))
    db = topo.database
    if db is not None and db.primary.az == az:
        if db.multi_az:
            done.messages.append(database.reboot_with_failover(ctx.session, ctx.log, db.primary.id))
            done.actions.append(ControlAction(ctx.t, "db_failover", db.primary.id))
        else:
            done.messages.append(
                f"database {db.primary.id} is single-AZ in {az}: no standby to fail over to"
            )
    return done


register(
    FaultKind(
        "az-outage",
        "a zone loses power: its servers stop, its network is cut, the database fails over",
        StepSettings(frozenset({"az"})),
        az_outage,
    )
)
