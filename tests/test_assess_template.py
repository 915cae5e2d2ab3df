"""The shipped template's shop, assessed: its single-AZ database is the weak point, and
the fix, applied to the template's parameters and assessed again, holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.endpoint_helpers import cli

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "two-tier-shop.yaml"
QUICK = (
    "instance_capacity_rps: 1000\nrps: 4000\nrun_s: 360\nat_s: 60\nduration_s: 240\n"
    "samples_per_s: 200\n"
)


def assessed(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    """Assess the template's stack (built in in-process moto); exit code, output, JSON."""
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(QUICK)
    report = tmp_path / "assessment.json"
    result = cli(
        "assess",
        "--topology-from",
        str(TEMPLATE),
        "--inputs",
        str(inputs),
        "--no-verify-fixes",
        "--report",
        str(report),
        *args,
    )
    assert result.code in (0, 1), result.err
    return result.code, result.out, json.loads(report.read_text())


@pytest.fixture(autouse=True)
def _in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_single_az_database_is_the_weak_point_and_multi_az_removes_it(tmp_path: Path) -> None:
    """Found from the load balancer alone: losing the primary's zone loses every write for
    the whole outage; with MultiAZ=true in the template, no zone's loss does."""
    code, out, a = assessed(tmp_path)
    assert code == 1
    stack = a["stack"]
    assert stack["load_balancer"] == "two-tier-shop"
    assert (stack["database_engine"], stack["multi_az"], stack["primary_zone"]) == (
        "mariadb",
        False,
        "us-east-1a",
    )
    assert len(stack["read_replicas"]) == 1
    assert stack["instances_per_zone"] == {f"us-east-1{z}": 4 for z in "abc"}
    weak = a["weak_point"]
    assert weak["cell"] == "zone power loss in us-east-1a"
    assert "no write for the whole 240 s" in weak["why"]
    assert weak["fix_set"] == {"topology.database.multi_az": "true"}
    assert weak["before_db_write_unavailable_s"] == 240
    assert weak["after_db_write_unavailable_s"] < 121  # a failover, not the outage
    assert weak["gone"] is True
    lost = {(c["fault"], c["zone"]) for c in a["cells"] if c["db_write_unavailable_s"] >= 239}
    assert lost == {("zone power loss", "us-east-1a"), ("router failure", "us-east-1a")}
    assert "weak point: zone power loss in us-east-1a" in out

    code, out, fixed = assessed(tmp_path, "--parameter", "MultiAZ=true")
    assert fixed["stack"]["multi_az"] is True
    assert all(c["db_write_unavailable_s"] < 121 for c in fixed["cells"])
    failover = next(c for c in fixed["cells"] if c["fault"] == "database failover")
    assert failover["held"] is not None  # a standby now: the failover runs
    weak_after = fixed["weak_point"]
    assert weak_after is None or "topology.database.multi_az" not in weak_after["fix_set"]
