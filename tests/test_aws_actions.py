"""Fault actions and their rollback, checked black-box through boto3 against in-process moto."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from chaoscli.aws import (
    AwsSession,
    RollbackError,
    RollbackLog,
    StackPlan,
    discover,
    isolate_subnets,
    provision,
    reboot_with_failover,
    rollback,
    stop_instances,
    teardown,
)
from chaoscli.aws.changes.instances import START_INSTANCES
from chaoscli.aws.nacl import nacl_allows
from chaoscli.aws.tags import PURPOSE_TAG
from chaoscli.errors import AwsError, NotRestored, SpecError
from chaoscli.topology import Topology

REGION = "ap-south-1"
ZONE = f"{REGION}a"
_names = (f"act{n}" for n in itertools.count(1))


@pytest.fixture
def before(session: AwsSession) -> Topology:
    """A freshly provisioned small stack (3 zones x 2 servers, 1 replica), as discovered."""
    plan = StackPlan(next(_names), instances_per_az=2, read_replicas=1)
    provision(session, plan)
    return discover(session, plan.stack)


@pytest.fixture
def log(tmp_path: Path) -> RollbackLog:
    """An empty rollback log in a temporary directory."""
    return RollbackLog(tmp_path / "rollback.jsonl")


def _zone_subnets(top: Topology) -> list[str]:
    return [s.id for s in top.subnets if s.az == ZONE]


def test_isolate_cuts_the_zone_off_and_rollback_restores_the_topology(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """Isolated subnets are reported unreachable; after rollback discovery equals the original."""
    isolate_subnets(session, log, before.vpc_id, _zone_subnets(before), before.stack)
    during = discover(session, before.stack)
    assert not during.zone_reachable(ZONE)
    assert {s.id for s in during.subnets if not s.reachable} == set(_zone_subnets(before))
    fault_nacls = {s.nacl_id for s in during.subnets if s.az == ZONE}
    assert len(fault_nacls) == 1 and fault_nacls != {s.nacl_id for s in before.subnets}
    acl = session.client("ec2").describe_network_acls(NetworkAclIds=list(fault_nacls))
    tags = {t["Key"]: t["Value"] for t in acl["NetworkAcls"][0]["Tags"]}
    assert tags[PURPOSE_TAG] == "fault"

    lines = rollback(session, log)
    assert len(lines) == 1
    assert discover(session, before.stack) == before
    remaining = session.client("ec2").describe_network_acls(
        Filters=[{"Name": f"tag:{PURPOSE_TAG}", "Values": ["fault"]}]
    )["NetworkAcls"]
    assert [a for a in remaining if a["VpcId"] == before.vpc_id] == []


def _associations(session: AwsSession, subnets: list[str]) -> dict[str, str]:
    acls = session.client("ec2").describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": subnets}]
    )["NetworkAcls"]
    return {
        a["SubnetId"]: acl["NetworkAclId"]
        for acl in acls
        for a in acl["Associations"]
        if a["SubnetId"] in subnets
    }


def test_a_nacl_restore_replayed_after_the_stack_was_torn_down_has_nothing_to_do(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """A log replayed after its stack is gone finds no subnet to restore and says so, where it
    used to fail on "subnet ... has no network ACL association" and keep the log forever."""
    isolate_subnets(session, log, before.vpc_id, _zone_subnets(before), before.stack)
    teardown(session, before.stack, before.vpc_id)
    lines = rollback(session, log)
    assert "subnet(s) gone, nothing to restore" in lines[0]
    assert log.pending() == []


def test_a_subnet_whose_own_nacl_was_deleted_goes_onto_the_vpc_default_nacl(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """The rollback never asks to move a subnet onto a NACL that is gone: moto would drop the
    subnet's association first and leave it with none. It uses the VPC's default NACL, says so,
    and the deny-all fault NACL is deleted."""
    subnets = [s.id for s in before.subnets]
    own = {s.nacl_id for s in before.subnets}
    isolate_subnets(session, log, before.vpc_id, subnets, before.stack)
    ec2 = session.client("ec2")
    for acl in own:  # nothing is associated with it any more, so AWS lets it go
        ec2.delete_network_acl(NetworkAclId=acl)
    lines = rollback(session, log)
    assert "went onto the VPC's default NACL" in lines[0]
    default = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [before.vpc_id]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"][0]["NetworkAclId"]
    assert _associations(session, subnets) == dict.fromkeys(subnets, default)
    faults = ec2.describe_network_acls(
        Filters=[{"Name": f"tag:{PURPOSE_TAG}", "Values": ["fault"]}]
    )["NetworkAcls"]
    assert [a for a in faults if a["VpcId"] == before.vpc_id] == []


def test_a_subnet_the_endpoint_left_without_any_nacl_association_does_not_stop_the_rollback(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """moto drops a subnet's association before it looks up the NACL it moves to: a replace
    interrupted there leaves the subnet with none, and no call can give it one back. The
    rollback says so for that subnet and restores the others and deletes the fault NACL."""
    subnets = [s.id for s in before.subnets]
    own = {s.id: s.nacl_id for s in before.subnets}
    isolate_subnets(session, log, before.vpc_id, subnets, before.stack)
    ec2 = session.client("ec2")
    bare, rest = subnets[0], subnets[1:]
    [association] = [
        a["NetworkAclAssociationId"]
        for acl in ec2.describe_network_acls()["NetworkAcls"]
        for a in acl.get("Associations", [])
        if a["SubnetId"] == bare
    ]
    with pytest.raises(ClientError):
        ec2.replace_network_acl_association(
            AssociationId=association, NetworkAclId="acl-0000000000000000a"
        )
    assert bare not in _associations(session, subnets)
    lines = rollback(session, log)
    assert "had no network ACL association to move back" in lines[0]
    assert _associations(session, rest) == {s: own[s] for s in rest}
    faults = ec2.describe_network_acls(
        Filters=[{"Name": f"tag:{PURPOSE_TAG}", "Values": ["fault"]}]
    )["NetworkAcls"]
    assert [a for a in faults if a["VpcId"] == before.vpc_id] == []


def test_stop_instances_and_rollback_returns_them_to_running(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """Stopped servers show as stopped/unused; rollback starts them and they are healthy again."""
    ids = [i.id for i in before.instances_in(ZONE)]
    assert stop_instances(session, log, ids).startswith("stopped 2 instance(s)")
    during = discover(session, before.stack)
    assert {(i.state, i.target_state) for i in during.instances_in(ZONE)} == {("stopped", "unused")}
    rollback(session, log)
    after = discover(session, before.stack)
    assert {(i.state, i.target_state) for i in after.instances_in(ZONE)} == {("running", "healthy")}
    assert after == before


def test_log_left_by_a_killed_run_can_be_rolled_back_from_disk(
    session: AwsSession, before: Topology, tmp_path: Path
) -> None:
    """A second RollbackLog loaded from the file undoes what the first one recorded (kill -9)."""
    path = tmp_path / "killed.jsonl"
    first = RollbackLog(path)
    stop_instances(session, first, [i.id for i in before.instances_in(ZONE)])
    isolate_subnets(session, first, before.vpc_id, _zone_subnets(before), before.stack)
    with path.open("a") as f:
        f.write('{"op": "change", "id": 3, "ki')  # the write kill -9 interrupted
    del first

    second = RollbackLog.load(path)
    assert [e.kind for e in second.pending()] == ["restore_nacls", "start_instances"]
    lines = rollback(session, second)
    assert len(lines) == 2
    assert discover(session, before.stack) == before
    assert RollbackLog.load(path).pending() == []


def test_rollback_twice_does_nothing_the_second_time(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """Once everything is undone, another rollback has nothing pending and changes nothing."""
    isolate_subnets(session, log, before.vpc_id, _zone_subnets(before), before.stack)
    stop_instances(session, log, [i.id for i in before.instances_in(ZONE)])
    assert len(rollback(session, log)) == 2
    size = log.path.stat().st_size
    assert rollback(session, log) == []
    assert log.path.stat().st_size == size
    assert discover(session, before.stack) == before


def test_a_failing_undo_does_not_stop_the_others(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """An undo that fails is reported at the end; the undos around it still run."""
    stop_instances(session, log, [i.id for i in before.instances_in(ZONE)])
    bad = log.record(START_INSTANCES, {"instance_ids": ["i-0000000000deadbee"]})
    isolate_subnets(session, log, before.vpc_id, _zone_subnets(before), before.stack)
    with pytest.raises(RollbackError) as caught:
        rollback(session, log)
    assert len(caught.value.undone) == 2
    assert len(caught.value.failed) == 1 and caught.value.failed[0].startswith(f"#{bad} ")
    assert isinstance(caught.value, NotRestored) and "\n" not in str(caught.value)
    assert str(log.path) in str(caught.value)
    assert discover(session, before.stack) == before
    assert [e.id for e in log.pending()] == [bad]


def test_reboot_with_failover_records_the_zone_and_undo_reports_no_move(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """moto does not move the primary on failover, so the undo says there is nothing to do."""
    assert before.database is not None
    primary = before.database.primary
    assert primary.az in reboot_with_failover(session, log, primary.id)
    assert log.pending()[0].undo == {"db_id": primary.id, "az": primary.az, "fail_back": False}
    assert rollback(session, log) == [
        f"{primary.id}: the control plane reports the primary in {ZONE}, as before the fault: "
        "nothing to fail back"
    ]


@pytest.mark.parametrize("fail_back", [False, True])
def test_fail_back_is_a_second_failover_only_when_asked(
    session: AwsSession, before: Topology, log: RollbackLog, fail_back: bool
) -> None:
    """A primary the failover moved stays where it is unless the step asked to fail back, and
    the rollback says which; failing back is a second forced failover."""
    assert before.database is not None
    primary = before.database.primary
    moved_from = next(az for az in before.azs if az != primary.az)  # as if the failover moved it
    log.record("fail_back_db", {"db_id": primary.id, "az": moved_from, "fail_back": fail_back})
    earlier = session.calls["rds RebootDBInstance"]
    [line] = rollback(session, log)
    reboots = session.calls["rds RebootDBInstance"] - earlier
    if fail_back:
        assert reboots == 1 and line.startswith(f"failed {primary.id} back")
    else:
        assert reboots == 0 and "second write outage" in line and f"left in {primary.az}" in line


def test_a_failover_left_in_place_is_an_expected_difference(before: Topology) -> None:
    """After a failover without fail-back the primary runs in its standby's zone: re-discovery
    names that as expected; the primary anywhere else is a plain difference."""
    from dataclasses import replace

    from chaoscli.experiment.compare import compare

    db = before.database
    assert db is not None and db.standby_az is not None
    swapped = replace(db, primary=replace(db.primary, az=db.standby_az), standby_az=db.primary.az)
    [line] = compare(before, replace(before, database=swapped))
    assert line.startswith("expected: ") and "second write outage" in line
    third = next(az for az in before.azs if az not in (db.primary.az, db.standby_az))
    moved = replace(db, primary=replace(db.primary, az=third))
    assert not compare(before, replace(before, database=moved))[0].startswith("expected")


def test_failover_of_a_single_az_database_is_refused(session: AwsSession, log: RollbackLog) -> None:
    """Without a standby there is nothing to fail over to; nothing is recorded or changed."""
    plan = StackPlan(next(_names), instances_per_az=0, read_replicas=0, db_multi_az=False)
    provision(session, plan)
    db = discover(session, plan.stack).database
    assert db is not None and not db.multi_az and db.standby_az is None
    with pytest.raises(AwsError, match="not Multi-AZ"):
        reboot_with_failover(session, log, db.primary.id)
    assert log.pending() == []


def test_log_lines_are_json_and_loading_a_missing_log_is_a_spec_error(
    tmp_path: Path, log: RollbackLog
) -> None:
    """Entries are plain JSON lines with increasing ids; a missing file is bad input."""
    assert log.record("start_instances", {"instance_ids": ["i-1"]}) == 1
    assert log.record("fail_back_db", {"db_id": "d", "az": ZONE}) == 2
    log.mark_undone(1)
    lines = [json.loads(x) for x in log.path.read_text().splitlines()]
    assert [(x["op"], x["id"]) for x in lines] == [("change", 1), ("change", 2), ("undone", 1)]
    assert [e.id for e in RollbackLog.load(log.path).pending()] == [2]
    with pytest.raises(SpecError, match="no such rollback log"):
        RollbackLog.load(tmp_path / "missing.jsonl")


def _entry(number: int, action: str, egress: bool, **extra: object) -> dict[str, object]:
    return {
        "RuleNumber": number,
        "RuleAction": action,
        "Egress": egress,
        "CidrBlock": "0.0.0.0/0",
        "Protocol": "-1",
        **extra,
    }


def test_nacl_entries_are_evaluated_in_rule_number_order() -> None:
    """The lowest matching rule decides, each direction separately; no match means deny."""
    allow_all = [_entry(100, "allow", False), _entry(100, "allow", True)]
    assert nacl_allows(allow_all)
    assert not nacl_allows([])
    assert not nacl_allows([_entry(100, "allow", False)])  # no egress rule: implicit deny
    assert not nacl_allows([*allow_all, _entry(50, "deny", True)])
    assert nacl_allows([*allow_all, _entry(200, "deny", True)])
    web = _entry(10, "deny", False, Protocol="6", PortRange={"From": 443, "To": 443})
    assert not nacl_allows([*allow_all, web])
    ssh = _entry(10, "deny", False, Protocol="6", PortRange={"From": 22, "To": 22})
    assert nacl_allows([*allow_all, ssh])
    office = {**_entry(10, "deny", False), "CidrBlock": "10.0.0.0/8"}
    assert nacl_allows([*allow_all, office])


def test_every_kind_an_earlier_log_holds_has_an_undo() -> None:
    """The kinds written into logs never change: each one an old log may hold is undoable."""
    from chaoscli.aws.changes import undo_kinds

    assert undo_kinds() >= {
        "start_instances",
        "restore_nacls",
        "fail_back_db",
        "restore_asg_zones",
        "clear_fault_tag",
        "recreate_replica",
        "delete_alarm",
        "restore_alarm_state",
    }
