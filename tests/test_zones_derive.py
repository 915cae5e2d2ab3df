"""assess copies a stack's per-zone shape into the model: each zone's instance count and one
Auto Scaling group per zone, with no approximation note for either."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoscli.assess.derive import shape_of
from chaoscli.assess.imported import read_file
from chaoscli.assess.inputs import AssessmentInputs
from chaoscli.aws.foreign import discover_foreign
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision
from chaoscli.aws.real_aws_guard import Access
from chaoscli.aws.session import AwsSession
from chaoscli.experiment.loader import load

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "two-tier-shop.yaml"
INPUTS = AssessmentInputs(
    instance_capacity_rps=1000, rps=4000, run_s=300, at_s=60, duration_s=120, samples_per_s=200
)


@pytest.fixture(autouse=True)
def _in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_the_templates_group_per_zone_is_modelled_as_such() -> None:
    """The shipped template has one group per zone: the model is told so, and nothing says
    it runs one group over every zone."""
    found = read_file(TEMPLATE, "us-east-1", Access()).found
    assert len(found.groups) == 3 and all(len(g.azs) == 1 for g in found.groups)
    shape = shape_of(found, INPUTS, {})
    assert "topology.autoscaling.groups=per_zone" in shape.sets
    assert not [note for note in shape.approximations if "Auto Scaling groups" in note]
    assert load("az-outage", list(shape.sets)).experiment.topology.autoscaling.groups == (
        "per_zone"
    )


@pytest.mark.parametrize("counts", [(4, 3, 3), (2, 2, 5)])
def test_uneven_zones_are_copied_count_by_count(
    session: AwsSession, counts: tuple[int, int, int]
) -> None:
    """A stack running different counts per zone is modelled with those counts, in the
    model's zone order (the database primary's zone first), not the fewest everywhere."""
    stack = f"uneven{''.join(map(str, counts))}"
    plan = StackPlan(
        stack,
        instances_per_az=1,
        instances_by_zone=counts,
        asg_per_zone=True,
        db_multi_az=False,
        read_replicas=0,
    )
    provision(session, plan)
    found = discover_foreign(session, plan.alb_name)
    shape = shape_of(found, INPUTS, {})
    assert f"topology.instances_by_zone=[{','.join(map(str, counts))}]" in shape.sets
    # instances_per_az would count for nothing beside them, and the loader refuses it
    assert not [s for s in shape.sets if s.startswith("topology.instances_per_az=")]
    assert "topology.autoscaling.groups=per_zone" in shape.sets
    assert not [n for n in shape.approximations if "instances" in n or "Auto Scaling" in n]
    topology = load("az-outage", list(shape.sets)).experiment.topology
    assert topology.zone_counts == counts


def test_even_zones_and_one_group_set_neither_field(session: AwsSession) -> None:
    """A stack with the same count everywhere and one group over every zone keeps the
    defaults: no per-zone counts, one group."""
    plan = StackPlan("evenshop", instances_per_az=2, db_multi_az=False, read_replicas=0)
    provision(session, plan)
    shape = shape_of(discover_foreign(session, plan.alb_name), INPUTS, {})
    assert not [s for s in shape.sets if s.startswith("topology.instances_by_zone")]
    assert not [s for s in shape.sets if s.startswith("topology.autoscaling.groups")]
