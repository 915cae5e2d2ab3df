"""A Multi-AZ database's forced failover (FIS aws:rds:reboot-db-instances), and the failback.

Failing back is a second forced failover, so a second write outage as long as the first: the
rollback does it only when the step asked for it (``fail_back``), and says so either way.
"""

from __future__ import annotations

import shlex
from typing import Any

from chaoscli.aws.changes.log import RollbackLog, undoes
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.errors import AwsError

FAIL_BACK_DB = "fail_back_db"


def reboot_with_failover(
    session: AwsSession, log: RollbackLog, db_id: str, *, fail_back: bool = False
) -> str:
    """Reboot a Multi-AZ database with a forced failover; the undo fails it back if asked."""
    rds = session.client("rds")
    with aws_errors(f"fail over database {db_id}"):
        db = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
        if not db.get("MultiAZ"):
            raise AwsError(f"database {db_id} is not Multi-AZ: there is no standby to fail over to")
        az = str(db.get("AvailabilityZone", ""))
        log.record(FAIL_BACK_DB, {"db_id": db_id, "az": az, "fail_back": fail_back})
        rds.reboot_db_instance(DBInstanceIdentifier=db_id, ForceFailover=True)
    then = (
        "the rollback fails it back: a second write outage"
        if fail_back
        else "the rollback leaves it on the standby (no second failover)"
    )
    return f"rebooted {db_id} with forced failover (primary was in {az}); {then}"


def _fail_back_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Fail the database back only if its primary is not where it began."""
    db_id, az = shlex.quote(undo["db_id"]), undo["az"]
    where = f"{aws} rds describe-db-instances --db-instance-identifier {db_id}"
    return [
        f"[ \"$({where} --query 'DBInstances[0].AvailabilityZone' --output text)\" = {az} ] || "
        f"{aws} rds reboot-db-instance --db-instance-identifier {db_id} --force-failover"
    ]


@undoes(FAIL_BACK_DB, _fail_back_by_hand)
def fail_back_db(session: AwsSession, undo: dict[str, Any]) -> str:
    """Fail the database back to its recorded zone if a failover moved the primary and the step
    asked for it (logs without the flag predate it and fail back, as they did)."""
    db_id, az = str(undo["db_id"]), str(undo["az"])
    rds = session.client("rds")
    with aws_errors(f"fail {db_id} back to {az}"):
        db = rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]
        now = db.get("AvailabilityZone")
        if now == az:
            return (
                f"{db_id}: the control plane reports the primary in {az}, as before the "
                "fault: nothing to fail back"
            )
        if not undo.get("fail_back", True):
            return (
                f"{db_id}: primary left in {now}, where the failover put it (failing back to {az} "
                "would be a second write outage; set fail_back: true on the step to do it)"
            )
        rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=db_id)
        rds.reboot_db_instance(DBInstanceIdentifier=db_id, ForceFailover=True)
    return f"failed {db_id} back from {db.get('AvailabilityZone')} to {az}"
