"""An interrupted run leaves nothing behind: SIGINT and SIGTERM roll back on the way out, and
after kill -9 `chaoscli rollback LOG` restores the stack from the log alone."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
import yaml

from chaoscli.aws.discover import discover
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.experiment.runner import compare
from chaoscli.topology import Topology
from tests.endpoint_helpers import REGION, cli, experiment_doc, stack_vpcs, step_for


def _experiment(tmp_path: Path) -> str:
    """An az-outage that lasts past the end of the traffic, so its changes stay pending."""
    step = step_for("az-outage", at_s=5, duration_s=1000)
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(experiment_doc([step], duration_s=400)), encoding="utf-8")  # type: ignore[list-item]
    return str(path)


def _start(url: str, exp: str, log: Path) -> subprocess.Popen[str]:
    """`chaoscli run` in a child process, paced so that it is still simulating when signalled."""
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chaoscli",
            "run",
            exp,
            "--endpoint-url",
            url,
            "--rollback-log",
            str(log),
            "--pace",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a child of a non-interactive shell may inherit SIGINT ignored; Ctrl-C must work
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_faults(proc: subprocess.Popen[str], log: Path, url: str, changes: int = 3) -> None:
    """Wait until the run is in its live replay: the log shows the method's changes undone
    once (after the model's pass) and made again, and the control plane shows the zone cut
    off. Markers, not a fixed sleep: a busy machine only makes the wait longer."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if log.exists():
            lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
            undone = {x["id"] for x in lines if x["op"] == "undone"}
            pending = [x for x in lines if x["op"] == "change" and x["id"] not in undone]
            if undone and len(pending) >= changes and _zone_cut_off(url):
                return
        time.sleep(0.1)
    raise AssertionError("the run never reached its live replay")


def _discover(url: str) -> Topology:
    with open_guarded(REGION, Access(url)) as session:
        return discover(session, "shop")


@pytest.fixture
def child(box: Sandbox) -> Iterator[list[subprocess.Popen[str]]]:
    """Children started by a test, killed if the test left them running; the server is
    reset after (moto's state is the whole process's, other modules' servers included)."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    box.reset()


def _zone_cut_off(url: str) -> bool:
    topo = _discover(url)
    return any(all(not s.reachable for s in topo.subnets if s.az == az) for az in topo.azs)


def _stopped_or_isolated(url: str) -> bool:
    topo = _discover(url)
    return any(i.state != "running" for i in topo.instances) or not all(
        s.reachable for s in topo.subnets
    )


def test_sigint_rolls_back_an_existing_stack(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]]
) -> None:
    """Ctrl-C during the live view: exit 130, the found stack exactly as before."""
    exp, log = _experiment(tmp_path), tmp_path / "int.rollback"
    assert cli("up", exp, "--endpoint-url", url).code == 0
    before = _discover(url)
    child.append(proc := _start(url, exp, log))
    _wait_for_faults(proc, log, url)
    assert _stopped_or_isolated(url)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert "rolled back" in err and "Traceback" not in err
    assert [x for x in compare(before, _discover(url)) if not x.startswith("expected:")] == []


def test_sigterm_rolls_back_and_removes_what_it_provisioned(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]]
) -> None:
    """SIGTERM: exit 143, and the stack the run provisioned is gone again."""
    exp, log = _experiment(tmp_path), tmp_path / "term.rollback"
    child.append(proc := _start(url, exp, log))
    _wait_for_faults(proc, log, url)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert stack_vpcs(url) == []


def test_kill_9_then_rollback_command_restores_the_stack(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]]
) -> None:
    """kill -9 leaves the fault in place; `chaoscli rollback LOG` undoes it from the log."""
    exp, log = _experiment(tmp_path), tmp_path / "kill.rollback"
    assert cli("up", exp, "--endpoint-url", url).code == 0
    before = _discover(url)
    child.append(proc := _start(url, exp, log))
    _wait_for_faults(proc, log, url)
    proc.kill()
    proc.wait()
    assert _stopped_or_isolated(url)  # nothing ran after SIGKILL
    r = cli("rollback", str(log))  # the endpoint comes from the log
    assert r.code == 0, r.err
    assert "undone: cleared chaoscli:fault=power-off" in r.out
    assert "identical to before the run" in r.out
    assert compare(before, _discover(url)) == []
    again = cli("rollback", str(log), "--endpoint-url", url)
    assert again.code == 0 and "nothing left to undo" in again.out


def test_kill_9_of_a_run_that_provisioned_then_rollback_leaves_nothing(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]]
) -> None:
    """After kill -9 of a run that built the stack, `rollback` also tears the stack down."""
    exp, log = _experiment(tmp_path), tmp_path / "kill2.rollback"
    child.append(proc := _start(url, exp, log))
    _wait_for_faults(proc, log, url)
    proc.kill()
    proc.wait()
    assert len(stack_vpcs(url)) == 1
    r = cli("rollback", str(log), "--endpoint-url", url)
    assert r.code == 0, r.err
    assert "tore down stack shop" in r.out
    assert stack_vpcs(url) == []


def _cli_child(*args: str) -> subprocess.Popen[str]:
    """A chaoscli command in a child process, whose SIGINT is not ignored."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    return subprocess.Popen(
        [sys.executable, "-m", "chaoscli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_until(proc: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 180
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never got there"
        time.sleep(0.02)


def _load_balancers(url: str) -> int:
    elb = boto3.client(
        "elbv2",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return len(elb.describe_load_balancers()["LoadBalancers"])


def test_up_stopped_halfway_deletes_what_it_built(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]]
) -> None:
    """SIGINT once `up` has created the VPC: exit 130, it says it deleted what it had built,
    and nothing of the stack is left on the server."""
    child.append(proc := _cli_child("up", _experiment(tmp_path), "--endpoint-url", url))
    _wait_until(proc, lambda: stack_vpcs(url) != [])
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert "interrupted while provisioning stack shop; deleted what had been built of it" in err
    assert stack_vpcs(url) == []
    assert cli("status", "--endpoint-url", url).code != 0  # no stack tagged shop


def test_down_stopped_halfway_prints_the_command_that_finishes(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]]
) -> None:
    """SIGTERM while `down` deletes: exit 143 and the `down` command that finishes the job
    (or, if it was done first, exit 0); that command leaves nothing."""
    assert cli("up", _experiment(tmp_path), "--endpoint-url", url).code == 0
    child.append(proc := _cli_child("down", "--endpoint-url", url, "--yes"))
    _wait_until(proc, lambda: _load_balancers(url) == 0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=180)
    if proc.returncode == 0:
        assert stack_vpcs(url) == []
        return
    assert proc.returncode == 143, err
    command = re.search(r"run `chaoscli (down [^`]+)` to finish", err)
    assert command is not None, err
    assert cli(*command.group(1).split()).code == 0
    assert stack_vpcs(url) == []
