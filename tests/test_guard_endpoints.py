"""Each client's endpoint is checked before its first call, and in-process moto ignores every
endpoint the environment or a config file names, then leaves the environment as it found it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoscli.aws import real_aws_guard
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.aws.session import AwsSession, check_resolved, in_process_session
from chaoscli.errors import GuardError
from tests.endpoint_helpers import REGION, cli, server

REMOTE = "http://10.255.255.1:5000"


def test_in_process_ignores_and_restores_endpoint_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Per-service variables and a config file's endpoint_url do not reach in-process clients;
    afterwards the variables are back exactly as they were."""
    config = tmp_path / "config"
    config.write_text(f"[default]\nendpoint_url = {REMOTE}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", REMOTE)
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", REMOTE)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    before = dict(os.environ)
    with in_process_session(REGION) as session:
        assert "AWS_ENDPOINT_URL_EC2" not in os.environ
        assert os.environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] == "true"
        for service in ("ec2", "rds", "elbv2", "sts"):
            url = session.client(service).meta.endpoint_url
            assert url.startswith("https://") and url.endswith(".amazonaws.com"), url
        assert session.client("ec2").describe_vpcs()["Vpcs"] is not None
    assert dict(os.environ) == before


@pytest.mark.parametrize(
    ("mode", "resolved", "endpoint", "ok"),
    [
        ("in-process", "https://ec2.ap-south-1.amazonaws.com", None, True),
        ("in-process", "http://127.0.0.1:5000", None, False),
        ("in-process", REMOTE, None, False),
        ("endpoint", "http://127.0.0.1:5000", "http://127.0.0.1:5000/", True),
        ("endpoint", REMOTE, "http://127.0.0.1:5000", False),
        ("aws", "https://sts.ap-south-1.amazonaws.com", None, True),
        ("aws", "http://sts.ap-south-1.amazonaws.com", None, False),
        ("aws", "http://127.0.0.1:5000", None, False),
        ("aws", "https://sts.amazonaws.com.evil.example", None, False),
    ],
)
def test_resolved_endpoint_must_match_the_mode(
    mode: str, resolved: str, endpoint: str | None, ok: bool
) -> None:
    """In process: AWS's hostname; an endpoint: exactly it; AWS: an https AWS hostname."""
    if ok:
        check_resolved(mode, "ec2", resolved, endpoint)
    else:
        with pytest.raises(GuardError, match=resolved.replace(".", r"\.")):
            check_resolved(mode, "ec2", resolved, endpoint)


def test_real_mode_refuses_a_redirected_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """An AWS session whose STS is redirected by a variable refuses the client, sending nothing."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", REMOTE)
    session = AwsSession(REGION)
    with pytest.raises(GuardError, match="refusing the sts client"):
        session.client("sts")
    assert session.call_count == 0


@pytest.fixture
def remote_box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A moto server the guard is told to treat as a remote account."""
    with server() as box:
        box.reset()  # moto's backends are per process: forget other tests' stacks
        monkeypatch.setattr(real_aws_guard, "is_loopback", lambda url: False)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        yield box


def test_role_arn_is_assumed_and_identity_shown(remote_box: Sandbox) -> None:
    """--role-arn: the commands act as the assumed role, and say so before anything else."""
    role = "arn:aws:iam::123456789012:role/chaos-experiments"
    said: list[str] = []
    access = Access(remote_box.url, True, "123456789012", role)
    with open_guarded(REGION, access, read_only=True, say=said.append) as session:
        assert session.calls["sts AssumeRole"] == 1
    assert len(said) == 1 and "assumed-role/chaos-experiments/chaoscli" in said[0]
    r = cli("status", "--endpoint-url", remote_box.url, "--account", "123456789012")
    assert r.err.startswith("acting as arn:aws:sts::123456789012:")


def test_rollback_refuses_an_endpoint_other_than_the_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exported AWS_ENDPOINT_URL does not redirect a log recorded elsewhere: both are named."""
    log = RollbackLog(tmp_path / "run.rollback")
    log.note(stack="shop", region=REGION, endpoint="http://127.0.0.1:5999", in_process=False)
    log.record("start_instances", {"instance_ids": ["i-0123456789abcdef0"]})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5888")
    r = cli("rollback", str(log.path))
    assert r.code == 2
    assert "http://127.0.0.1:5999" in r.err and "http://127.0.0.1:5888" in r.err
    assert len(log.pending()) == 1
