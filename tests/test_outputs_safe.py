"""Outputs nothing can lose, and the rollback log's home: paths are tried before a run, files
are replaced whole, a full disk keeps the old journal, and logs live in the state folder."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chaoscli.aws.changes import log_home
from chaoscli.aws.changes.instances import stop_instances
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.discover import discover
from chaoscli.aws.lease import acquire, remember
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.errors import SpecError
from chaoscli.record.write import OutputError, write_atomic
from tests.disk_faults import full, read_only
from tests.endpoint_helpers import REGION, SMALL, cli

RUN = ["run", "az-outage", *SMALL, "--no-verify-fixes"]


def _state_logs() -> list[Path]:
    return sorted(log_home.folder().glob("*.rollback"))


def test_an_unwritable_journal_is_refused_before_anything_changes() -> None:
    """`--journal /proc/j.json` names a folder that takes no new file: exit 2, one line, and
    no rollback log was even started."""
    r = cli(*RUN, "--journal", "/proc/j.json")
    assert r.code == 2 and r.err.count("\n") == 1
    assert "cannot write into /proc" in r.err
    assert _state_logs() == []


def test_a_read_only_report_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that exists but refuses writes is bad input too, before the run."""
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder, monkeypatch):
        r = cli(*RUN, "--report", str(folder / "r.html"))
    assert r.code == 2 and "cannot write into" in r.err


def test_a_full_disk_keeps_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replacing a journal on a full disk fails cleanly: the old one is intact, no temporary
    file is left, and the error says which file."""
    folder = tmp_path / "disk"
    folder.mkdir()
    with full(folder, monkeypatch) as fill:
        old = folder / "j.json"
        write_atomic(old, json.dumps({"status": "completed", "n": 1}))
        fill()
        with pytest.raises(OutputError, match=r"could not write .*j\.json"):
            write_atomic(old, json.dumps({"n": list(range(100_000))}))
        assert json.loads(old.read_text()) == {"status": "completed", "n": 1}
        assert sorted(p.name for p in folder.iterdir() if p.name != ".filler") == ["j.json"]


def test_a_run_on_a_full_disk_prints_its_verdict_and_keeps_the_old_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal cannot be written: the verdict is still printed, the old journal is
    intact, and the exit code says an output was lost (3)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    with full(folder, monkeypatch) as fill:
        journal = folder / "j.json"
        journal.write_text('{"old": true}\n')
        fill()
        r = cli(*RUN, "--journal", str(journal))
        assert json.loads(journal.read_text()) == {"old": True}
    assert r.code == 3, r.err
    assert "HELD" in r.out or "DEVIATED" in r.out
    assert "could not write" in r.err and "the verdict above stands" in r.err


def test_the_log_lives_in_the_state_folder_and_is_printed_for_an_endpoint(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a server the first line names the log in $XDG_STATE_HOME/chaoscli/rollback/;
    a clean finish deletes it; nothing is left in the temporary folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = cli(*RUN, "--endpoint-url", url)
    assert r.code in (0, 1), r.err
    first = r.out.splitlines()[0]
    assert first.startswith(f"rollback log: {log_home.folder()}/")
    assert "chaoscli rollback " in first
    assert _state_logs() == [] and list(tmp_path.iterdir()) == []


def test_an_in_process_run_says_nothing_of_its_log() -> None:
    """In-process moto dies with the process, so the log is not worth a line; it is gone
    after a clean finish."""
    r = cli(*RUN)
    assert r.code in (0, 1), r.err
    assert "rollback log" not in r.out
    assert _state_logs() == []


def test_the_folder_follows_xdg_state_home_else_the_home() -> None:
    """XDG's state folder when set, ``~/.local/state`` otherwise."""
    assert log_home.folder({"XDG_STATE_HOME": "/s", "HOME": "/h"}) == Path("/s/chaoscli/rollback")
    assert log_home.folder({"HOME": "/h"}) == Path("/h/.local/state/chaoscli/rollback")
    a = log_home.new_path("run1", {"HOME": "/h"})
    assert a.parent == Path("/h/.local/state/chaoscli/rollback") and a.name.endswith(
        "-run1.rollback"
    )


def _killed_run(box: Sandbox) -> RollbackLog:
    """A run killed after stopping zone a's servers, its log in the state folder."""
    log = RollbackLog(log_home.new_path("killed"))
    with open_guarded(REGION, Access(box.url)) as session:
        acquire(session, log, StackPlan("shop", region=REGION, instances_per_az=1, read_replicas=0))
        before = discover(session, "shop")
        remember(log, before)
        stop_instances(session, log, [i.id for i in before.instances_in(f"{REGION}a")])
    log.note(provisioned=False)
    return log


def test_rollback_last_finds_the_newest_unfinished_log(box: Sandbox) -> None:
    """`rollback --last` skips finished logs and in-process ones and restores the killed
    run's stack; its log, finished now, is not found again."""
    box.reset()
    killed = _killed_run(box)
    done = RollbackLog(log_home.new_path("zz-done"))
    done.note(stack="other", endpoint=box.url)
    mem = RollbackLog(log_home.new_path("zz-mem"))
    mem.note(stack="shop", in_process=True)
    mem.record("start_instances", {"instance_ids": ["i-1"]})
    r = cli("rollback", "--last")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == f"rollback log: {killed.path}"
    assert "started 1 instance(s) again" in r.out and "identical to before the run" in r.out
    assert killed.path.exists() and RollbackLog.load(killed.path).pending() == []
    r = cli("rollback", "--last")
    assert r.code == 2 and "no unfinished rollback log" in r.err


def test_rollback_exits_4_and_keeps_the_log_when_the_stack_differs(box: Sandbox) -> None:
    """A difference no logged change explains (a server stopped by hand after the run):
    printed, exit 4, the log kept."""
    import boto3

    box.reset()
    killed = _killed_run(box)
    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=box.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    other = [
        i["InstanceId"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["Placement"]["AvailabilityZone"] == f"{REGION}b"
    ]
    ec2.stop_instances(InstanceIds=other[:1])
    r = cli("rollback", str(killed.path))
    assert r.code == 4
    assert f"difference: instance {other[0]}" in r.out
    assert "is kept" in r.err and killed.path.exists()


def test_prune_deletes_old_finished_logs_only(box: Sandbox) -> None:
    """Finished and in-process logs older than a day go; an unfinished one and a fresh
    finished one stay."""
    box.reset()
    unfinished = _killed_run(box)
    finished = RollbackLog(log_home.new_path("fin"))
    finished.note(stack="x", endpoint=box.url)
    fresh = RollbackLog(log_home.new_path("fresh"))
    fresh.note(stack="y", endpoint=box.url)
    mem = RollbackLog(log_home.new_path("mem"))
    mem.note(stack="z", in_process=True)
    mem.record("start_instances", {"instance_ids": ["i-1"]})
    old = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for log in (unfinished, finished, mem):
        os.utime(log.path, (old, old))
    gone = log_home.prune()
    assert sorted(gone) == sorted([finished.path, mem.path])
    assert unfinished.path.exists() and fresh.path.exists()


def test_a_killed_runs_unreleased_lease_makes_its_log_unfinished() -> None:
    """A run killed after its last undo still holds the stack's lease, which keeps every
    other command off the stack: `rollback --last` must find its log until the lease is
    released (a clean run or `rollback LOG` notes that)."""
    log = RollbackLog(log_home.new_path("leased"))
    log.note(stack="shop", endpoint="http://127.0.0.1:5000", in_process=False)
    log.note(lease_run="0badc0de", lease_vpc="vpc-1")
    assert log_home.last_unfinished() == log.path
    log.note(lease_released=True)
    with pytest.raises(SpecError, match="no unfinished rollback log"):
        log_home.last_unfinished()
