"""Faults: what each one does through the AWS API, chosen from what discovery found.

A fault only ever touches resources discovery returned, and discovery returns only what
carries the stack's tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chaoscli.aws import actions
from chaoscli.aws.rollback import RollbackLog
from chaoscli.aws.session import AwsSession
from chaoscli.errors import SpecError
from chaoscli.experiment.spec import FaultStep
from chaoscli.sim.scenario import ControlAction
from chaoscli.topology import Topology


@dataclass
class Injected:
    """What an injection did: lines for the timeline, and calls the model must know of."""

    messages: list[str] = field(default_factory=list)
    actions: list[ControlAction] = field(default_factory=list)


def resolve_az(step: FaultStep, topo: Topology) -> str:
    """The zone a step names; by default the one holding the database primary."""
    if step.az is None:
        if topo.database is not None:
            return topo.database.primary.az
        return topo.azs[0]
    if step.az not in topo.azs:
        raise SpecError(
            "method", "az", f"{step.az} is not a zone of stack {topo.stack} ({', '.join(topo.azs)})"
        )
    return step.az


def az_outage(
    session: AwsSession, log: RollbackLog, topo: Topology, step: FaultStep, t: float
) -> Injected:
    """AWS FIS "AZ Availability: Power Interruption": stop, cut off, fail the database over."""
    az = resolve_az(step, topo)
    done = Injected()
    running = [
        i.id for i in topo.instances_in(az) if i.tagged and i.state in ("running", "pending")
    ]
    if running:
        done.messages.append(actions.stop_instances(session, log, running))
    subnets = [s.id for s in topo.subnets if s.az == az]
    if subnets:
        done.messages.append(
            actions.isolate_subnets(session, log, topo.vpc_id, subnets, topo.stack)
        )
    db = topo.database
    if db is not None and db.primary.az == az:
        if db.multi_az:
            done.messages.append(actions.reboot_with_failover(session, log, db.primary.id))
            done.actions.append(ControlAction(t, "db_failover", db.primary.id))
        else:
            done.messages.append(
                f"database {db.primary.id} is single-AZ in {az}: no standby to fail over to"
            )
    return done


FAULTS = {"az-outage": az_outage}
