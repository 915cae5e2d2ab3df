"""The janitor against a moto server: it finds what dead runs left on a stack (made here by
hand through boto3), cleans it only after a yes, and leaves everything else alone."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from chaoscli.aws.lease_tag import Lease
from chaoscli.aws.network import VPC_CIDR
from chaoscli.aws.sandbox import Sandbox
from chaoscli.aws.tags import FAULT_TAG, PURPOSE_TAG, tag_dict, tag_spec
from tests.endpoint_helpers import REGION, cli


@pytest.fixture
def url(box: Sandbox) -> Iterator[str]:
    """The server's URL, empty at the start; emptied again at the end, since servers in one
    process share moto's state and later tests expect none of this test's resources."""
    box.reset()
    yield box.url
    box.reset()


_TOPOLOGY = [
    "--set",
    "topology.instances_per_az=2",
    "--set",
    "topology.database.read_replicas=1",
]


def _client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _deny_all(ec2: Any, vpc: str, tags: list[dict[str, object]], subnet: str | None) -> str:
    """A deny-all NACL in ``vpc``, cutting ``subnet`` off when given."""
    acl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=tags)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="-1",
            RuleAction="deny",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
        )
    if subnet is not None:
        assoc = next(
            a["NetworkAclAssociationId"]
            for x in ec2.describe_network_acls(
                Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
            )["NetworkAcls"]
            for a in x["Associations"]
            if a["SubnetId"] == subnet
        )
        ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    return str(acl)


def _nacl_of(ec2: Any, subnet: str) -> str:
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
    )["NetworkAcls"]
    return str(acls[0]["NetworkAclId"])


def _acl_ids(ec2: Any) -> set[str]:
    return {a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"]}


def _instance(ec2: Any, iid: str) -> dict[str, Any]:
    return dict(ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0])


def test_janitor_refuses_in_process_moto() -> None:
    """Nothing outlives in-process moto, so there is nothing to clean there: exit 2."""
    r = cli("janitor")
    assert r.code == 2 and "in-process moto starts empty" in r.err


def test_janitor_lists_then_cleans_a_dead_runs_leftovers_and_nothing_else(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An orphan deny-all NACL, an Auto Scaling group cut off from a zone with suspended
    processes, a fault tag, a stopped instance and an expired lease on stack shop are listed;
    a no changes nothing; --yes cleans them all; a stack another command holds and resources
    without chaoscli's stack tag stay as they were."""
    assert cli("up", "az-outage", *_TOPOLOGY, "--endpoint-url", url).code == 0
    ec2, asg = _client("ec2", url), _client("autoscaling", url)
    shop = {"Name": "tag:chaoscli:stack", "Values": ["shop"]}
    [vpc] = [v["VpcId"] for v in ec2.describe_vpcs(Filters=[shop])["Vpcs"]]
    subnet = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=[shop])["Subnets"])[0]
    home = _nacl_of(ec2, subnet)
    fault = {PURPOSE_TAG: "fault"}
    cutting = _deny_all(ec2, vpc, tag_spec("network-acl", "shop", "f", fault), subnet)
    loose = _deny_all(ec2, vpc, tag_spec("network-acl", "shop", "g", fault), None)
    [group] = [
        g["AutoScalingGroupName"] for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]
    ]
    asg.suspend_processes(AutoScalingGroupName=group, ScalingProcesses=["AZRebalance", "Launch"])
    zones = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["VPCZoneIdentifier"]
    cut = ",".join(zones.split(",")[1:])
    asg.update_auto_scaling_group(AutoScalingGroupName=group, VPCZoneIdentifier=cut)
    instances = sorted(
        i["InstanceId"]
        for r in ec2.describe_instances(Filters=[shop])["Reservations"]
        for i in r["Instances"]
    )
    ec2.create_tags(Resources=[instances[0]], Tags=[{"Key": FAULT_TAG, "Value": "power-off"}])
    ec2.stop_instances(InstanceIds=[instances[1]])
    dead = Lease("0badf00d", "ann@gone", "run", datetime(2020, 1, 1, tzinfo=UTC))
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": dead.key, "Value": dead.value}])

    # bystanders: a VPC chaoscli did not make, and a stack another command holds right now
    plain = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    plain_subnet = ec2.create_subnet(VpcId=plain, CidrBlock="10.0.0.0/20")["Subnet"]["SubnetId"]
    plain_acl = _deny_all(
        ec2,
        plain,
        [{"ResourceType": "network-acl", "Tags": [{"Key": PURPOSE_TAG, "Value": "fault"}]}],
        plain_subnet,
    )
    stranger = ec2.run_instances(
        ImageId="ami-04681a1dbd79675a5",
        MinCount=1,
        MaxCount=1,
        SubnetId=plain_subnet,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": FAULT_TAG, "Value": "mine"}]}
        ],
    )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[stranger])
    live = Lease("c0ffee00", "bob@busy", "run", datetime(2100, 1, 1, tzinfo=UTC))
    busy = ec2.create_vpc(
        CidrBlock=VPC_CIDR,
        TagSpecifications=tag_spec("vpc", "busy", "busy-vpc", {live.key: live.value}),
    )["Vpc"]["VpcId"]
    busy_acl = _deny_all(ec2, busy, tag_spec("network-acl", "busy", "f", fault), None)
    acls_before = _acl_ids(ec2)

    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    listed = cli("janitor", "--endpoint-url", url)
    assert listed.code == 0, listed.err
    things = (cutting, loose, group, instances[0], instances[1], "0badf00d", "AZRebalance")
    for word in (*things, "Auto Scaling zones"):
        assert word in listed.out
    assert "bob@busy" in listed.out and "left alone" in listed.out
    assert "nothing changed" in listed.out
    assert _nacl_of(ec2, subnet) == cutting and _acl_ids(ec2) == acls_before

    cleaned = cli("janitor", "--endpoint-url", url, "--yes")
    assert cleaned.code == 0, cleaned.err
    assert _nacl_of(ec2, subnet) == home
    assert _acl_ids(ec2) == acls_before - {cutting, loose}
    [g] = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
    assert g["SuspendedProcesses"] == []
    assert set(g["VPCZoneIdentifier"].split(",")) == set(zones.split(","))
    assert FAULT_TAG not in tag_dict(_instance(ec2, instances[0]).get("Tags"))
    assert _instance(ec2, instances[1])["State"]["Name"] in ("pending", "running")
    vpc_tags = tag_dict(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0].get("Tags"))
    assert not any(k.startswith("chaoscli:lease:") for k in vpc_tags)

    # the bystanders, exactly as they were
    assert _nacl_of(ec2, plain_subnet) == plain_acl
    assert _instance(ec2, stranger)["State"]["Name"] == "stopped"
    assert tag_dict(_instance(ec2, stranger).get("Tags"))[FAULT_TAG] == "mine"
    busy_tags = tag_dict(ec2.describe_vpcs(VpcIds=[busy])["Vpcs"][0].get("Tags"))
    assert busy_tags[live.key] == live.value and busy_acl in _acl_ids(ec2)

    again = cli("janitor", "--endpoint-url", url, "--stack", "shop")
    assert again.code == 0 and "nothing to clean" in again.out
