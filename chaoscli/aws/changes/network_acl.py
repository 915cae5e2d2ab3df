"""Cutting subnets off with a deny-all network ACL, and putting their own ACLs back.

This is FIS's aws:network:disrupt-connectivity with scope ``all``.
"""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Sequence
from typing import Any

from chaoscli.aws.changes.log import RollbackLog, undoes
from chaoscli.aws.network import everything, replace_nacl
from chaoscli.aws.session import AwsSession, aws_errors, short_ids
from chaoscli.aws.tags import FAULT_ID_TAG, PURPOSE_TAG, tag_spec
from chaoscli.errors import AwsError

RESTORE_NACLS = "restore_nacls"


def isolate_subnets(
    session: AwsSession,
    log: RollbackLog,
    vpc_id: str,
    subnet_ids: Sequence[str],
    stack: str,
) -> str:
    """Cut subnets off with one deny-all NACL; the undo restores each subnet's own NACL."""
    subnets = list(subnet_ids)
    if not subnets:
        return "no subnets to isolate"
    ec2 = session.client("ec2")
    with aws_errors(f"isolate subnets {short_ids(subnets)}"):
        acls = ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": subnets}]
        )["NetworkAcls"]
        originals = {
            a["SubnetId"]: acl["NetworkAclId"]
            for acl in acls
            for a in acl.get("Associations", [])
            if a["SubnetId"] in subnets
        }
        missing = [s for s in subnets if s not in originals]
        if missing:
            raise AwsError(f"subnets without a network ACL association: {', '.join(missing)}")
        # The fault NACL's id is not known before it exists, so the undo finds it by a tag.
        fault_id = uuid.uuid4().hex[:16]
        log.record(RESTORE_NACLS, {"vpc_id": vpc_id, "subnets": originals, "fault_id": fault_id})
        acl_id = ec2.create_network_acl(
            VpcId=vpc_id,
            TagSpecifications=tag_spec(
                "network-acl",
                stack,
                f"{stack}-fault-deny-all",
                {PURPOSE_TAG: "fault", FAULT_ID_TAG: fault_id},
            ),
        )["NetworkAcl"]["NetworkAclId"]
        everything(ec2, acl_id, "deny")
        replace_nacl(ec2, {subnet: acl_id for subnet in subnets})
    return f"isolated {len(subnets)} subnet(s) with deny-all NACL {acl_id}: {short_ids(subnets)}"


def _restore_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Each subnet back on its own ACL (found by its current association), then the fault ACL
    found by its tag deleted."""
    lines = []
    for subnet, acl in dict(undo["subnets"]).items():
        query = shlex.quote(
            f"NetworkAcls[].Associations[?SubnetId=='{subnet}'].NetworkAclAssociationId"
        )
        find = (
            f"{aws} ec2 describe-network-acls --filters Name=association.subnet-id,"
            f"Values={subnet} --query {query} --output text"
        )
        lines.append(
            f"{aws} ec2 replace-network-acl-association --network-acl-id {acl} "
            f'--association-id "$({find})"'
        )
    tag = shlex.quote(f"Name=tag:{FAULT_ID_TAG},Values={undo['fault_id']}")
    find_fault = (
        f"{aws} ec2 describe-network-acls --filters {tag} "
        "--query 'NetworkAcls[].NetworkAclId' --output text"
    )
    lines.append(f'{aws} ec2 delete-network-acl --network-acl-id "$({find_fault})"')
    return lines


@undoes(RESTORE_NACLS, _restore_by_hand)
def restore_nacls(session: AwsSession, undo: dict[str, Any]) -> str:
    """Put each subnet back on its original NACL, then delete the fault's deny-all NACL."""
    originals: dict[str, str] = dict(undo["subnets"])
    ec2 = session.client("ec2")
    with aws_errors(f"restore the network ACLs of {short_ids(list(originals))}"):
        replace_nacl(ec2, originals)
        faults = ec2.describe_network_acls(
            Filters=[{"Name": f"tag:{FAULT_ID_TAG}", "Values": [undo["fault_id"]]}]
        )["NetworkAcls"]
        for acl in faults:
            ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
    deleted = ", ".join(a["NetworkAclId"] for a in faults) or "already gone"
    return f"restored the NACLs of {len(originals)} subnet(s); fault NACL {deleted}"
