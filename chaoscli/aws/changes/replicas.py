"""Read replicas going away: delete one, and re-create it with the same id, zone and tags."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from chaoscli.aws.changes.log import RollbackLog, undoes
from chaoscli.aws.session import AwsSession, aws_errors, short_ids
from chaoscli.errors import AwsError

RECREATE_REPLICA = "recreate_replica"


def delete_replicas(session: AwsSession, log: RollbackLog, ids: Sequence[str]) -> str:
    """Delete read replicas, each logged first with what its re-creation needs."""
    ids = list(ids)
    if not ids:
        return "no read replicas to delete"
    rds = session.client("rds")
    for db_id in ids:
        with aws_errors(f"delete read replica {db_id}"):
            db = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
            source = db.get("ReadReplicaSourceDBInstanceIdentifier")
            if not source:
                raise AwsError(f"{db_id} is not a read replica: refusing to delete it")
            log.record(
                RECREATE_REPLICA,
                {
                    "db_id": db_id,
                    "source": source,
                    "az": db.get("AvailabilityZone", ""),
                    "instance_class": db["DBInstanceClass"],
                    "public": bool(db.get("PubliclyAccessible", False)),
                    "tags": list(db.get("TagList", [])),
                },
            )
            rds.delete_db_instance(
                DBInstanceIdentifier=db_id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
            )
    return f"deleted {len(ids)} read replica(s): {short_ids(ids)}"


def _recreate_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Create the read replica again from its source, in its zone, with its tags."""
    public = "--publicly-accessible" if undo.get("public") else "--no-publicly-accessible"
    tags = [f"Key={t['Key']},Value={t['Value']}" for t in undo.get("tags", [])]
    words = [
        "--db-instance-identifier",
        str(undo["db_id"]),
        "--source-db-instance-identifier",
        str(undo["source"]),
        "--db-instance-class",
        str(undo["instance_class"]),
        "--availability-zone",
        str(undo["az"]),
        public,
    ]
    if tags:
        words += ["--tags", *tags]
    return [f"{aws} rds create-db-instance-read-replica {shlex.join(words)}"]


@undoes(RECREATE_REPLICA, _recreate_by_hand)
def recreate_replica(session: AwsSession, undo: dict[str, Any]) -> str:
    """Create the replica again from its source, in its zone, unless it still exists."""
    db_id = str(undo["db_id"])
    rds = session.client("rds")
    with aws_errors(f"re-create read replica {db_id}"):
        found = [
            db
            for page in rds.get_paginator("describe_db_instances").paginate()
            for db in page["DBInstances"]
            if db["DBInstanceIdentifier"] == db_id
        ]
        if found and found[0].get("DBInstanceStatus") != "deleting":
            return f"read replica {db_id} still exists"
        if found:
            rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier=db_id)
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=str(undo["source"]))
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier=db_id,
            SourceDBInstanceIdentifier=str(undo["source"]),
            DBInstanceClass=str(undo["instance_class"]),
            AvailabilityZone=str(undo["az"]),
            PubliclyAccessible=bool(undo["public"]),
            Tags=list(undo["tags"]),
        )
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=db_id)
    return f"re-created read replica {db_id} of {undo['source']} in {undo['az']}"
