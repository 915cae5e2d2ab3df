"""`chaoscli assess --profile`: the named profile of the AWS config and credentials files
gives the endpoint and the credentials; an unknown profile, or one that would reach a real
account without the explicit yes, is refused before any call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from tests.assess_server import REGION, create_shop, server
from tests.endpoint_helpers import cli

QUICK = "instance_capacity_rps: 1000\nrun_s: 300\nat_s: 60\nduration_s: 120\nsamples_per_s: 200\n"
KEY = "AKIAPROFILESHOP00001"


@pytest.fixture()
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every request any botocore session puts on the wire from now on: (URL, the access key
    its signature names)."""
    seen: list[tuple[str, str]] = []
    original = botocore.session.Session.__init__

    def record(request: Any, **_: Any) -> None:
        auth = str(request.headers.get("Authorization", b""), "utf-8", "replace")
        key = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
        seen.append((str(request.url), key))

    def init(self: botocore.session.Session, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.register("before-send", record)

    monkeypatch.setattr(botocore.session.Session, "__init__", init)
    yield seen


def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint: str | None) -> None:
    """A config file with profile ``shop`` (at ``endpoint``, if given) and its credentials in
    a credentials file of its own; no other AWS variable in the environment."""
    config = tmp_path / "config"
    at = f"endpoint_url = {endpoint}\n" if endpoint else ""
    config.write_text(
        f"[profile shop]\nregion = us-east-1\n{at}[profile far]\nregion = eu-west-1\n{at}"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "".join(
            f"[{name}]\naws_access_key_id = {KEY}\naws_secret_access_key = secret\n"
            for name in ("shop", "far")
        )
    )
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_a_profile_at_a_moto_server_is_read_with_its_own_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: list[tuple[str, str]]
) -> None:
    """No --endpoint-url, --region or key in the environment: the profile's endpoint_url and
    region are where discovery reads, every request there is signed with the profile's key,
    and the output says the calls were Describe, List or Get only."""
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(QUICK)
    with server() as url:
        create_shop(url)
        profiles(tmp_path, monkeypatch, url)
        sent.clear()
        result = cli(
            "assess",
            "--profile",
            "shop",
            "--load-balancer",
            "two-tier-shop",
            "--inputs",
            str(inputs),
            "--no-verify-fixes",
        )
        at_server = [key for to, key in sent if to.startswith(url)]
        far = cli("assess", "--profile", "far", "--load-balancer", "two-tier-shop")
    assert result.code == 1, result.err  # the shop's single-AZ database deviates
    assert len(at_server) >= 10
    assert set(at_server) == {KEY}
    said = " ".join(result.out.split())
    assert (
        f"read-only: discovery made {len(at_server)} calls to {REGION} ({url}, profile shop), "
        "every one a Describe, List or Get"
    ) in said
    assert "stack: load balancer two-tier-shop" in said
    # no --region: the profile's own (the shop is in us-east-1, not in far's eu-west-1)
    assert far.code == 2
    assert f"no load balancer two-tier-shop at eu-west-1 ({url}, profile far)" in far.err


def test_an_unknown_profile_is_one_line_and_no_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: list[tuple[str, str]]
) -> None:
    """A profile the files do not hold: exit 2 with one line naming it, nothing sent."""
    profiles(tmp_path, monkeypatch, "http://127.0.0.1:9")
    result = cli("assess", "--profile", "nope", "--load-balancer", "two-tier-shop")
    assert result.code == 2
    assert result.err.strip().count("\n") == 0
    assert "no profile 'nope' in" in result.err
    assert str(tmp_path / "config") in result.err
    assert sent == []


def test_a_profile_of_a_real_account_needs_the_explicit_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: list[tuple[str, str]]
) -> None:
    """A profile without an endpoint is a real account: without --allow-real-aws and
    --account the guard refuses (it never falls back to in-process moto), and sends nothing."""
    profiles(tmp_path, monkeypatch, None)
    bare = cli("assess", "--profile", "shop", "--load-balancer", "two-tier-shop")
    no_account = cli(
        "assess", "--profile", "shop", "--allow-real-aws", "--load-balancer", "two-tier-shop"
    )
    assert (bare.code, no_account.code) == (2, 2)
    assert "--profile shop reaches a real account: pass --allow-real-aws --account ID" in (bare.err)
    assert "needs --account ID" in no_account.err
    assert sent == []


def test_a_profile_is_refused_with_a_file_to_build(tmp_path: Path) -> None:
    """--topology-from builds its own stack in moto: a profile there is bad input."""
    result = cli("assess", "--topology-from", "templates/two-tier-shop.yaml", "--profile", "shop")
    assert result.code == 2
    assert "--topology-from builds its own stack" in result.err
