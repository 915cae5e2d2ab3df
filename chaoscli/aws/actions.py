"""Faults as control-plane changes, each logged with its exact undo before it is made.

Each action takes plain ids and returns a short description for the journal; the matching
undo lives in ``rollback``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from chaoscli.aws.network import everything, replace_nacl
from chaoscli.aws.rollback import (
    FAIL_BACK_DB,
    RESTORE_NACLS,
    START_INSTANCES,
    RollbackLog,
    rollback,
)
from chaoscli.aws.session import AwsSession, aws_errors, instance_states, short_ids
from chaoscli.aws.tags import FAULT_ID_TAG, PURPOSE_TAG, tag_spec
from chaoscli.errors import AwsError

__all__ = ["isolate_subnets", "reboot_with_failover", "rollback", "stop_instances"]


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


def isolate_subnets(
    session: AwsSession,
    log: RollbackLog,
    vpc_id: str,
    subnet_ids: Sequence[str],
    stack: str,
) -> str:
    """Cut subnets off with one deny-all NACL, as FIS's disrupt-connectivity (scope all) does."""
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


def reboot_with_failover(session: AwsSession, log: RollbackLog, db_id: str) -> str:
    """Reboot a Multi-AZ database with a forced failover (FIS aws:rds:reboot-db-instances)."""
    rds = session.client("rds")
    with aws_errors(f"fail over database {db_id}"):
        db = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
        if not db.get("MultiAZ"):
            raise AwsError(f"database {db_id} is not Multi-AZ: there is no standby to fail over to")
        az = str(db.get("AvailabilityZone", ""))
        log.record(FAIL_BACK_DB, {"db_id": db_id, "az": az})
        rds.reboot_db_instance(DBInstanceIdentifier=db_id, ForceFailover=True)
    return f"rebooted {db_id} with forced failover (primary was in {az})"
