"""A stack with uneven zones and one Auto Scaling group per zone: built in moto, read back by
discovery, its launches blocked zone by zone, torn down whole; bad shapes refused up front."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chaoscli.aws.changes.autoscaling import block_zone_launches
from chaoscli.aws.changes.log import RollbackLog, rollback
from chaoscli.aws.discover import discover
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision
from chaoscli.aws.session import AwsSession
from chaoscli.aws.teardown import teardown
from chaoscli.errors import SpecError
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run


def _groups(session: AwsSession, stack: str) -> dict[str, dict[str, Any]]:
    raw = session.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    return {
        g["AutoScalingGroupName"]: g for g in raw if g["AutoScalingGroupName"].startswith(stack)
    }


def test_uneven_zones_with_a_group_per_zone_are_built_and_read_back(session: AwsSession) -> None:
    """4/3/3 instances land in their zones; each zone's group holds only its own subnet and
    instances; discovery reads the groups as one per-zone Auto Scaling of 10."""
    plan = StackPlan(
        "zoneshop",
        instances_per_az=3,
        instances_by_zone=(4, 3, 3),
        asg_per_zone=True,
        read_replicas=0,
        asg_max_per_az=6,
    )
    provision(session, plan)
    topo = discover(session, "zoneshop")
    assert [len(topo.instances_in(az)) for az in topo.azs] == [4, 3, 3]
    groups = _groups(session, "zoneshop")
    assert sorted(groups) == [f"zoneshop-web-{az}" for az in topo.azs]
    zone_of = {i.id: i.az for i in topo.instances}
    subnet_zone = {s.id: s.az for s in topo.subnets}
    for az in topo.azs:
        g = groups[f"zoneshop-web-{az}"]
        assert [subnet_zone[s] for s in g["VPCZoneIdentifier"].split(",")] == [az]
        assert {zone_of[i["InstanceId"]] for i in g["Instances"]} == {az}
        assert g["MaxSize"] == 6
    group = topo.autoscaling
    assert group is not None and group.per_zone and group.zone_max == 6
    assert group.azs == topo.azs and group.desired == 10 and group.min_size == 10
    assert set(group.instance_ids) == {i.id for i in topo.instances}


def test_one_group_over_uneven_zones_keeps_the_old_shape(session: AwsSession) -> None:
    """Without per-zone groups the uneven zones still get one group spanning them all."""
    provision(
        session,
        StackPlan("oneshop", instances_per_az=2, instances_by_zone=(1, 2, 3), read_replicas=0),
    )
    topo = discover(session, "oneshop")
    assert Counter(i.az for i in topo.instances) == dict(zip(topo.azs, (1, 2, 3), strict=True))
    assert sorted(_groups(session, "oneshop")) == ["oneshop-web"]
    assert topo.autoscaling is not None and not topo.autoscaling.per_zone


def test_a_blocked_zone_leaves_the_per_zone_groups_launching_elsewhere(
    session: AwsSession, tmp_path: Path
) -> None:
    """A zone's power loss suspends launches in its group only: discovery then shows the
    other zones as the ones Auto Scaling may launch in; the undo gives the zone back."""
    provision(
        session, StackPlan("blockshop", instances_per_az=2, asg_per_zone=True, read_replicas=0)
    )
    topo = discover(session, "blockshop")
    dead = topo.azs[0]
    log = RollbackLog(tmp_path / "rollback.jsonl")
    lines = block_zone_launches(
        session, log, "blockshop", [s.id for s in topo.subnets if s.az == dead]
    )
    assert lines == [
        f"Auto Scaling group blockshop-web-{dead} has no other zone: launches suspended"
    ]
    after = discover(session, "blockshop").autoscaling
    assert after is not None and after.azs == topo.azs[1:]
    assert "Launch" not in after.suspended  # the other zones' groups still launch
    rollback(session, log)
    back = discover(session, "blockshop").autoscaling
    assert back is not None and back.azs == topo.azs


def test_teardown_removes_every_zone_group(session: AwsSession) -> None:
    """Nothing of the per-zone groups or their template is left after teardown."""
    provision(
        session, StackPlan("goneshop", instances_per_az=1, asg_per_zone=True, read_replicas=0)
    )
    teardown(session, "goneshop")
    assert _groups(session, "goneshop") == {}
    templates = session.client("ec2").describe_launch_templates()["LaunchTemplates"]
    assert not [t for t in templates if t["LaunchTemplateName"].startswith("goneshop")]


def test_a_plan_with_the_wrong_number_of_zone_counts_is_refused() -> None:
    """One count per zone, or a SpecError before any call."""
    with pytest.raises(SpecError, match="instances_by_zone"):
        StackPlan("badshop", instances_per_az=3, instances_by_zone=(4, 3))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("[4,3]", "2 count(s) for 3 zone(s)"),
        ("[4,0,3]", "greater than or equal to 1"),
        ("[401,3,3]", "less than or equal to 400"),
    ],
)
def test_the_spec_refuses_counts_that_do_not_fit_the_zones(value: str, words: str) -> None:
    """instances_by_zone: one count per zone, each within instances_per_az's limits."""
    with pytest.raises(SpecError, match="instances_by_zone") as exc:
        load("az-outage", [f"topology.instances_by_zone={value}"])
    assert words in str(exc.value)


def test_the_spec_says_what_instances_by_zone_must_be() -> None:
    """A value that is not a list gets the field's own words, not pydantic's type name."""
    with pytest.raises(
        SpecError, match=r"a list of instance counts, one per zone, e.g. \[4, 3, 3\]"
    ):
        load("az-outage", ["topology.instances_by_zone=4"])


@pytest.mark.parametrize(
    ("sets", "words"),
    [
        (
            ["topology.instances_by_zone=[3,2,2]"],
            "3 zone(s) with 2 instance(s) each, the experiment asks for 3 with 3/2/2 instances",
        ),
        (
            ["topology.instances_per_az=2", "topology.autoscaling.groups=per_zone"],
            "has one Auto Scaling group, the experiment asks for per_zone",
        ),
    ],
)
def test_a_stack_found_with_another_shape_is_refused_before_any_change(
    session: AwsSession, sets: list[str], words: str
) -> None:
    """A stack left at the endpoint with other per-zone counts, or one group where the
    experiment wants one per zone, is not judged as if it were the one asked for."""
    if "leftover" not in _stacks(session):
        provision(session, StackPlan("leftover", instances_per_az=2, read_replicas=0))
    loaded = load("az-outage", ["topology.stack=leftover", *sets])
    with pytest.raises(SpecError, match="leftover") as exc:
        run(loaded, seed=0, aws=session)
    assert words in str(exc.value)
    assert Counter(i.az for i in discover(session, "leftover").instances) == {
        az: 2 for az in discover(session, "leftover").azs
    }


def _stacks(session: AwsSession) -> set[str]:
    vpcs = session.client("ec2").describe_vpcs()["Vpcs"]
    return {t["Value"] for v in vpcs for t in v.get("Tags", []) if t["Key"] == "chaoscli:stack"}
