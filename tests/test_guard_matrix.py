"""The guard matrix: every socket a chaoscli process opens, across every way to redirect it.

Each case runs chaoscli in a subprocess whose audit hook records every ``socket.connect`` and
every name lookup (``socket.getaddrinfo``), not only boto3's requests. Endpoint variables per
service, a config file's ``endpoint_url`` (global and per service, in a profile), in-process
runs, dry runs, a loopback moto server, a remote endpoint and real-AWS mode: no case connects
outside loopback, and in-process and dry runs connect nowhere at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chaoscli.aws.sandbox import Sandbox
from tests.endpoint_helpers import REGION, server

pytestmark = pytest.mark.slow

REMOTE = "http://10.255.255.1:5000"
# Services a run reaches, by the suffix of their AWS_ENDPOINT_URL_<SERVICE> variable.
SERVICES = (
    "EC2",
    "ELASTIC_LOAD_BALANCING_V2",
    "RDS",
    "AUTO_SCALING",
    "CLOUDWATCH",
    "STS",
    "S3",
    "SQS",
)
# The cheapest run that still provisions, injects, rolls back and tears down.
TINY = [
    "--set",
    "topology.instances_per_az=1",
    "--set",
    "topology.database.read_replicas=0",
    "--set",
    "traffic.rps=2000",
    "--set",
    "traffic.duration_s=60",
    "--var",
    "at_s=10",
    "--var",
    "duration_s=20",
    "--no-verify-fixes",
]
# Runs chaoscli's main with an audit hook that writes what the process tried to reach.
RECORDER = """
import atexit, json, os, sys
seen = []
def hook(event, args):
    if event == "socket.connect":
        seen.append(["connect", repr(args[1])])
    elif event == "socket.getaddrinfo":
        seen.append(["lookup", str(args[0])])
sys.addaudithook(hook)
atexit.register(lambda: open(os.environ["RECORD_TO"], "w").write(json.dumps(seen)))
from chaoscli.cli import main
sys.argv = ["chaoscli", *sys.argv[1:]]
main()
"""


@dataclass
class Case:
    """One row of the matrix: arguments, environment, and what must come of it."""

    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    codes: tuple[int, ...] = (0, 1)  # held or deviated: the run went through
    no_network: bool = False  # in-process and dry runs: not even loopback
    says: str = ""


@dataclass
class Seen:
    """What one case's process printed, how it exited, and every address it tried."""

    code: int
    err: str
    connects: list[str]
    lookups: list[str]


def _endpoint_vars(url: str) -> dict[str, str]:
    """AWS_ENDPOINT_URL_<SERVICE> for every service a run uses, all pointing at ``url``."""
    return {f"AWS_ENDPOINT_URL_{s}": url for s in SERVICES}


def _config(path: Path, url: str) -> Path:
    """A config file whose default profile and a ``chaos`` profile both redirect to ``url``."""
    path.write_text(
        f"[default]\nendpoint_url = {url}\nregion = {REGION}\n\n"
        f"[profile chaos]\nservices = redirect\nregion = {REGION}\n\n"
        f"[services redirect]\nec2 =\n  endpoint_url = {url}\n"
        f"elbv2 =\n  endpoint_url = {url}\nsts =\n  endpoint_url = {url}\n"
        f"rds =\n  endpoint_url = {url}\n"
    )
    return path


def _run(case: Case, tmp: Path) -> Seen:
    """Run the case's chaoscli in a subprocess and read back what it tried to reach."""
    record = tmp / f"{case.name}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(case.env, RECORD_TO=str(record), NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-c", RECORDER, *case.args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    seen = json.loads(record.read_text())
    return Seen(
        proc.returncode,
        proc.stderr,
        [a for kind, a in seen if kind == "connect"],
        [a for kind, a in seen if kind == "lookup"],
    )


def _cases(box: Sandbox, tmp: Path) -> list[Case]:
    """The matrix; ``box`` is a moto server on loopback."""
    remote_config = str(_config(tmp / "remote.config", REMOTE))
    box_config = str(_config(tmp / "box.config", box.url))
    real = ["status", "--allow-real-aws", "--account", "123456789012"]
    return [
        Case("in-process, endpoint per service", ["run", "az-outage", *TINY],
             _endpoint_vars(REMOTE), no_network=True),
        Case("in-process, config file and profile", ["run", "az-outage", *TINY],
             {"AWS_CONFIG_FILE": remote_config, "AWS_PROFILE": "chaos"},
             no_network=True),
        Case("dry run, server per service", ["run", "az-outage", *TINY, "--dry-run"],
             _endpoint_vars(box.url), codes=(0,), no_network=True),
        Case("dry run, remote endpoint, config file", ["run", "az-outage", *TINY, "--dry-run",
             "--endpoint-url", REMOTE], {"AWS_CONFIG_FILE": box_config}, codes=(0,),
             no_network=True),
        Case("server, remote per service and config", ["up", "--set",
             "topology.instances_per_az=1", "--endpoint-url", box.url],
             {**_endpoint_vars(REMOTE), "AWS_CONFIG_FILE": remote_config, "AWS_PROFILE": "chaos"},
             codes=(0,)),
        Case("server, status", ["status", "--stack", "none", "--endpoint-url", box.url],
             {"AWS_CONFIG_FILE": remote_config}, codes=(5,)),
        Case("remote endpoint", ["up", "--endpoint-url", REMOTE], codes=(2,),
             no_network=True, says="not on loopback"),
        Case("remote variable", ["down"], {"AWS_ENDPOINT_URL": REMOTE}, codes=(2,),
             no_network=True, says="not on loopback"),
        Case("real account, STS redirected", real, {"AWS_ENDPOINT_URL_STS": box.url},
             codes=(2,), no_network=True, says="refusing the sts client"),
        Case("real account, config redirects", real,
             {"AWS_CONFIG_FILE": remote_config, "AWS_PROFILE": "chaos"}, codes=(2,),
             no_network=True, says="refusing the sts client"),
        Case("real account without --account", ["status", "--allow-real-aws"], codes=(2,),
             no_network=True, says="--account"),
    ]  # fmt: skip


def _problems(case: Case, seen: Seen) -> list[str]:
    """What is wrong with one case's outcome: its exit code, its message, where it connected."""
    problems = []
    if seen.code not in case.codes:
        problems.append(f"exit {seen.code}, not {case.codes}: {seen.err.strip()[-300:]}")
    if case.says not in seen.err:
        problems.append(f"does not say {case.says!r}: {seen.err.strip()[-300:]}")
    outside = [a for a in seen.connects if not a.startswith("('127.0.0.1'")]
    outside += [h for h in seen.lookups if h not in ("127.0.0.1", "localhost")]
    if outside:
        problems.append(f"reached outside loopback: {outside}")
    if case.no_network and (seen.connects or seen.lookups):
        problems.append(f"should reach nothing, reached {seen.connects + seen.lookups}")
    return [f"{case.name}: {p}" for p in problems]


def test_no_case_connects_outside_loopback(tmp_path: Path) -> None:
    """Every case exits as expected and reaches nothing outside 127.0.0.1; in-process runs, dry
    runs and refusals reach nothing at all, not even a name lookup; the server cases do reach
    the server (so the recorder sees connections)."""
    with server() as box:
        cases = _cases(box, tmp_path)
        with ThreadPoolExecutor(max_workers=2) as pool:
            seen = list(pool.map(lambda c: _run(c, tmp_path), cases))
        box.reset()  # moto's backends are per process: leave no stack to later tests
    outcomes = dict(zip([c.name for c in cases], seen, strict=True))
    problems = [p for c, s in zip(cases, seen, strict=True) for p in _problems(c, s)]
    assert problems == [], "\n".join(problems)
    assert outcomes["server, status"].connects
    assert outcomes["server, remote per service and config"].connects
