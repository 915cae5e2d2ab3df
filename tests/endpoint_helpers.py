"""Shared pieces for tests that need a moto server or the CLI: a server, a CLI call, a stack."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import boto3

from chaoscli.aws.sandbox import Sandbox, running_sandbox
from chaoscli.cli import main

REGION = "ap-south-1"
# A small, fast stack and run: 3 zones x 2 servers, 1 replica, 60 light virtual seconds.
SMALL = [
    "--set",
    "topology.instances_per_az=2",
    "--set",
    "topology.database.read_replicas=1",
    "--set",
    "traffic.rps=12000",
    "--set",
    "traffic.duration_s=60",
    "--set",
    "engine.samples_per_s=100",
    "--var",
    "at_s=10",
    "--var",
    "duration_s=20",
]


@dataclass
class Result:
    """What one CLI invocation printed and how it exited."""

    code: int
    out: str
    err: str


def cli(*args: str) -> Result:
    """Run ``chaoscli ARGS`` in this process through ``main`` (where exit codes are made)."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["chaoscli", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    return Result(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def server() -> Iterator[Sandbox]:
    """A moto server on a free loopback port, stopped afterwards."""
    with running_sandbox(0) as box:
        yield box


def ec2(url: str) -> object:
    """A plain boto3 EC2 client on the server, to look at it from outside chaoscli."""
    return boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def stack_vpcs(url: str, stack: str = "shop") -> list[str]:
    """The VPCs tagged with the stack on the server."""
    client = ec2(url)
    vpcs = client.describe_vpcs(  # type: ignore[attr-defined]
        Filters=[{"Name": "tag:chaoscli:stack", "Values": [stack]}]
    )["Vpcs"]
    return [v["VpcId"] for v in vpcs]


def experiment_doc(steps: list[dict[str, object]], duration_s: int = 60) -> dict[str, object]:
    """A small experiment: 3 zones x 2 servers, 1 replica, light traffic, the given method."""
    return {
        "title": "small",
        "topology": {
            "stack": "shop",
            "region": REGION,
            "azs": 3,
            "instances_per_az": 2,
            "database": {"read_replicas": 1},
        },
        "traffic": {"rps": 12000, "duration_s": duration_s},
        "engine": {"samples_per_s": 100},
        "method": steps,
    }


def step_for(fault: str, at_s: float = 10, duration_s: float = 20) -> dict[str, object] | None:
    """A valid method step for ``fault`` (in zone a where it takes a zone), or None."""
    from pydantic import ValidationError

    from chaoscli.experiment.spec import FaultStep

    base: dict[str, object] = {"fault": fault, "at_s": at_s, "duration_s": duration_s}
    if fault == "traffic-spike":
        base.update(rps=15000, ramp_s=min(5.0, duration_s / 2))
    for candidate in ({**base, "az": f"{REGION}a"}, base):
        try:
            FaultStep.model_validate(candidate)
        except ValidationError:
            continue
        return candidate
    return None


def fault_names() -> list[str]:
    """Every fault the experiment files accept (not the wait step)."""
    from chaoscli.experiment.faults import fault_names as registered

    return sorted(registered())
