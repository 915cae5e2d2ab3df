"""Property: SIGINT, a double SIGINT or SIGTERM at any instant of `chaoscli run` against a moto
server leaves the stack as it was (gone, for a run that created it) or prints the command that
restores it; the exit code and the last line say which.

Each instant is a phase marker the run leaves in its rollback log (the process started, the
stack provisioned, the topology noted, a fault injected) plus a drawn delay, so a busy machine
shifts the instants without moving them out of their phase; paced runs add the live replay,
and the second SIGINT of a pair lands in the rollback or the teardown.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chaoscli.aws.discover import discover
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.experiment.runner import compare
from chaoscli.topology import Topology
from tests.endpoint_helpers import REGION, cli, ec2, experiment_doc, step_for

MARKERS = ("start", "provisioned", "before", "change")
SIGNALS = {"INT": [signal.SIGINT], "INT INT": [signal.SIGINT] * 2, "TERM": [signal.SIGTERM]}
CLEAN_END = re.compile(
    r"chaoscli: (interrupted|terminated by SIGTERM) .*"
    r"(rolled back: |nothing was left to undo|before anything changed"
    r"|after the command had done its work)"
)


def _experiment(tmp_path: Path) -> str:
    step = step_for("az-outage", at_s=5, duration_s=15)
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(experiment_doc([step], duration_s=30)), encoding="utf-8")  # type: ignore[list-item]
    return str(path)


def _start(url: str, exp: str, log: Path, paced: bool) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    args = [sys.executable, "-m", "chaoscli", "run", exp, "--endpoint-url", url]
    args += ["--rollback-log", str(log), "--no-verify-fixes"]
    args += ["--pace", "15"] if paced else []
    return subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _reached(log: Path, marker: str) -> bool:
    """Whether the run has left ``marker`` in its rollback log."""
    if marker == "start":
        return True
    if not log.exists():
        return False
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if marker == "change" and item.get("op") == "change":
            return True
        if item.get("op") == "note" and marker in item.get("fields", {}):
            return True
    return False


def _leftovers(url: str) -> list[str]:
    """Whatever of a stack named shop is still on the server (terminated instances and their
    interfaces are moto's history, not resources)."""
    client = ec2(url)
    found = [
        v["VpcId"]
        for v in client.describe_vpcs(  # type: ignore[attr-defined]
            Filters=[{"Name": "tag:chaoscli:stack", "Values": ["shop"]}]
        )["Vpcs"]
    ]
    reservations = client.describe_instances(  # type: ignore[attr-defined]
        Filters=[
            {"Name": "tag:chaoscli:stack", "Values": ["shop"]},
            {
                "Name": "instance-state-name",
                "Values": ["pending", "running", "stopping", "stopped"],
            },
        ]
    )["Reservations"]
    found += [i["InstanceId"] for r in reservations for i in r["Instances"]]
    return found


def _discover(url: str) -> Topology:
    with open_guarded(REGION, Access(url)) as session:
        return discover(session, "shop")


def _differences(url: str, before: Topology | None) -> list[str]:
    """How the server differs from before the run: a found stack compared, a created one gone."""
    if before is None:
        return _leftovers(url)
    return [d for d in compare(before, _discover(url)) if not d.startswith("expected:")]


@pytest.fixture(scope="module")
def trials() -> Iterator[list[str]]:
    """A line per trial, printed at the end of the module (run with -s to see them)."""
    lines: list[str] = []
    yield lines
    print("\n".join(lines))


@settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],  # a trial takes seconds: report the failing one, do not shrink
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    existing=st.booleans(),
    paced=st.booleans(),
    kind=st.sampled_from(sorted(SIGNALS)),
    marker=st.sampled_from(MARKERS),
    delay=st.floats(0.0, 1.5),
    gap=st.floats(0.05, 0.6),
)
def test_a_signal_at_any_instant_leaves_the_stack_as_it_was(
    box: Sandbox,
    tmp_path: Path,
    trials: list[str],
    existing: bool,
    paced: bool,
    kind: str,
    marker: str,
    delay: float,
    gap: float,
) -> None:
    """Exit 130/143 and "rolled back" (or "nothing had been changed") with the stack as it was;
    or exit 4 naming `chaoscli rollback LOG`, which then restores it; never a traceback."""
    box.reset()
    try:
        _trial(box.url, tmp_path, trials, existing, paced, kind, marker, delay, gap)
    finally:
        box.reset()  # moto's state is the process's: leave none to the next test


def _trial(
    url: str,
    tmp_path: Path,
    trials: list[str],
    existing: bool,
    paced: bool,
    kind: str,
    marker: str,
    delay: float,
    gap: float,
) -> None:
    exp = _experiment(tmp_path)
    log = tmp_path / f"run-{time.monotonic_ns()}.rollback"
    before = None
    if existing:
        assert cli("up", exp, "--endpoint-url", url).code == 0
        before = _discover(url)
    if marker == "provisioned" and existing:
        marker = "before"  # a found stack is not provisioned
    proc = _start(url, exp, log, paced)
    try:
        deadline = time.monotonic() + 90
        while not _reached(log, marker) and proc.poll() is None:
            assert time.monotonic() < deadline, "the run never reached " + marker
            time.sleep(0.02)
        time.sleep(delay)
        for n, signum in enumerate(SIGNALS[kind]):
            if proc.poll() is not None:
                break
            if n:
                time.sleep(gap)
            proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    code = proc.returncode
    last = err.strip().splitlines()[-1] if err.strip() else ""
    trials.append(
        f"{kind:7} at {marker}+{delay:.2f}s paced={paced} existing={existing}: {code} {last}"
    )
    if not log.exists() and (code < 0 or "KeyboardInterrupt" in err):
        # the signal came while the interpreter itself started, before chaoscli could take
        # it: Python's own exit, and nothing had begun
        assert _differences(url, before) == [], err
        return
    assert "Traceback" not in err, err
    if code == 4:
        command = re.search(r"finish with `chaoscli rollback (\S+)`", last)
        assert command is not None, err
        r = cli("rollback", command.group(1))
        assert r.code == 0, r.err
    elif code in (130, 143):
        assert code == (143 if kind == "TERM" else 130), err
        assert CLEAN_END.search(last), err
        assert not log.exists()  # nothing left to replay: the log is gone
    else:
        assert code in (0, 1), err  # the run ended before the signal could be delivered
    assert _differences(url, before) == [], err
