"""`chaoscli rollback LOG`: replays a log's pending undos, compares with the topology noted
before the run, and reports bad input in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaoscli.aws.changes.instances import stop_instances
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.changes.network_acl import isolate_subnets
from chaoscli.aws.discover import discover
from chaoscli.aws.lease import acquire, remember, topology_from_json, topology_to_json
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.experiment.runner import compare
from tests.endpoint_helpers import REGION, cli


@pytest.fixture
def broken(box: Sandbox, tmp_path: Path) -> RollbackLog:
    """A stack on the server with zone a stopped and isolated, as a killed run leaves it."""
    box.reset()
    log = RollbackLog(tmp_path / "run.rollback")
    plan = StackPlan("shop", region=REGION, instances_per_az=2, read_replicas=0)
    with open_guarded(REGION, Access(box.url)) as session:
        acquire(session, log, plan)
        before = discover(session, "shop")
        remember(log, before)
        zone = f"{REGION}a"
        stop_instances(session, log, [i.id for i in before.instances_in(zone)])
        isolate_subnets(
            session, log, before.vpc_id, [s.id for s in before.subnets if s.az == zone], "shop"
        )
    return log


def test_rollback_restores_and_compares(broken: RollbackLog, box: Sandbox) -> None:
    """Both undos run, newest first, and the re-discovered stack equals the noted one."""
    r = cli("rollback", str(broken.path), "--endpoint-url", box.url)
    assert r.code == 0, r.err
    lines = [x for x in r.out.splitlines() if x.startswith("undone:")]
    assert "restored the NACLs" in lines[0] and "started 2 instance(s)" in lines[1]
    assert "identical to before the run" in r.out
    assert "tore down" in r.out  # the log says this run provisioned the stack
    assert broken.pending() == []


def test_rollback_reports_a_difference_it_cannot_undo(broken: RollbackLog, box: Sandbox) -> None:
    """A server terminated by hand meanwhile makes the undo fail, even retried: exit 4, one
    FAILED line, the aws command that finishes the job, and the log kept."""
    import boto3

    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=box.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    victim = broken.pending()[-1].undo["instance_ids"][0]
    ec2.terminate_instances(InstanceIds=[victim])
    r = cli("rollback", str(broken.path), "--endpoint-url", box.url)
    assert r.code == 4
    assert "FAILED" in r.out and victim in r.out
    fixes = [x for x in r.out.splitlines() if x.startswith("by hand: ")]
    assert len(fixes) == 1 and "ec2 start-instances --instance-ids" in fixes[0]
    assert f"--endpoint-url {box.url}" in fixes[0] and victim in fixes[0]
    assert f"chaoscli rollback {broken.path}" in r.err
    assert r.err.startswith("chaoscli: could not undo 1 change(s)") and r.err.count("\n") == 1
    assert any(e.kind == "start_instances" for e in broken.pending())


def test_missing_log_is_bad_input(tmp_path: Path) -> None:
    """A log that does not exist: one line, exit 2."""
    r = cli("rollback", str(tmp_path / "nope"))
    assert r.code == 2 and "no such rollback log" in r.err


def test_log_of_an_in_process_run_needs_nothing(tmp_path: Path) -> None:
    """A log from in-process moto has nothing left to restore: it says so, exit 0."""
    log = RollbackLog(tmp_path / "mem.rollback")
    log.note(stack="shop", region=REGION, endpoint=None, in_process=True)
    log.record("start_instances", {"instance_ids": ["i-1"]})
    r = cli("rollback", str(log.path))
    assert r.code == 0 and "in-process moto" in r.out


def test_log_without_endpoint_needs_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log that does not say where it ran asks for --endpoint-url: exit 2."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    log = RollbackLog(tmp_path / "old.rollback")
    log.record("start_instances", {"instance_ids": ["i-1"]})
    r = cli("rollback", str(log.path))
    assert r.code == 2 and "needs --endpoint-url" in r.err


def test_garbage_log_is_not_a_traceback(tmp_path: Path, box: Sandbox) -> None:
    """A file that is not a rollback log is read as an empty one, never a traceback."""
    path = tmp_path / "junk.rollback"
    path.write_bytes(b'\x00\xff{"op": "note", "fields": 3}\n[1, 2]\n{"op": "change"}\nnot json\n')
    box.reset()
    r = cli("rollback", str(path), "--endpoint-url", box.url)
    assert r.code == 0 and "Traceback" not in r.err
    assert "nothing left to undo" in r.out


def test_topology_survives_the_log(broken: RollbackLog) -> None:
    """The noted topology reads back equal to what discovery returned."""
    before = topology_from_json(broken.notes()["before"])
    assert topology_from_json(topology_to_json(before)) == before
    assert compare(before, before) == []


def test_a_log_written_before_the_changes_moved_still_replays(box: Sandbox, tmp_path: Path) -> None:
    """Change lines as earlier releases wrote them (same kinds, same undo fields) are undone."""
    box.reset()
    log = RollbackLog(tmp_path / "old.rollback")
    plan = StackPlan("shop", region=REGION, instances_per_az=1, read_replicas=0)
    with open_guarded(REGION, Access(box.url)) as session:
        acquire(session, log, plan)
        before = discover(session, "shop")
        remember(log, before)
        victim = before.instances_in(f"{REGION}a")[0].id
        session.client("ec2").stop_instances(InstanceIds=[victim])
    old = {"op": "change", "id": 1, "kind": "start_instances", "at": "2025-01-01T00:00:00+00:00"}
    with log.path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({**old, "undo": {"instance_ids": [victim]}, "step": "step-0"}) + "\n")
    r = cli("rollback", str(log.path), "--endpoint-url", box.url)
    assert r.code == 0, r.err
    assert f"started 1 instance(s) again: {victim}" in r.out
    assert log.pending() == []
