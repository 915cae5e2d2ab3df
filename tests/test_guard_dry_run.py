"""--dry-run: every AWS call of the run is printed, and none is sent anywhere."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

import boto3
import botocore.endpoint
import pytest

from tests.endpoint_helpers import SMALL, cli, ec2, server, stack_vpcs

REMOTE = "https://ec2.ap-south-1.amazonaws.com"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record and block every connection attempt and every request botocore would send."""
    attempts: list[str] = []

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(f"connect {address}")
        raise OSError("network blocked by the test")

    def send(self: Any, request: Any) -> Any:
        attempts.append(f"send {request.url}")
        raise AssertionError("an AWS request left the process")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", send)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return attempts


def test_dry_run_against_remote_endpoint_prints_calls_and_sends_none(
    no_network: list[str],
) -> None:
    """Against a remote endpoint (no flags needed) the run's calls are listed, none sent."""
    r = cli("run", "az-outage-api-stop", *SMALL, "--dry-run", "--endpoint-url", REMOTE)
    assert r.code == 0, r.err
    for op in (
        "ec2 CreateVpc",
        "ec2 RunInstances",
        "ec2 StopInstances",
        "ec2 CreateNetworkAcl",
        "rds RebootDBInstance",
        "ec2 StartInstances",
        "ec2 DeleteVpc",
    ):
        assert op in r.out, op
    assert f"would go to {REMOTE}" in r.out and "none was sent" in r.out
    changes = [line for line in r.out.splitlines() if line.startswith("  change ")]
    assert changes and all("Describe" not in line.split()[2] for line in changes)
    assert no_network == []
    assert "was not read (outside the sandbox a read needs --account ID)" in r.out


def test_dry_run_leaves_a_loopback_server_untouched() -> None:
    """A dry run aimed at a moto server creates nothing there."""
    with server() as box:
        r = cli("run", "az-outage", *SMALL, "--dry-run", "--endpoint-url", box.url)
        assert r.code == 0, r.err
        assert stack_vpcs(box.url) == []
        assert r.out.startswith(f"no stack shop at {box.url}: the run provisions it")


def test_dry_run_is_grouped_by_phase_with_repeated_calls_summed() -> None:
    """Phases in the order the run goes through them; a repeated change is one line with its
    count and the resources it touches, never cut."""
    r = cli("run", "az-outage", *SMALL, "--dry-run")
    assert r.code == 0, r.err
    headings = [line for line in r.out.splitlines() if line.endswith(":") and line[0] != " "]
    assert headings == [
        "before the run:",
        "provisioning the stack:",
        "discovering the stack:",
        "injecting az-outage at t=10 s:",
        "ending az-outage at t=30 s:",
        "rolling back:",
    ]
    assert "change ec2 RunInstances ×3: " in r.out  # one per zone, named by their subnets
    assert "…" not in r.out and "..." not in r.out
    assert len(r.out.splitlines()) < 120


def test_dry_run_against_an_existing_stack_names_its_instances_and_creates_nothing() -> None:
    """Against a stack that exists, nothing is created for it, and the injection names the
    real instances of the zone that loses power; the server is left exactly as it was."""
    with server() as box:
        up = cli("up", *SMALL[:4], "--endpoint-url", box.url)
        assert up.code == 0, up.err
        before = _state(box.url)
        # in a process of its own: in-process moto would share the server's state
        r = subprocess.run(
            [sys.executable, "-m", "chaoscli", "run", "az-outage", *SMALL, "--dry-run"],
            env={**os.environ, "AWS_ENDPOINT_URL": box.url},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stderr
        out = r.stdout
        assert out.startswith(f"stack shop exists at {box.url} ({stack_vpcs(box.url)[0]}")
        assert "CreateVpc" not in out and "RunInstances" not in out
        assert "provisioning the stack:" not in out
        inject = out[out.index("injecting az-outage") :]
        tagged = inject[: inject.index("\n  change", inject.index("CreateTags"))]
        zone = before["primary_az"]
        assert sorted(i for i in before["instances"][zone]) == sorted(
            w.strip(",") for w in tagged.split() if w.startswith("i-")
        )
        assert _state(box.url) == before


def _state(url: str) -> dict[str, Any]:
    """What the server holds: instances by zone, their tags, NACLs, the database's zone."""
    client: Any = ec2(url)
    found: dict[str, list[str]] = {}
    tags = []
    for res in client.describe_instances()["Reservations"]:
        for i in res["Instances"]:
            found.setdefault(i["Placement"]["AvailabilityZone"], []).append(i["InstanceId"])
            tags.append(sorted((t["Key"], t["Value"]) for t in i.get("Tags", [])))
    nacls = sorted(a["NetworkAclId"] for a in client.describe_network_acls()["NetworkAcls"])
    rds: Any = boto3.client(
        "rds",
        endpoint_url=url,
        region_name="ap-south-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    primary = rds.describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]
    return {
        "instances": found,
        "tags": sorted(tags),
        "nacls": nacls,
        "primary_az": primary["AvailabilityZone"],
    }


def test_dry_run_with_pace_is_bad_input() -> None:
    """--pace has nothing to show in a dry run: one line, exit 2."""
    r = cli("run", "az-outage", "--dry-run", "--pace", "10")
    assert r.code == 2 and "--pace" in r.err
