"""The check after a rollback sees every kind of difference a fault could leave: each test
leaves one by hand through boto3 and finds it named, and not as something AWS does itself."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest

from chaoscli.aws.discover import discover
from chaoscli.aws.lease import topology_from_json, topology_to_json
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision
from chaoscli.aws.provision_autoscaling import group_name
from chaoscli.aws.session import AwsSession
from chaoscli.aws.tags import FAULT_TAG, PURPOSE_TAG
from chaoscli.experiment.compare import compare, unexpected
from chaoscli.topology import Topology

REGION = "ap-south-1"
ZONE = f"{REGION}a"
_names = (f"chk{n}" for n in itertools.count(1))


@pytest.fixture
def before(session: AwsSession) -> Topology:
    """A small stack (3 zones x 1 server, Multi-AZ database) as discovered."""
    plan = StackPlan(next(_names), region=REGION, instances_per_az=1, read_replicas=0)
    provision(session, plan)
    return discover(session, plan.stack)


def _stop(s: AwsSession, t: Topology) -> None:
    s.client("ec2").stop_instances(InstanceIds=[t.instances_in(ZONE)[0].id])


def _fault_tag(s: AwsSession, t: Topology) -> None:
    iid = t.instances_in(ZONE)[0].id
    s.client("ec2").create_tags(Resources=[iid], Tags=[{"Key": FAULT_TAG, "Value": "crash"}])


def _swap_nacl(s: AwsSession, t: Topology) -> None:
    ec2 = s.client("ec2")
    other = ec2.create_network_acl(VpcId=t.vpc_id)["NetworkAcl"]["NetworkAclId"]
    subnet = next(x.id for x in t.subnets if x.az == ZONE)
    acl = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
    )["NetworkAcls"][0]
    assoc = next(a for a in acl["Associations"] if a["SubnetId"] == subnet)
    ec2.replace_network_acl_association(
        AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=other
    )


def _nacl_rule(s: AwsSession, t: Topology) -> None:
    acl_id = next(x.nacl_id for x in t.subnets if x.az == ZONE)
    s.client("ec2").create_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=50,
        Protocol="-1",
        RuleAction="deny",
        Egress=False,
        CidrBlock="10.9.0.0/16",
    )


def _orphan_fault_nacl(s: AwsSession, t: Topology) -> None:
    s.client("ec2").create_network_acl(
        VpcId=t.vpc_id,
        TagSpecifications=[
            {"ResourceType": "network-acl", "Tags": [{"Key": PURPOSE_TAG, "Value": "fault"}]}
        ],
    )


def _asg_subnets(s: AwsSession, t: Topology) -> None:
    keep = [x.id for x in t.subnets if x.az != ZONE and not x.public]
    s.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=group_name(t.stack), VPCZoneIdentifier=",".join(keep)
    )


def _suspend(s: AwsSession, t: Topology) -> None:
    s.client("autoscaling").suspend_processes(
        AutoScalingGroupName=group_name(t.stack), ScalingProcesses=["AZRebalance"]
    )


def _alarm_left(s: AwsSession, t: Topology) -> None:
    s.client("cloudwatch").put_metric_alarm(
        AlarmName=f"{t.stack}-errors",
        AlarmDescription="chaoscli: left behind",
        Namespace="chaoscli",
        MetricName="HTTPCode_ELB_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )


def _single_az_db(s: AwsSession, t: Topology) -> None:
    assert t.database is not None
    s.client("rds").modify_db_instance(
        DBInstanceIdentifier=t.database.primary.id, MultiAZ=False, ApplyImmediately=True
    )


CASES: dict[str, tuple[Callable[[AwsSession, Topology], Any], str]] = {
    "instance state": (_stop, r"instance i-\w+: running/healthy -> stop"),
    "fault tag": (_fault_tag, r"fault mark 'crash'"),
    "nacl association": (_swap_nacl, r"subnet subnet-\w+: network ACL acl-\w+ -> acl-\w+"),
    "nacl rule": (_nacl_rule, r"rule added: in #50 deny protocol -1 10.9.0.0/16"),
    "orphan fault nacl": (_orphan_fault_nacl, r"fault network ACL acl-\w+ appeared, .* no subnet"),
    "asg subnets": (_asg_subnets, r"Auto Scaling group \S+: subnets "),
    "suspended process": (_suspend, r"process AZRebalance is suspended"),
    "alarm left": (_alarm_left, r"alarm chk\d+-errors created by chaoscli is still there"),
    "database placement": (_single_az_db, r"database standby ap-south-1\w -> None"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_kind_of_difference_is_found(session: AwsSession, before: Topology, case: str) -> None:
    """One change by hand: the comparison names it, and it is not an expected line."""
    make, pattern = CASES[case]
    assert compare(before, discover(session, before.stack)) == []
    make(session, before)
    diffs = unexpected(compare(before, discover(session, before.stack)))
    assert diffs and any(re.search(pattern, d) for d in diffs), diffs


def test_the_noted_topology_compares_as_discovered(session: AwsSession, before: Topology) -> None:
    """The topology a log notes (JSON) reads back equal, network ACLs, group and alarms too."""
    _alarm_left(session, before)
    _suspend(session, before)
    now = discover(session, before.stack)
    assert now.nacls and now.alarms and now.autoscaling and now.autoscaling.subnet_ids
    assert topology_from_json(topology_to_json(now)) == now


def test_a_scaled_group_is_expected(session: AwsSession, before: Topology) -> None:
    """A desired capacity Auto Scaling changed on its own is named, as expected."""
    session.client("autoscaling").set_desired_capacity(
        AutoScalingGroupName=group_name(before.stack), DesiredCapacity=4
    )
    diffs = compare(before, discover(session, before.stack))
    assert any("desired capacity 3 -> 4" in d for d in diffs)
    assert not any("desired" in d for d in unexpected(diffs))
