"""A zone goes dark: a real power loss by default, or AWS FIS's approximation of it.

``power-loss``: nothing in the zone answers and nothing refuses. Its instances are marked
``power-off`` (the ``chaoscli:fault`` tag; EC2 still says running, as it cannot know), its
subnets are cut off so its load-balancer node goes dark, Auto Scaling may not launch there,
and the database fails over. The load balancer finds the dead targets only through health
checks, and Auto Scaling replaces them only once those checks mark them.

``api-stop``: what FIS's "AZ Availability: Power Interruption" does through the API: it stops
the instances (ELB takes them out ``api_stop_notice_s`` later), with the same network cut,
launch block and failover.
"""

from __future__ import annotations

from chaoscli.aws.changes import autoscaling, database, instance_tags, instances
from chaoscli.experiment.faults.base import FaultContext, Injected, resolve_az
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import FaultStep, StepSettings
from chaoscli.experiment.faults.targets import isolate_zone
from chaoscli.sim.scenario import ControlAction
from chaoscli.sim.world import POWER_OFF

POWER_LOSS, API_STOP = "power-loss", "api-stop"
MODES = (POWER_LOSS, API_STOP)


def az_outage(ctx: FaultContext) -> Injected:
    """Take the zone's instances down, block launches there, cut it off, fail the database over."""
    topo, step = ctx.topo, ctx.step
    az = resolve_az(step, topo)
    done = Injected()
    if step.mode == API_STOP:
        running = [
            i.id for i in topo.instances_in(az) if i.tagged and i.state in ("running", "pending")
        ]
        if running:
            done.messages.append(instances.stop_instances(ctx.session, ctx.log, running))
    else:
        powered = [i.id for i in topo.instances_in(az) if i.tagged and i.state == "running"]
        if powered:
            done.messages.append(
                instance_tags.set_fault_tag(ctx.session, ctx.log, powered, POWER_OFF)
            )
    done.messages += autoscaling.block_zone_launches(
        ctx.session, ctx.log, topo.stack, [s.id for s in topo.subnets if s.az == az]
    )
    done.messages.append(isolate_zone(ctx, az))
    db = topo.database
    if db is not None and db.primary.az == az:
        if db.multi_az:
            done.messages.append(
                database.reboot_with_failover(
                    ctx.session, ctx.log, db.primary.id, fail_back=ctx.step.fail_back
                )
            )
            done.actions.append(ControlAction(ctx.t, "db_failover", db.primary.id))
        else:
            done.messages.append(
                f"database {db.primary.id} is single-AZ in {az}: no standby to fail over to"
            )
    return done


def _known_mode(step: FaultStep) -> None:
    """``mode`` is power-loss or api-stop."""
    if step.mode not in MODES:
        raise ValueError(f"mode: must be {' or '.join(MODES)}, not {step.mode!r}")


register(
    FaultKind(
        "az-outage",
        "a zone goes dark: a power loss (nothing answers) or FIS's API stop of its instances; "
        "its network is cut, the database fails over",
        StepSettings(
            frozenset({"az", "mode", "fail_back"}), defaults={"mode": POWER_LOSS}, check=_known_mode
        ),
        az_outage,
    )
)
