"""The rollback finishes: every undo is attempted when the log cannot be written, a failed
undo is retried with backoff and then reported with the aws CLI commands that finish it."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoscli.aws.changes import autoscaling, instance_tags, instances, log, network_acl
from chaoscli.aws.changes.log import RollbackError, RollbackLog, rollback, undo_kinds
from chaoscli.aws.discover import discover
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.aws.session import AwsSession
from chaoscli.errors import NotRestored
from chaoscli.topology import Topology
from tests.disk_faults import full, read_only
from tests.endpoint_helpers import REGION

ZONE = f"{REGION}a"
_names = (f"fin{n}" for n in itertools.count(1))


@pytest.fixture
def before(session: AwsSession) -> Topology:
    """A small stack (3 zones x 2 servers, no replica) in in-process moto."""
    plan = StackPlan(next(_names), region=REGION, instances_per_az=2, read_replicas=0)
    provision(session, plan)
    return discover(session, plan.stack)


def _break_zone(session: AwsSession, rlog: RollbackLog, topo: Topology) -> None:
    """Four changes of four kinds in zone a, as az-outage makes them."""
    ids = [i.id for i in topo.instances_in(ZONE)]
    subnets = [s.id for s in topo.subnets if s.az == ZONE]
    instances.stop_instances(session, rlog, ids)
    network_acl.isolate_subnets(session, rlog, topo.vpc_id, subnets, topo.stack)
    autoscaling.block_zone_launches(session, rlog, topo.stack, subnets)
    instance_tags.set_fault_tag(session, rlog, [i.id for i in topo.instances_in(f"{REGION}b")], "x")


def test_a_read_only_log_folder_does_not_stop_the_rollback(
    session: AwsSession, before: Topology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the log's folder refuses writes, every undo is still made and the problem is the
    last line; the log is left listing them all."""
    folder = tmp_path / "logs"
    folder.mkdir()
    rlog = RollbackLog(folder / "run.rollback")
    _break_zone(session, rlog, before)
    assert len(rlog.pending()) == 4
    with read_only(folder, monkeypatch):
        lines = rollback(session, rlog)
        assert len(lines) == 4
        assert rlog.problems[0].startswith("could not record 4 undo(s) in the rollback log")
        assert rlog.pending() == []  # this process knows they are undone
        assert len(RollbackLog.load(rlog.path).pending()) == 4  # the file could not say so
    assert discover(session, before.stack) == before


def test_a_full_disk_does_not_stop_the_rollback(
    session: AwsSession, before: Topology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a disk that is full, every undo is made and reported; replaying the log later
    changes nothing."""
    folder = tmp_path / "logs"
    folder.mkdir()
    with full(folder, monkeypatch) as fill:
        rlog = RollbackLog(folder / "run.rollback")
        _break_zone(session, rlog, before)
        fill()
        lines = rollback(session, rlog)
        assert discover(session, before.stack) == before
        assert len(lines) == 4
        again = RollbackLog.load(rlog.path)
        rollback(session, again)
    assert discover(session, before.stack) == before


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, int], list[int]]]:
    """Make the undo of a kind fail its first N attempts; returns the attempt counter."""

    def make(kind: str, failures: int) -> list[int]:
        real = log._UNDOS[kind]
        tries: list[int] = []

        def undo(session: AwsSession, args: dict[str, Any]) -> str:
            tries.append(len(tries) + 1)
            if len(tries) <= failures:
                raise ConnectionError("connection reset by peer")
            return real(session, args)

        monkeypatch.setitem(log._UNDOS, kind, undo)
        return tries

    yield make


def test_a_failed_undo_is_retried_with_backoff(
    session: AwsSession, before: Topology, tmp_path: Path, flaky: Any
) -> None:
    """Two failures then a success: waits of 2 s then 4 s, and the stack is restored."""
    tries = flaky(instances.START_INSTANCES, 2)
    waits: list[float] = []
    rlog = RollbackLog(tmp_path / "run.rollback")
    _break_zone(session, rlog, before)
    lines = rollback(session, rlog, retry=log.Retry(sleep=waits.append))
    assert tries == [1, 2, 3] and waits == [2.0, 4.0]
    assert len(lines) == 4 and rlog.pending() == []
    assert discover(session, before.stack) == before


def test_an_undo_that_keeps_failing_is_reported_with_its_fix(
    session: AwsSession, before: Topology, tmp_path: Path, flaky: Any
) -> None:
    """After three attempts the change is left, named with the aws command that undoes it;
    the other undos are made, and the error is exit 4's."""
    tries = flaky(instances.START_INSTANCES, 99)
    rlog = RollbackLog(tmp_path / "run.rollback")
    _break_zone(session, rlog, before)
    stopped = rlog.pending()[-1].undo["instance_ids"]
    with pytest.raises(RollbackError) as caught:
        rollback(session, rlog)
    err = caught.value
    assert isinstance(err, NotRestored) and len(tries) == 3
    assert len(err.undone) == 3 and len(err.failed) == 1
    assert err.fixes == [
        f"aws --region {REGION} ec2 start-instances --instance-ids {' '.join(stopped)}"
    ]
    assert f"chaoscli rollback {rlog.path}" in str(err) and "\n" not in str(err)
    assert [e.kind for e in rlog.pending()] == [instances.START_INSTANCES]


def test_every_kind_of_change_has_a_manual_fix() -> None:
    """A kind without the commands that finish its undo by hand cannot be registered."""
    assert undo_kinds() == frozenset(log._FIXES)


@pytest.mark.skipif(shutil.which("aws") is None, reason="needs the aws CLI")
def test_the_printed_fixes_restore_the_stack(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every undo failing, the commands printed instead, run by a shell with the aws CLI
    against the same server, restore the stack exactly."""
    box.reset()
    rlog = RollbackLog(tmp_path / "run.rollback")
    for kind in undo_kinds():
        monkeypatch.setitem(log._UNDOS, kind, _always_fails)
    with open_guarded(REGION, Access(box.url)) as aws:
        provision(aws, StackPlan("shop", region=REGION, instances_per_az=2, read_replicas=0))
        topo = discover(aws, "shop")
        _break_zone(aws, rlog, topo)
        with pytest.raises(RollbackError) as caught:
            rollback(aws, rlog)
        assert len(caught.value.failed) == 4 and len(caught.value.fixes) >= 6
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_PAGER": "",
        }
        for command in caught.value.fixes:
            done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
            assert done.returncode == 0, (command, done.stderr)
        assert discover(aws, "shop") == topo


def _always_fails(session: AwsSession, args: dict[str, Any]) -> str:
    raise ConnectionError("connection refused")
