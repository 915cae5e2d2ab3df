"""Alarms a run creates and the states it sets, each with its undo.

moto never evaluates an alarm, so the experiment layer does and records its verdict with
SetAlarmState, on alarms chaoscli created only (an SRE's alarm's state is never set: its
actions would fire); the undo deletes what the run created and puts old states back.
"""

from __future__ import annotations

import shlex
from typing import Any

from chaoscli.aws.changes.log import RollbackLog, undoes
from chaoscli.aws.cloudwatch import Alarm, created_by_chaoscli, describe
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import stack_tags

DELETE_ALARM = "delete_alarm"
RESTORE_ALARM_STATE = "restore_alarm_state"


def create_alarm(
    session: AwsSession, log: RollbackLog, stack: str, alarm: Alarm, description: str
) -> str:
    """Create a metric alarm the experiment declares, unless it exists; the undo deletes it."""
    if alarm.name in describe(session, [alarm.name]):
        return f"alarm {alarm.name} already exists: used as it is"
    cw = session.client("cloudwatch")
    with aws_errors(f"create alarm {alarm.name}"):
        log.record(DELETE_ALARM, {"name": alarm.name})
        cw.put_metric_alarm(
            AlarmName=alarm.name,
            AlarmDescription=description,
            Namespace=alarm.namespace,
            MetricName=alarm.metric,
            Statistic=alarm.statistic,
            Dimensions=[{"Name": k, "Value": v} for k, v in alarm.dimensions],
            Period=alarm.period_s,
            EvaluationPeriods=alarm.evaluation_periods,
            DatapointsToAlarm=alarm.datapoints_to_alarm,
            Threshold=alarm.threshold,
            ComparisonOperator=alarm.comparison,
            TreatMissingData="notBreaching",
            Tags=stack_tags(stack, alarm.name),
        )
    return f"created alarm {alarm.name}"


def set_state(session: AwsSession, log: RollbackLog, name: str, state: str, reason: str) -> str:
    """SetAlarmState, as CloudWatch would have set it, on an alarm chaoscli created; the undo
    puts the old state back. Another alarm's state is left alone."""
    found = describe(session, [name])
    if name not in found:
        return f"alarm {name} is gone: state not set"
    if not created_by_chaoscli(session, found[name]):
        return f"alarm {name} was not created by chaoscli: its state is left alone ({state})"
    old = found[name].state
    if old == state:
        return f"alarm {name} already {state}"
    cw = session.client("cloudwatch")
    with aws_errors(f"set the state of alarm {name}"):
        log.record(RESTORE_ALARM_STATE, {"name": name, "state": old})
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason[:1023])
    return f"alarm {name}: {old} -> {state} ({reason})"


def _delete_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Delete the alarm the run created with the aws CLI."""
    return [f"{aws} cloudwatch delete-alarms --alarm-names {shlex.quote(undo['name'])}"]


def _restore_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Put the alarm back in its old state with the aws CLI."""
    name, state = shlex.quote(undo["name"]), shlex.quote(undo["state"])
    return [
        f"{aws} cloudwatch set-alarm-state --alarm-name {name} --state-value {state} "
        "--state-reason 'chaoscli rollback'"
    ]


@undoes(DELETE_ALARM, _delete_by_hand)
def delete_alarm(session: AwsSession, undo: dict[str, Any]) -> str:
    """Delete an alarm the run created."""
    name = str(undo["name"])
    cw = session.client("cloudwatch")
    with aws_errors(f"delete alarm {name}"):
        cw.delete_alarms(AlarmNames=[name])
    return f"deleted alarm {name}"


@undoes(RESTORE_ALARM_STATE, _restore_by_hand)
def restore_alarm_state(session: AwsSession, undo: dict[str, Any]) -> str:
    """Put an alarm back in the state it had before the run evaluated it."""
    name, state = str(undo["name"]), str(undo["state"])
    if name not in describe(session, [name]):
        return f"alarm {name} is gone: nothing to restore"
    cw = session.client("cloudwatch")
    with aws_errors(f"restore the state of alarm {name}"):
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="chaoscli rollback")
    return f"alarm {name} back to {state}"
