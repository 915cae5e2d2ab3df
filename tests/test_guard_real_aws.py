"""The real-AWS guard: outside loopback and in-process moto nothing happens without
--allow-real-aws and a matching --account, and a refusal sends nothing at all."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.endpoint
import pytest

from chaoscli.aws import real_aws_guard
from chaoscli.aws.real_aws_guard import Access, is_loopback, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.errors import GuardError
from tests.endpoint_helpers import REGION, SMALL, cli, ec2, server, stack_vpcs

REMOTE = "https://ec2.ap-south-1.amazonaws.com"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every attempt to open a connection or send an AWS request, and block it."""
    attempts: list[str] = []

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(f"connect {address}")
        raise OSError("network blocked by the test")

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(f"create_connection {address}")
        raise OSError("network blocked by the test")

    def send(self: Any, request: Any) -> Any:
        attempts.append(f"send {request.url}")
        raise AssertionError("an AWS request left the process")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", send)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return attempts


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.8.9.10", True),
        ("http://localhost:4566", True),
        ("http://[::1]:5000", True),
        ("https://ec2.ap-south-1.amazonaws.com", False),
        ("http://10.0.0.5:4566", False),
        ("http://localstack:4566", False),
        ("http://127.0.0.1.example.com", False),
        ("ftp://127.0.0.1", False),
    ],
)
def test_loopback_is_only_literal_loopback(url: str, loopback: bool) -> None:
    """Only literal loopback addresses (and localhost) count as a sandbox."""
    assert is_loopback(url) is loopback


@pytest.mark.parametrize(
    "args",
    [
        ("run", "az-outage", "--endpoint-url", REMOTE),
        ("run", "az-outage", "--endpoint-url", REMOTE, "--allow-real-aws"),
        ("run", "az-outage", "--allow-real-aws"),
        ("run", "az-outage", "--account", "123456789012"),
        ("up", "--endpoint-url", REMOTE),
        ("down", "--endpoint-url", REMOTE),
        ("down", "--allow-real-aws"),
        ("status", "--allow-real-aws"),
        ("status", "--endpoint-url", REMOTE),
    ],
)
def test_refusal_sends_nothing(no_network: list[str], args: tuple[str, ...]) -> None:
    """Each refused command exits 2 with one line and never opens a connection."""
    r = cli(*args, *SMALL) if args[0] == "run" else cli(*args)
    assert r.code == 2, r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err
    assert "--allow-real-aws" in r.err or "--account" in r.err
    assert no_network == []


def test_rollback_of_a_remote_log_is_refused(no_network: list[str], tmp_path: Path) -> None:
    """A rollback log that names a remote endpoint is not replayed there without the flags."""
    from chaoscli.aws.changes.log import RollbackLog

    log = RollbackLog(tmp_path / "remote.rollback")
    log.note(stack="shop", region=REGION, endpoint=REMOTE, in_process=False)
    log.record("start_instances", {"instance_ids": ["i-0123456789abcdef0"]})
    r = cli("rollback", str(log.path))
    assert r.code == 2 and "refusing" in r.err
    assert no_network == []
    assert len(log.pending()) == 1


@pytest.fixture
def remote_box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A moto server the guard is told to treat as a remote account (is_loopback -> False)."""
    with server() as box:
        box.reset()  # moto's backends are per process: forget other tests' stacks
        monkeypatch.setattr(real_aws_guard, "is_loopback", lambda url: False)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        yield box


def test_wrong_account_is_refused_after_one_identity_call(
    remote_box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --allow-real-aws, an --account that STS does not confirm changes nothing."""
    calls: list[str] = []
    original = botocore.endpoint.Endpoint._send

    def send(self: Any, request: Any) -> Any:
        calls.append(
            request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        )
        return original(self, request)

    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", send)
    r = cli("up", "--endpoint-url", remote_box.url, "--allow-real-aws", "--account", "000000000000")
    assert r.code == 2
    assert "123456789012, not 000000000000" in r.err
    assert len(calls) == 1 and "GetCallerIdentity" in calls[0]
    assert stack_vpcs(remote_box.url) == []


def test_matching_account_is_let_through(remote_box: Sandbox) -> None:
    """With --allow-real-aws and the account STS reports, the command goes ahead."""
    r = cli("up", "--endpoint-url", remote_box.url, "--allow-real-aws", "--account", "123456789012")
    assert r.code == 0, r.err
    assert len(stack_vpcs(remote_box.url)) == 1


def test_status_reads_a_remote_endpoint_but_cannot_change_it(remote_box: Sandbox) -> None:
    """A read-only session on a remote endpoint reads, and refuses a change before sending it."""
    with open_guarded(
        REGION, Access(remote_box.url, account="123456789012"), read_only=True
    ) as session:
        assert session.client("ec2").describe_vpcs()["Vpcs"] is not None
        with pytest.raises(GuardError, match="CreateVpc"):
            session.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")
    vpcs = ec2(remote_box.url).describe_vpcs()["Vpcs"]  # type: ignore[attr-defined]
    assert all(v["CidrBlock"] != "10.9.0.0/16" for v in vpcs)


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("az-outage", "--runs", "2"), "trips a stop condition"),
        (("instance-crash", "--runs", "3"), "once per seed"),
    ],
)
def test_a_real_account_is_broken_once(
    no_network: list[str], args: tuple[str, ...], word: str
) -> None:
    """On a real account no second seed may make the faults again: the refusal comes before
    the guard asks AWS who the caller is."""
    allowed = ("--endpoint-url", REMOTE, "--allow-real-aws", "--account", "123456789012")
    r = cli("run", *args, *allowed, *SMALL)
    assert r.code == 2, r.err
    assert word in r.err and r.err.count("\n") == 1
    assert no_network == []


def test_a_sandbox_may_replay_and_repeat(tmp_path: Path) -> None:
    """Counter-example: in-process moto takes the same --runs as a real account refuses."""
    r = cli("run", "instance-crash", "--runs", "2", "--no-verify-fixes", *SMALL)
    assert r.code in (0, 1), r.err
