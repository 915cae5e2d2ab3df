"""Stopping instances through the API, as FIS's aws:ec2:stop-instances does, and its undo."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from chaoscli.aws.changes.log import RollbackLog, undoes
from chaoscli.aws.session import AwsSession, aws_errors, instance_states, short_ids
from chaoscli.errors import AwsError

START_INSTANCES = "start_instances"


def stop_instances(session: AwsSession, log: RollbackLog, ids: Sequence[str]) -> str:
    """Stop the given instances; the undo starts again those that were running."""
    ids = list(ids)
    if not ids:
        return "no instances to stop"
    ec2 = session.client("ec2")
    with aws_errors(f"stop instances {short_ids(ids)}"):
        running = [
            i for i, state in instance_states(ec2, ids).items() if state in ("pending", "running")
        ]
        if not running:
            return f"nothing to stop: none of {short_ids(ids)} is running"
        log.record(START_INSTANCES, {"instance_ids": running})
        ec2.stop_instances(InstanceIds=running)
    return f"stopped {len(running)} instance(s): {short_ids(running)}"


def _start_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Start the stopped instances with the aws CLI."""
    return [f"{aws} ec2 start-instances --instance-ids {shlex.join(undo['instance_ids'])}"]


@undoes(START_INSTANCES, _start_by_hand)
def start_instances(session: AwsSession, undo: dict[str, Any]) -> str:
    """Start the instances a fault stopped (those that are still stopped)."""
    ids = list(undo["instance_ids"])
    if not ids:
        return "no instances had been stopped"
    ec2 = session.client("ec2")
    with aws_errors(f"start instances {short_ids(ids)}"):
        state = instance_states(ec2, ids)
        stopping = [i for i in ids if state.get(i) == "stopping"]
        if stopping:
            ec2.get_waiter("instance_stopped").wait(InstanceIds=stopping)
        to_start = [i for i in ids if state.get(i) in ("stopping", "stopped")]
        if to_start:
            ec2.start_instances(InstanceIds=to_start)
    gone = [i for i in ids if state.get(i) not in ("stopping", "stopped", "pending", "running")]
    if gone:
        states = ", ".join(f"{i} is {state.get(i, 'missing')}" for i in gone)
        raise AwsError(f"cannot start what is no longer stopped: {states}")
    if not to_start:
        return f"instances already running: {short_ids(ids)}"
    return f"started {len(to_start)} instance(s) again: {short_ids(to_start)}"
