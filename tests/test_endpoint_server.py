"""Runs, faults and stack commands against a moto server on loopback, as a separate process
(or an SRE's aws CLI) would see them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chaoscli.aws.discover import discover
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.experiment.runner import compare
from chaoscli.topology import Topology
from tests.endpoint_helpers import (
    REGION,
    cli,
    ec2,
    experiment_doc,
    fault_names,
    stack_vpcs,
    step_for,
)


def _experiment(tmp_path: Path, steps: list[dict[str, object]]) -> str:
    """Write a small experiment with this method; its path."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(experiment_doc(steps)), encoding="utf-8")
    return str(path)


def _discover(url: str) -> Topology:
    """The stack on the server, as chaoscli discovers it."""
    with open_guarded(REGION, Access(url)) as session:
        return discover(session, "shop")


def _unexpected(lines: list[str]) -> list[str]:
    """Differences that rollback should have removed (not ones AWS makes on its own)."""
    return [line for line in lines if not line.startswith("expected:")]


def test_run_on_empty_server_provisions_and_tears_down(url: str, tmp_path: Path) -> None:
    """A run that found no stack provisions one and leaves the server as empty as it was."""
    exp = _experiment(tmp_path, [step_for("az-outage")])  # type: ignore[list-item]
    log = tmp_path / "run.rollback"
    r = cli("run", exp, "--endpoint-url", url, "--rollback-log", str(log))
    assert r.code in (0, 1), r.err
    assert stack_vpcs(url) == []
    reservations = ec2(url).describe_instances(  # type: ignore[attr-defined]
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running", "stopped"]}]
    )["Reservations"]
    assert reservations == []
    assert not log.exists()  # a completed run removes its log


@pytest.mark.parametrize("fault", fault_names())
def test_fault_round_trip_through_server_leaves_stack_as_found(
    url: str, tmp_path: Path, fault: str
) -> None:
    """Each fault, injected and rolled back on a server, leaves an existing stack as it was."""
    step = step_for(fault)
    if step is None:
        pytest.skip(f"no simple step for {fault}")
    exp = _experiment(tmp_path, [step])
    assert cli("up", exp, "--endpoint-url", url).code == 0
    before = _discover(url)
    r = cli("run", exp, "--endpoint-url", url)
    assert r.code in (0, 1), r.err
    assert "tore down" not in r.out
    after = _discover(url)
    assert after.vpc_id == before.vpc_id
    assert _unexpected(compare(before, after)) == []


def test_az_outage_is_visible_on_server_while_it_lasts(url: str, tmp_path: Path) -> None:
    """Between inject and rollback the server really holds the fault (stopped zone a)."""
    from chaoscli.aws.changes.log import RollbackLog, rollback
    from chaoscli.aws.lease import acquire
    from chaoscli.experiment.loader import load
    from chaoscli.experiment.runner import plan_for

    exp = load(_experiment(tmp_path, [step_for("az-outage")])).experiment  # type: ignore[list-item]
    log = RollbackLog(tmp_path / "log")
    with open_guarded(REGION, Access(url)) as session:
        acquire(session, log, plan_for(exp))
        before = discover(session, "shop")
        from chaoscli.aws.changes.instances import stop_instances

        zone_a = [i.id for i in before.instances_in(f"{REGION}a")]
        stop_instances(session, log, zone_a)
    states = {
        i["InstanceId"]: i["State"]["Name"]
        for r in ec2(url).describe_instances(InstanceIds=zone_a)["Reservations"]  # type: ignore[attr-defined]
        for i in r["Instances"]
    }
    assert set(states.values()) == {"stopped"}
    with open_guarded(REGION, Access(url)) as session:
        rollback(session, log)
        assert compare(before, discover(session, "shop")) == []


def test_endpoint_from_environment(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL alone sends `up` to the server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    exp = _experiment(tmp_path, [])
    assert cli("up", exp).code == 0
    assert len(stack_vpcs(url)) == 1


def test_up_status_down(url: str, tmp_path: Path) -> None:
    """`up` provisions once, `status` shows zones and servers, `down` deletes everything."""
    exp = _experiment(tmp_path, [])
    first = cli("up", exp, "--endpoint-url", url)
    assert first.code == 0 and "provisioned stack shop" in first.out
    again = cli("up", exp, "--endpoint-url", url)
    assert again.code == 0 and "already exists" in again.out
    assert len(stack_vpcs(url)) == 1
    status = cli("status", "--endpoint-url", url)
    assert status.code == 0, status.err
    assert f"{REGION}a" in status.out and "2 running" in status.out and "primary" in status.out
    down = cli("down", "--endpoint-url", url, "--yes")
    assert down.code == 0 and "deleted stack shop" in down.out
    assert stack_vpcs(url) == []
    assert "nothing to delete" in cli("down", "--endpoint-url", url).out


def test_stack_commands_need_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an endpoint `up`, `status` and `down` refuse in one line with exit 2."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for args in (("up",), ("status",), ("down",)):
        r = cli(*args)
        assert r.code == 2, args
        assert "needs --endpoint-url" in r.err and "Traceback" not in r.err


def test_bad_endpoint_url_is_bad_input() -> None:
    """An endpoint that is not an http(s) URL is one line and exit 2."""
    r = cli("status", "--endpoint-url", "ftp:/nowhere")
    assert r.code == 2 and "not an http(s) URL" in r.err


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def test_sandbox_command_serves_until_ctrl_c() -> None:
    """`chaoscli sandbox` prints the export line, answers boto3, and stops cleanly on SIGINT."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoscli", "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        url = f"http://127.0.0.1:{port}"
        assert f"export AWS_ENDPOINT_URL={url}" in lines[1]
        assert stack_vpcs(url) == []  # it answers
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


def test_sandbox_on_a_busy_port_is_one_line() -> None:
    """A port already in use is reported in one line with exit 2, not a hang."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = cli("sandbox", "--port", str(s.getsockname()[1]))
    assert r.code == 2 and "cannot listen" in r.err
