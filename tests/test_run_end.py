"""How a run ends: a stack left different after the rollback exits 4 with the log kept, an
interrupted run still writes its journal, and the rollback strategies of Chaos Toolkit."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from chaoscli.aws.changes import instance_tags, log
from chaoscli.aws.discover import discover
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.session import AwsSession
from chaoscli.experiment.compare import compare
from chaoscli.experiment.strategy import RollbackStrategy
from chaoscli.record import read
from chaoscli.topology import Topology
from tests.disk_faults import read_only
from tests.endpoint_helpers import REGION, SMALL, cli, stack_vpcs

# the fault lasts to the end of the traffic, so its changes are undone by the final rollback
LASTING = [*SMALL, "--var", "duration_s=50", "--no-verify-fixes"]
ZONE = f"{REGION}a"


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _discover(url: str) -> Topology:
    with open_guarded(REGION, Access(url)) as session:
        return discover(session, "shop")


def _then(monkeypatch: pytest.MonkeyPatch, after: Callable[[AwsSession], None]) -> None:
    """After the undo that clears the zone's power-off mark, ``after`` acts by hand."""
    real = log._UNDOS[instance_tags.CLEAR_FAULT_TAG]

    def undo(session: AwsSession, args: dict[str, Any]) -> str:
        line = real(session, args)
        after(session)
        return line

    monkeypatch.setitem(log._UNDOS, instance_tags.CLEAR_FAULT_TAG, undo)


def _suspend(session: AwsSession) -> None:
    asg = session.client("autoscaling")
    name = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupName"]
    asg.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=["AlarmNotification"])


def _stop_one_again(session: AwsSession) -> None:
    ec2 = session.client("ec2")
    ids = [
        i["InstanceId"]
        for r in ec2.describe_instances(Filters=[{"Name": "availability-zone", "Values": [ZONE]}])[
            "Reservations"
        ]
        for i in r["Instances"]
        if i["State"]["Name"] in ("pending", "running")
    ]
    ec2.stop_instances(InstanceIds=sorted(ids)[:1])


@pytest.mark.parametrize(
    ("by_hand", "line"),
    [(_suspend, "process AlarmNotification is suspended"), (_stop_one_again, "running/")],
)
def test_a_difference_after_the_rollback_exits_4_and_keeps_the_log(
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    by_hand: Callable[[AwsSession], None],
    line: str,
) -> None:
    """Something changed by hand during the rollback: the check names it, the run exits 4,
    the log stays, and the journal records the difference."""
    assert cli("up", "az-outage", *SMALL, "--endpoint-url", url).code == 0
    _then(monkeypatch, by_hand)
    rlog, journal = tmp_path / "run.rollback", tmp_path / "j.json"
    r = cli(
        "run", "az-outage", *LASTING, "--endpoint-url", url,
        "--rollback-log", str(rlog), "--journal", str(journal),
    )  # fmt: skip
    assert r.code == 4, r.err
    assert "not as it was after the rollback" in r.err and line in r.err
    assert f"chaoscli rollback {rlog}" in r.err and rlog.exists()
    assert any(line in d for d in read(journal).rollback_check)


def test_an_interrupted_run_still_writes_its_journal(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in the middle of the method: exit 130, and the journal says `interrupted`, with
    the topology measured before and the rollback's lines; the stack is as it was."""
    from chaoscli.experiment import method

    real = method._inject
    calls = []

    def inject(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(method, "_inject", inject)
    assert cli("up", "az-outage", *SMALL, "--endpoint-url", url).code == 0
    before = _discover(url)
    journal = tmp_path / "j.json"
    r = cli("run", "az-outage", *LASTING, "--endpoint-url", url, "--journal", str(journal))
    assert r.code == 130 and calls == [1]
    record = read(journal)
    assert record.status == "interrupted"
    assert record.topology.before is not None and record.rollbacks
    assert compare(before, _discover(url)) == []


def test_never_leaves_the_faults_and_says_how_to_undo_them(url: str, tmp_path: Path) -> None:
    """`--rollback-strategy never`: the zone stays powered off, the verdict is the exit code, and
    the printed command restores the stack."""
    assert cli("up", "az-outage", *SMALL, "--endpoint-url", url).code == 0
    before = _discover(url)
    rlog = tmp_path / "run.rollback"
    r = cli(
        "run", "az-outage", *LASTING, "--endpoint-url", url,
        "--rollback-log", str(rlog), "--rollback-strategy", "never",
    )  # fmt: skip
    assert r.code in (0, 1), r.err
    assert "not rolled back (--rollback-strategy never)" in r.out
    assert f"undo them with: chaoscli rollback {rlog}" in r.out
    assert {i.fault for i in _discover(url).instances_in(ZONE)} == {"power-off"}
    # no other command acts on a stack whose faults are still in it: not after the lease's
    # time, not the janitor; only the run's own log (or --break-lease, or down) lifts the mark
    again = cli("run", "az-outage", *LASTING, "--endpoint-url", url)
    assert again.code == 2, again.err
    assert "still has the changes run" in again.err and "left in place" in again.err
    assert "chaoscli rollback LOG" in again.err and "(nothing was changed)" in again.err
    janitor = cli("janitor", "--endpoint-url", url, "--yes")
    assert {i.fault for i in _discover(url).instances_in(ZONE)} == {"power-off"}, janitor.out
    undo = cli("rollback", str(rlog))
    assert undo.code == 0, undo.err
    assert compare(before, _discover(url)) == []
    assert cli("run", "az-outage", *LASTING, "--endpoint-url", url).code in (0, 1)


def test_break_lease_acts_on_a_stack_left_with_faults(url: str, tmp_path: Path) -> None:
    """--break-lease is the SRE's explicit word to go on with the faults in place."""
    assert cli("up", "az-outage", *SMALL, "--endpoint-url", url).code == 0
    kept = ("--rollback-log", str(tmp_path / "kept.rollback"), "--rollback-strategy", "never")
    assert cli("run", "az-outage", *LASTING, "--endpoint-url", url, *kept).code in (0, 1)
    assert cli("run", "az-outage", *LASTING, "--endpoint-url", url).code == 2
    r = cli("run", "az-outage", *LASTING, "--endpoint-url", url, "--break-lease")
    assert r.code in (0, 1), r.err
    assert cli("rollback", str(tmp_path / "kept.rollback")).code == 0
    # down deletes the stack, and with it whatever a run left in place
    again = ("--rollback-log", str(tmp_path / "again.rollback"), "--rollback-strategy", "never")
    assert cli("run", "az-outage", *LASTING, "--endpoint-url", url, *again).code in (0, 1)
    assert cli("down", "--endpoint-url", url, "--yes").code == 0
    assert stack_vpcs(url) == []


def test_deviated_rolls_back_only_a_run_that_deviated(tmp_path: Path) -> None:
    """In process: a run that held keeps its faults (said so); one that deviated does not."""
    held = cli("run", "az-outage", *LASTING, "--rollback-strategy", "deviated")
    assert held.code == 0, held.err
    assert "not rolled back (--rollback-strategy deviated)" in held.out
    assert "in-process moto: they end with this process" in held.out
    broke = cli(
        "run", "az-outage", *LASTING, "--set", "topology.azs=1", "--rollback-strategy", "deviated"
    )
    assert broke.code == 1, broke.err
    assert "not rolled back" not in broke.out


def test_the_strategies_as_chaos_toolkit_names_them() -> None:
    """always: every run; never: none; deviated: a deviation, or a run with no verdict."""
    table = {
        (s.value, status, dev): s.rolls_back(status, dev)
        for s in RollbackStrategy
        for status in ("completed", "interrupted", "aborted")
        for dev in (False, True)
    }
    assert all(v for (s, _, _), v in table.items() if s == "always")
    assert not any(v for (s, _, _), v in table.items() if s == "never")
    assert table[("deviated", "completed", False)] is False
    assert table[("deviated", "completed", True)] is True
    assert table[("deviated", "interrupted", False)] is True
    assert table[("deviated", "aborted", False)] is True


def test_a_log_folder_turned_read_only_still_ends_restored_with_a_journal(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log's folder refuses writes from the first injection on: every undo is still
    made, a warning says the log could not record them, and the journal is valid."""
    from chaoscli.experiment import method

    folder, journal = tmp_path / "logs", tmp_path / "j.json"
    folder.mkdir()
    real = method._inject
    frozen = contextlib.ExitStack()

    def inject(*args: Any, **kwargs: Any) -> Any:
        done = real(*args, **kwargs)
        if not frozen._exit_callbacks:  # type: ignore[attr-defined]
            frozen.enter_context(read_only(folder, monkeypatch))
        return done

    monkeypatch.setattr(method, "_inject", inject)
    assert cli("up", "az-outage", *SMALL, "--endpoint-url", url).code == 0
    before = _discover(url)
    with frozen:
        r = cli(
            "run", "az-outage", *LASTING, "--endpoint-url", url,
            "--rollback-log", str(folder / "run.rollback"), "--journal", str(journal),
        )  # fmt: skip
    assert r.code in (0, 1), r.err
    assert "warning: could not record" in r.err
    assert compare(before, _discover(url)) == []
    assert read(journal).status == ("completed" if r.code == 0 else "failed")
