"""A Terraform state written to match the shipped template gives the same stack to the model,
and the same assessment; what the state holds beyond the model is listed."""

from __future__ import annotations

import json
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


def test_plain_instances_attached_to_the_target_group_are_imported(tmp_path: Path) -> None:
    """aws_instance and aws_lb_target_group_attachment become servers behind the load
    balancer, in their subnets' zones, without any Auto Scaling group."""
    doc = json.loads(STATE.read_text())
    kept = [
        r
        for r in doc["values"]["root_module"]["resources"]
        if r["type"] not in ("aws_autoscaling_group", "aws_db_instance", "aws_db_subnet_group")
    ]
    tg = next(r for r in kept if r["type"] == "aws_lb_target_group")["values"]["arn"]
    for n, zone in enumerate("ab"):
        iid = f"i-0abc{n}"
        kept.append(
            {
                "address": f"aws_instance.web_{zone}",
                "type": "aws_instance",
                "values": {
                    "id": iid,
                    "instance_type": "m5.xlarge",
                    "subnet_id": f"subnet-0a1b2c3d4e5f6000{n + 1}",
                },
            }
        )
        kept.append(
            {
                "address": f"aws_lb_target_group_attachment.web_{zone}",
                "type": "aws_lb_target_group_attachment",
                "values": {"target_group_arn": tg, "target_id": iid, "port": 80},
            }
        )
    doc["values"]["root_module"]["resources"] = kept
    path = tmp_path / "instances.tfstate.json"
    path.write_text(json.dumps(doc))
    found = read_file(path, "us-east-1", Access()).found
    assert sorted(i.az for i in found.topology.instances) == ["us-east-1a", "us-east-1b"]
    assert found.instance_types == {"m5.xlarge": 2}
    assert found.groups == () and found.topology.database is None
