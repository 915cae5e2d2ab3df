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


def _back_on(ec2: Any, vpc_id: str, originals: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Where each subnet that still exists goes back to, and what the rollback must say.

    A subnet that is gone (its stack torn down) has nothing to restore. A subnet whose own
    NACL is gone goes onto its VPC's default NACL rather than stay cut off. Moving only onto
    NACLs seen to exist matters on moto, whose ReplaceNetworkAclAssociation drops the old
    association before it looks up the new NACL, leaving a subnet with none.
    """
    ids = sorted(originals)
    subnets = ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": ids}])["Subnets"]
    alive = {s["SubnetId"] for s in subnets}
    in_vpc = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    acls = {a["NetworkAclId"]: bool(a.get("IsDefault")) for a in in_vpc["NetworkAcls"]}
    lines = []
    gone = [s for s in ids if s not in alive]
    if gone:
        lines.append(f"subnet(s) gone, nothing to restore: {short_ids(gone)}")
    # AWS keeps every subnet associated; an emulator interrupted mid-replace may not, and
    # no call associates a subnet that has no association to replace.
    associated = {
        a["SubnetId"] for acl in in_vpc["NetworkAcls"] for a in acl.get("Associations", [])
    }
    bare = sorted(alive - associated)
    if bare:
        lines.append(
            f"subnet(s) {short_ids(bare)} had no network ACL association to move back "
            "(the endpoint lost it): left as they are"
        )
        alive -= set(bare)
    moves = {s: originals[s] for s in ids if s in alive and originals[s] in acls}
    orphans = [s for s in ids if s in alive and originals[s] not in acls]
    if orphans:
        default = [acl for acl, is_default in acls.items() if is_default]
        if not default:
            raise AwsError(
                f"the NACLs of subnet(s) {short_ids(orphans)} are gone and VPC {vpc_id} has "
                "no default NACL to put them on"
            )
        acl = default[0]
        moves.update({s: acl for s in orphans})
        lines.append(
            f"their own NACL was gone, so subnet(s) {short_ids(orphans)} went onto the VPC's "
            f"default NACL {acl}"
        )
    return moves, lines


@undoes(RESTORE_NACLS, _restore_by_hand)
def restore_nacls(session: AwsSession, undo: dict[str, Any]) -> str:
    """Put each subnet back on its original NACL, then delete the fault's deny-all NACL."""
    originals: dict[str, str] = dict(undo["subnets"])
    ec2 = session.client("ec2")
    with aws_errors(f"restore the network ACLs of {short_ids(list(originals))}"):
        moves, lines = _back_on(ec2, str(undo["vpc_id"]), originals)
        if moves:
            replace_nacl(ec2, moves)
        faults = ec2.describe_network_acls(
            Filters=[{"Name": f"tag:{FAULT_ID_TAG}", "Values": [undo["fault_id"]]}]
        )["NetworkAcls"]
        for acl in faults:
            ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
    deleted = ", ".join(a["NetworkAclId"] for a in faults) or "already gone"
    said = "".join(f"; {line}" for line in lines)
    return f"restored the NACLs of {len(moves)} subnet(s); fault NACL {deleted}{said}"
