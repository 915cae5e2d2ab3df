"""`chaoscli run EXPERIMENT --topology-from FILE` runs the experiment against the stack a
template or a Terraform state describes, read back from in-process moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.endpoint_helpers import cli

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "tests" / "fixtures" / "two-tier-shop.tfstate.json"


@pytest.fixture(autouse=True)
def _in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_az_outage_runs_against_the_state_s_stack(tmp_path: Path) -> None:
    """The run's stack has the state's three zones of four servers, its single-AZ primary in
    us-east-1a, its health check; losing that zone loses writes for the whole outage."""
    journal = tmp_path / "run.json"
    result = cli(
        "run",
        "az-outage",
        "--topology-from",
        str(STATE),
        "--no-verify-fixes",
        "--journal",
        str(journal),
        "--var",
        "az=us-east-1a",
        "--set",
        "traffic.rps=4000",
        "--set",
        "topology.instance_capacity_rps=1000",
        "--set",
        "traffic.duration_s=300",
        "--set",
        "engine.samples_per_s=200",
        "--var",
        "at_s=60",
        "--var",
        "duration_s=120",
    )
    assert result.code == 1, result.err
    record = json.loads(journal.read_text())
    before = record["topology"]["before"]
    assert before["instances_per_az"] == {f"us-east-1{z}": 4 for z in "abc"}
    assert before["database"]["multi_az"] is False
    assert before["database"]["primary_az"] == "us-east-1a"
    assert len(before["database"]["replicas"]) == 1
    assert before["load_balancer"]["health_check"]["interval_s"] == 10
    assert record["metrics"]["db_write_unavailable_s"] == 120
