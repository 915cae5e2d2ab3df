"""Faults that live inside an instance, recorded as its ``chaoscli:fault`` tag.

EC2 cannot show a dead web process or a slow one: the instance stays ``running``. The tag is
how the control plane records it, and discovery reads it back into ``Instance.fault``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from chaoscli.aws.changes.log import RollbackLog, undoes
from chaoscli.aws.session import AwsSession, aws_errors, short_ids
from chaoscli.aws.tags import FAULT_TAG, tag_dict

CLEAR_FAULT_TAG = "clear_fault_tag"


def _current(ec2: Any, ids: list[str]) -> dict[str, dict[str, str]]:
    """Each instance's tags, by id."""
    reply = ec2.describe_instances(InstanceIds=ids)
    return {
        i["InstanceId"]: tag_dict(i.get("Tags"))
        for r in reply["Reservations"]
        for i in r["Instances"]
    }


def set_fault_tag(session: AwsSession, log: RollbackLog, ids: Sequence[str], value: str) -> str:
    """Tag instances ``chaoscli:fault=<value>``; the undo deletes the tag where it still says so.

    Instances that already carry a fault tag are left alone: another fault owns them.
    """
    ids = list(ids)
    if not ids:
        return f"no instances to mark {value}"
    ec2 = session.client("ec2")
    with aws_errors(f"mark instances {short_ids(ids)} {value}"):
        tags = _current(ec2, ids)
        free = [i for i in ids if i in tags and FAULT_TAG not in tags[i]]
        if not free:
            return f"nothing to mark {value}: {short_ids(ids)} already carry a fault"
        log.record(CLEAR_FAULT_TAG, {"instance_ids": free, "value": value})
        ec2.create_tags(Resources=free, Tags=[{"Key": FAULT_TAG, "Value": value}])
    return f"marked {len(free)} instance(s) {FAULT_TAG}={value}: {short_ids(free)}"


def _clear_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Delete the fault tag from the instances with the aws CLI."""
    tag = shlex.quote(f"Key={FAULT_TAG},Value={undo['value']}")
    return [f"{aws} ec2 delete-tags --resources {shlex.join(undo['instance_ids'])} --tags {tag}"]


@undoes(CLEAR_FAULT_TAG, _clear_by_hand)
def clear_fault_tag(session: AwsSession, undo: dict[str, Any]) -> str:
    """Delete the fault tag from the instances that still carry the value the fault set."""
    ids, value = list(undo["instance_ids"]), str(undo["value"])
    ec2 = session.client("ec2")
    with aws_errors(f"clear the fault tag of {short_ids(ids)}"):
        existing = ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": ids}])[
            "Reservations"
        ]
        tags = {i["InstanceId"]: tag_dict(i.get("Tags")) for r in existing for i in r["Instances"]}
        ours = [i for i in ids if tags.get(i, {}).get(FAULT_TAG) == value]
        if ours:
            ec2.delete_tags(Resources=ours, Tags=[{"Key": FAULT_TAG, "Value": value}])
    if not ours:
        return f"fault tag {value} already gone from {short_ids(ids)}"
    return f"cleared {FAULT_TAG}={value} from {len(ours)} instance(s): {short_ids(ours)}"


def with_tags(session: AwsSession, ids: Sequence[str], wanted: dict[str, str]) -> list[str]:
    """The instances among ``ids`` that carry every tag in ``wanted`` (FIS resourceTags)."""
    ids = list(ids)
    if not ids or not wanted:
        return ids
    ec2 = session.client("ec2")
    with aws_errors(f"filter instances {short_ids(ids)} by tags"):
        tags = _current(ec2, ids)
    return [i for i in ids if all(tags.get(i, {}).get(k) == v for k, v in wanted.items())]
