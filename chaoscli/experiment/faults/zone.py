"""Faults that take a whole zone: a power interruption and a router failure."""

from __future__ import annotations

from chaoscli.aws.changes import autoscaling, database, instances, network_acl
from chaoscli.experiment.faults.base import FaultContext, Injected, resolve_az
from chaoscli.sim.scenario import ControlAction


def _isolate(ctx: FaultContext, az: str, done: Injected) -> None:
    """Cut the zone's still reachable subnets off with a deny-all NACL."""
    topo = ctx.topo
    subnets = [s.id for s in topo.subnets if s.az == az and s.reachable]
    if subnets:
        done.messages.append(
            network_acl.isolate_subnets(ctx.session, ctx.log, topo.vpc_id, subnets, topo.stack)
        )
    else:
        done.messages.append(f"subnets of {az} already cut off by another step")


def az_outage(ctx: FaultContext) -> Injected:
    """AWS FIS "AZ Availability: Power Interruption": stop, cut off, no launches, fail over."""
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
    _isolate(ctx, az, done)
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


def router_failure(ctx: FaultContext) -> Injected:
    """The shop's own incident: a zone's network goes, its servers keep running.

    Every subnet of the zone (the load balancer's node and the web servers) is cut off, as
    FIS's disrupt-connectivity (scope all) does; nothing is stopped, so connections to the
    zone time out instead of being refused, and RDS fails over on its own if its primary
    lives there (the model's job, as at AWS).
    """
    az = resolve_az(ctx.step, ctx.topo)
    done = Injected()
    _isolate(ctx, az, done)
    return done
