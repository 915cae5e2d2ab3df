"""The web tier's Auto Scaling group: spans every zone, owns the spread instances, has a policy."""

from __future__ import annotations

from collections import Counter

import pytest

from chaoscli.aws.discover import discover
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision
from chaoscli.aws.session import AwsSession
from chaoscli.aws.teardown import teardown


def test_group_spans_all_zones_and_owns_the_instances(session: AwsSession) -> None:
    """Attaching per-zone instances keeps the spread; the group reports all of them."""
    provision(
        session,
        StackPlan("asgshop", instances_per_az=4, read_replicas=0, asg_target_utilization=0.5),
    )
    topo = discover(session, "asgshop")
    group = topo.autoscaling
    assert group is not None
    assert group.azs == topo.azs and group.desired == 12 and group.min_size == 12
    assert set(group.instance_ids) == {i.id for i in topo.instances}
    assert Counter(i.az for i in topo.instances) == {az: 4 for az in topo.azs}
    assert group.target_utilization == pytest.approx(0.5)
    raw = session.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert any(t["Key"] == "chaoscli:stack" and t["Value"] == "asgshop" for t in raw[0]["Tags"])


def test_teardown_removes_the_group_and_its_template(session: AwsSession) -> None:
    """Nothing of the group is left after teardown."""
    provision(session, StackPlan("asggone", instances_per_az=1, read_replicas=0))
    teardown(session, "asggone")
    groups = session.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert not [g for g in groups if g["AutoScalingGroupName"] == "asggone-web"]
    templates = session.client("ec2").describe_launch_templates()["LaunchTemplates"]
    assert not [t for t in templates if t["LaunchTemplateName"] == "asggone-web"]
