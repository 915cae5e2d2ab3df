"""A Terraform state written to match the shipped template gives the same stack to the model,
and the same assessment; what the state holds beyond the model is listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoscli.assess.assessment import assess
from chaoscli.assess.derive import shape_of
from chaoscli.assess.imported import read_file
from chaoscli.assess.inputs import AssessmentInputs
from chaoscli.assess.matrix import FAULTS
from chaoscli.aws.real_aws_guard import Access

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "two-tier-shop.yaml"
STATE = ROOT / "tests" / "fixtures" / "two-tier-shop.tfstate.json"
INPUTS = AssessmentInputs(
    instance_capacity_rps=1000, rps=4000, run_s=300, at_s=60, duration_s=120, samples_per_s=200
)


@pytest.fixture(autouse=True)
def _in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_state_and_template_give_the_model_the_same_stack_and_verdicts() -> None:
    """Same overrides for the model, same cells for a zone's power loss, and the state's
    gateway and security group named as not modelled."""
    template = read_file(TEMPLATE, "us-east-1", Access())
    state = read_file(STATE, "us-east-1", Access())
    assert shape_of(state.found, INPUTS, {}) == shape_of(template.found, INPUTS, {})
    db = state.found.topology.database
    assert db is not None and not db.multi_az and db.primary.az == "us-east-1a"
    assert [r.az for r in db.replicas] == ["us-east-1b"]
    assert "aws_internet_gateway.gw (aws_internet_gateway)" in state.found.not_modelled
    assert "aws_security_group.web (aws_security_group)" in state.found.not_modelled
    assert any("SecurityGroup" in line for line in template.found.not_modelled)
    one = FAULTS[:1]
    a = assess(
        template.found, INPUTS, {}, calls=template.calls, where="t", verify=False, faults=one
    )
    b = assess(state.found, INPUTS, {}, calls=state.calls, where="s", verify=False, faults=one)
    assert [c.model_dump() for c in a.cells] == [c.model_dump() for c in b.cells]
    assert a.weak_point == b.weak_point
    assert a.weak_point is not None and a.weak_point.cell == "zone power loss in us-east-1a"
