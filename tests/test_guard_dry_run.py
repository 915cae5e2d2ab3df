"""--dry-run: every AWS call of the run is printed, and none is sent anywhere."""

from __future__ import annotations

import socket
from typing import Any

import botocore.endpoint
import pytest

from tests.endpoint_helpers import SMALL, cli, server, stack_vpcs

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
    changes = [line for line in r.out.splitlines() if "  change  " in line]
    assert changes and all("Describe" not in line.split()[2] for line in changes)
    assert no_network == []


def test_dry_run_leaves_a_loopback_server_untouched() -> None:
    """A dry run aimed at a moto server creates nothing there."""
    with server() as box:
        r = cli("run", "az-outage", *SMALL, "--dry-run", "--endpoint-url", box.url)
        assert r.code == 0, r.err
        assert stack_vpcs(box.url) == []


def test_dry_run_with_pace_is_bad_input() -> None:
    """--pace has nothing to show in a dry run: one line, exit 2."""
    r = cli("run", "az-outage", "--dry-run", "--pace", "10")
    assert r.code == 2 and "--pace" in r.err
