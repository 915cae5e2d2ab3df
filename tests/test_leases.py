"""Leases against a moto server: one command at a time per stack, a killed command's lease
expires and can be broken or taken over by `rollback LOG`, and two commands creating the same
new stack never touch each other's resources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaoscli.aws.lease_tag import LEASE_TAG, Lease, leases_of, server_time
from chaoscli.aws.network import VPC_CIDR
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.sandbox import Sandbox
from chaoscli.aws.stack_lease import LeaseHeld, LeaseRequest, StackLease
from chaoscli.aws.tags import tag_dict, tag_spec
from tests.endpoint_helpers import REGION, SMALL, cli, ec2, experiment_doc, stack_vpcs, step_for


@pytest.fixture
def url(box: Sandbox) -> Iterator[str]:
    """The server's URL, empty at the start; emptied again at the end, since servers in one
    process share moto's state and later tests expect none of this test's resources."""
    box.reset()
    yield box.url
    box.reset()


def _experiment(tmp_path: Path) -> str:
    """An az-outage that lasts past the end of the traffic, so its changes stay pending."""
    step = step_for("az-outage", at_s=5, duration_s=1000)
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(experiment_doc([step], duration_s=400)), encoding="utf-8")  # type: ignore[list-item]
    return str(path)


def _start(url: str, args: list[str], lease_s: float | None = None) -> subprocess.Popen[str]:
    """`chaoscli ARGS --endpoint-url URL` in a child process, with a lease of ``lease_s``."""
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    if lease_s is not None:
        env["CHAOSCLI_LEASE_S"] = str(lease_s)
    return subprocess.Popen(
        [sys.executable, "-m", "chaoscli", *args, "--endpoint-url", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def child() -> Iterator[list[subprocess.Popen[str]]]:
    """Children started by a test, killed if the test left them running."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _leases(url: str) -> list[Lease]:
    """The leases on the stack's VPC, as the server holds them."""
    vpcs = ec2(url).describe_vpcs(  # type: ignore[attr-defined]
        Filters=[{"Name": "tag:chaoscli:stack", "Values": ["shop"]}]
    )["Vpcs"]
    return [x for v in vpcs for x in leases_of(tag_dict(v.get("Tags")))]


def _paced_run_holding_faults(
    url: str, exp: str, log: Path, lease_s: float | None, pace: int = 20
) -> Any:
    """Start a paced run and wait until it holds the lease with its faults in place."""
    proc = _start(url, ["run", exp, "--rollback-log", str(log), "--pace", str(pace)], lease_s)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if log.exists():
            lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
            if sum(x["op"] == "change" for x in lines) >= 3 and _leases(url):
                return proc
        time.sleep(0.2)
    raise AssertionError("the run never injected its fault")


def _server_now(url: str) -> datetime:
    """The server's time, as leases judge expiry."""
    return server_time(ec2(url).describe_vpcs())  # type: ignore[attr-defined]


def test_a_second_run_refuses_naming_the_holder_then_a_killed_holders_lease_expires_and_breaks(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a run holds the stack a second one exits 2 with one line naming holder, run and
    expiry; after kill -9 the lease stays, expires, and only --break-lease then breaks it."""
    monkeypatch.setenv("CHAOSCLI_LEASE_S", "8")
    exp, log = _experiment(tmp_path), tmp_path / "a.rollback"
    # paced for 80 s of wall time, so that it is still watching when it is killed
    child.append(proc := _paced_run_holding_faults(url, exp, log, lease_s=8, pace=5))
    [held] = _leases(url)
    assert held.command == "run" and "@" in held.owner
    vpcs = stack_vpcs(url)

    second = cli("run", exp, "--endpoint-url", url, "--no-verify-fixes")
    assert second.code == 2, second.err
    line = second.err.strip()
    assert "\n" not in line
    assert f"run {held.run}" in line and held.owner in line and "until 20" in line
    assert "--break-lease" in line
    assert [x.run for x in _leases(url)] == [held.run]  # the second run left no lease
    assert stack_vpcs(url) == vpcs

    time.sleep(5)  # longer than half the lease: the paced run renews it, so it is still live
    assert [x.run for x in _leases(url)] == [held.run]
    assert not _leases(url)[0].expired(_server_now(url))

    proc.kill()
    proc.wait()
    [orphan] = _leases(url)
    assert orphan.run == held.run
    deadline = time.monotonic() + 30
    while not orphan.expired(_server_now(url)):
        assert time.monotonic() < deadline, "the killed run's lease never expired"
        time.sleep(0.5)

    refused = cli("down", "--endpoint-url", url)
    assert refused.code == 2, refused.err
    assert "which has passed" in refused.err and "--break-lease" in refused.err
    assert stack_vpcs(url) == vpcs

    broken = cli("down", "--endpoint-url", url, "--break-lease", "--yes")
    assert broken.code == 0, broken.err
    assert stack_vpcs(url) == []


def test_rollback_of_a_killed_runs_log_takes_its_lease_over(
    url: str, tmp_path: Path, child: list[subprocess.Popen[str]]
) -> None:
    """After kill -9, the dead run's lease still refuses `down`; `rollback LOG` inherits it
    (the log names the run), restores and tears the stack down."""
    exp, log = _experiment(tmp_path), tmp_path / "b.rollback"
    child.append(proc := _paced_run_holding_faults(url, exp, log, lease_s=None))
    proc.kill()
    proc.wait()
    [held] = _leases(url)
    notes = [json.loads(x) for x in log.read_text().splitlines() if '"note"' in x]
    assert any(n["fields"].get("lease_run") == held.run for n in notes)

    refused = cli("down", "--endpoint-url", url)
    assert refused.code == 2 and f"run {held.run}" in refused.err

    r = cli("rollback", str(log))
    assert r.code == 0, r.err
    assert "tore down stack shop" in r.out
    assert stack_vpcs(url) == []


def test_two_runs_creating_one_new_stack_at_once_leave_each_other_alone(
    url: str, child: list[subprocess.Popen[str]]
) -> None:
    """Started together on an empty server: at most one builds and runs; the other exits 2
    saying who holds it; nothing fails on the other's resources and nothing is left."""
    args = ["run", "az-outage", *SMALL, "--no-verify-fixes"]
    child.extend(procs := [_start(url, args), _start(url, args)])
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 2], [1, 2], [2, 2]), results
    for code, _, err in results:
        assert "Traceback" not in err and "DependencyViolation" not in err
        if code == 2:
            assert "stack shop is" in err and ("leased to" in err or "being created" in err)
    assert stack_vpcs(url) == []


@pytest.fixture
def on_server(url: str) -> Iterator[Any]:
    """A chaoscli session on the server."""
    with open_guarded(REGION, Access(url)) as s:
        yield s


def test_two_claims_on_one_new_stack_the_later_one_removes_only_its_own_vpc(
    url: str, on_server: Any
) -> None:
    """Both found no stack and both created a VPC carrying their lease: the first to check
    sees the other's VPC, deletes its own and refuses; the other holds the stack."""
    first = StackLease(on_server, "shop", LeaseRequest("run"))
    second = StackLease(on_server, "shop", LeaseRequest("up"))
    assert first.take() is False and second.take() is False
    client = ec2(url)

    def create(lease: StackLease) -> str:
        spec = tag_spec("vpc", "shop", "shop-vpc", lease.vpc_tags)
        return str(client.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=spec)["Vpc"]["VpcId"])  # type: ignore[attr-defined]

    vpc_a, vpc_b = create(first), create(second)
    with pytest.raises(LeaseHeld, match=f"run {second.run_id}, chaoscli up"):
        first.claim(vpc_a)
    second.claim(vpc_b)
    assert stack_vpcs(url) == [vpc_b]
    assert [x.run for x in _leases(url)] == [second.run_id]
    second.release()
    assert _leases(url) == []


def test_a_lease_written_between_read_and_write_makes_the_taker_give_way(
    url: str, on_server: Any
) -> None:
    """Another command's lease appearing just as this one writes its own: this one removes
    its tag and refuses, so the two never both hold the stack."""
    client = ec2(url)
    vpc = client.create_vpc(  # type: ignore[attr-defined]
        CidrBlock=VPC_CIDR, TagSpecifications=tag_spec("vpc", "shop", "shop-vpc")
    )["Vpc"]["VpcId"]
    rival = Lease("feedbeef", "bob@elsewhere", "run", datetime(2100, 1, 1, tzinfo=UTC))

    def rival_writes(**_: Any) -> None:
        client.create_tags(Resources=[vpc], Tags=[{"Key": rival.key, "Value": rival.value}])  # type: ignore[attr-defined]

    on_server.add_hook("before-call.ec2.CreateTags", rival_writes)
    lease = StackLease(on_server, "shop", LeaseRequest("run"))
    with pytest.raises(LeaseHeld, match=r"bob@elsewhere \(run feedbeef"):
        lease.take()
    assert [x.run for x in _leases(url)] == ["feedbeef"]


def test_a_held_lease_is_renewed_by_the_commands_own_calls(url: str, on_server: Any) -> None:
    """Past half its time, the next AWS call of the holder pushes the expiry forward."""
    client = ec2(url)
    client.create_vpc(  # type: ignore[attr-defined]
        CidrBlock=VPC_CIDR, TagSpecifications=tag_spec("vpc", "shop", "shop-vpc")
    )
    lease = StackLease(on_server, "shop", LeaseRequest("run"), duration_s=4)
    assert lease.take()
    [first] = _leases(url)
    lease._renewed_at = time.monotonic()  # a busy machine may have spent seconds in take()
    on_server.client("ec2").describe_availability_zones()
    assert _leases(url) == [first]  # not due yet: no write
    time.sleep(2.2)
    on_server.client("ec2").describe_availability_zones()
    [renewed] = _leases(url)
    assert renewed.run == first.run and renewed.expires > first.expires
    lease.release()
    assert _leases(url) == []


def test_a_bad_lease_duration_is_one_line_and_exit_2(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSCLI_LEASE_S", "soon")
    r = cli("down", "--endpoint-url", url)
    assert r.code == 2
    assert (
        r.err.strip()
        == "chaoscli: CHAOSCLI_LEASE_S: 'soon' is not a number of seconds from 1 to 86400"
    )


def test_the_lease_tag_names_owner_run_command_and_expiry() -> None:
    lease = Lease("0123abcd", "ann@box", "down", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert lease.key == LEASE_TAG + "0123abcd"
    assert lease.value == "owner=ann@box command=down expires=2026-01-02T03:04:05Z"
    assert Lease.parse(lease.key, lease.value) == lease
    assert Lease.parse("Name", "x") is None
    garbled = Lease.parse(lease.key, "nonsense")
    assert garbled is not None and garbled.expired(datetime(2000, 1, 1, tzinfo=UTC))
