"""Provisioning and discovery, checked black-box through boto3 against in-process moto."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from chaoscli.aws import AwsSession, StackPlan, discover, provision, teardown
from chaoscli.aws.tags import STACK_TAG
from chaoscli.errors import AwsError, SpecError
from chaoscli.topology import HealthCheck

REGION = "ap-south-1"
_names = (f"shop{n}" for n in itertools.count(1))


@pytest.fixture
def plan() -> StackPlan:
    """A small stack: 3 zones x 2 web servers, Multi-AZ MariaDB with 2 replicas."""
    return StackPlan(next(_names), instances_per_az=2, read_replicas=2)


@pytest.fixture
def stack(session: AwsSession, plan: StackPlan) -> StackPlan:
    """The small stack, provisioned."""
    provision(session, plan)
    return plan


def _tags(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _vpc_id(session: AwsSession, stack: str) -> str:
    vpcs = session.client("ec2").describe_vpcs(
        Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}]
    )["Vpcs"]
    assert len(vpcs) == 1
    return str(vpcs[0]["VpcId"])


def test_instances_are_spread_evenly_across_zones(session: AwsSession, stack: StackPlan) -> None:
    """Each zone's private subnet holds instances_per_az servers, all placed in that zone."""
    ec2 = session.client("ec2")
    in_vpc = {"Name": "vpc-id", "Values": [_vpc_id(session, stack.stack)]}
    subnets = ec2.describe_subnets(Filters=[in_vpc])["Subnets"]
    per_zone: dict[str, int] = {}
    for subnet in subnets:
        reply = ec2.describe_instances(
            Filters=[{"Name": "subnet-id", "Values": [subnet["SubnetId"]]}]
        )
        instances = [i for r in reply["Reservations"] for i in r["Instances"]]
        assert {i["Placement"]["AvailabilityZone"] for i in instances} <= {
            subnet["AvailabilityZone"]
        }
        per_zone[subnet["AvailabilityZone"]] = per_zone.get(subnet["AvailabilityZone"], 0) + len(
            instances
        )
    assert per_zone == {f"{REGION}{z}": stack.instances_per_az for z in "abc"}


def test_every_resource_carries_the_stack_tag(session: AwsSession, stack: StackPlan) -> None:
    """EC2, ELBv2, RDS and S3 resources of the stack all carry chaoscli:stack=<stack>."""
    ec2, elb, rds, s3 = (session.client(n) for n in ("ec2", "elbv2", "rds", "s3"))
    want = stack.stack
    vpc_id = _vpc_id(session, want)
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    instances = [
        i for r in ec2.describe_instances(Filters=in_vpc)["Reservations"] for i in r["Instances"]
    ]
    attached = [{"Name": "attachment.instance-id", "Values": [i["InstanceId"] for i in instances]}]
    groups = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    ec2_ids = {
        *(s["SubnetId"] for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]),
        *(r["RouteTableId"] for r in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]),
        *(a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"]),
        *(g["GroupId"] for g in groups),
        *(i["InstanceId"] for i in instances),
        *(v["VolumeId"] for v in ec2.describe_volumes(Filters=attached)["Volumes"]),
        *(
            n["NetworkInterfaceId"]
            for n in ec2.describe_network_interfaces(Filters=attached)["NetworkInterfaces"]
        ),
        *(
            r["SecurityGroupRuleId"]
            for r in ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [g["GroupId"] for g in groups]}]
            )["SecurityGroupRules"]
        ),
        *(
            g["InternetGatewayId"]
            for g in ec2.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
            )["InternetGateways"]
        ),
        vpc_id,
    }
    tagged = {
        t["ResourceId"]
        for t in ec2.describe_tags(
            Filters=[{"Name": "key", "Values": [STACK_TAG]}, {"Name": "value", "Values": [want]}]
        )["Tags"]
    }
    assert len(ec2_ids) > 6 * 2 + 10
    assert ec2_ids - tagged == set()

    lb = elb.describe_load_balancers(Names=[stack.alb_name])["LoadBalancers"][0]
    tg = elb.describe_target_groups(Names=[stack.target_group_name])["TargetGroups"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    arns = [lb["LoadBalancerArn"], tg["TargetGroupArn"], *(x["ListenerArn"] for x in listeners)]
    for d in elb.describe_tags(ResourceArns=arns)["TagDescriptions"]:
        assert _tags(d["Tags"])[STACK_TAG] == want, d["ResourceArn"]

    dbs = [
        d
        for d in rds.describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"].startswith(f"{want}-")
    ]
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=f"{want}-db")["DBSubnetGroups"][0]
    assert len(dbs) == 1 + stack.read_replicas
    for arn in [*(d["DBInstanceArn"] for d in dbs), group["DBSubnetGroupArn"]]:
        assert _tags(rds.list_tags_for_resource(ResourceName=arn)["TagList"])[STACK_TAG] == want

    bucket = f"{want}-backups-{session.account_id()}"
    assert _tags(s3.get_bucket_tagging(Bucket=bucket)["TagSet"])[STACK_TAG] == want


def test_health_check_and_balancing_settings_come_from_the_plan(session: AwsSession) -> None:
    """The target group's health check and attributes are the plan's, not AWS's defaults."""
    check = HealthCheck(
        interval_s=10, timeout_s=3, healthy_threshold=3, unhealthy_threshold=4, path="/ping"
    )
    plan = StackPlan(
        next(_names),
        instances_per_az=1,
        read_replicas=0,
        health_check=check,
        cross_zone=False,
        algorithm="least_outstanding_requests",
        deregistration_delay_s=30,
    )
    provision(session, plan)
    elb = session.client("elbv2")
    tg = elb.describe_target_groups(Names=[plan.target_group_name])["TargetGroups"][0]
    assert (
        tg["HealthCheckIntervalSeconds"],
        tg["HealthCheckTimeoutSeconds"],
        tg["HealthyThresholdCount"],
        tg["UnhealthyThresholdCount"],
        tg["HealthCheckPath"],
    ) == (10, 3, 3, 4, "/ping")
    attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])[
            "Attributes"
        ]
    }
    assert attrs["deregistration_delay.timeout_seconds"] == "30"
    assert attrs["load_balancing.algorithm.type"] == "least_outstanding_requests"
    assert attrs["load_balancing.cross_zone.enabled"] == "false"
    lb = discover(session, plan.stack).load_balancer
    assert lb is not None
    assert (lb.health_check, lb.cross_zone, lb.algorithm, lb.deregistration_delay_s) == (
        check,
        False,
        "least_outstanding_requests",
        30.0,
    )


def test_database_is_multi_az_with_replicas_in_the_other_zones(
    session: AwsSession, stack: StackPlan
) -> None:
    """The primary is Multi-AZ; each read replica sits in a zone other than the primary's."""
    dbs = {
        d["DBInstanceIdentifier"]: d
        for d in session.client("rds").describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"].startswith(f"{stack.stack}-db")
    }
    primary = dbs.pop(f"{stack.stack}-db")
    assert primary["MultiAZ"] is True
    assert primary["Engine"] == "mariadb"
    assert primary["EngineVersion"] == stack.db_engine_version
    assert len(dbs) == stack.read_replicas
    zones = [d["AvailabilityZone"] for d in dbs.values()]
    assert primary["AvailabilityZone"] not in zones
    assert len(set(zones)) == len(zones)  # round-robin over the two other zones
    assert {d["ReadReplicaSourceDBInstanceIdentifier"] for d in dbs.values()} == {
        primary["DBInstanceIdentifier"]
    }


def test_discover_returns_what_provisioning_made(session: AwsSession, stack: StackPlan) -> None:
    """Discovery reads back the zones, subnets, servers, ALB, database and bucket just made."""
    top = discover(session, stack.stack)
    zones = tuple(f"{REGION}{z}" for z in "abc")
    assert top.stack == stack.stack and top.region == REGION
    assert top.vpc_id == _vpc_id(session, stack.stack)
    assert top.azs == zones
    assert len(top.subnets) == 6
    assert all(s.reachable for s in top.subnets)
    for az in zones:
        assert sorted(s.public for s in top.subnets if s.az == az) == [False, True]
        servers = top.instances_in(az)
        assert len(servers) == stack.instances_per_az
        private = next(s for s in top.subnets if s.az == az and not s.public)
        assert {(i.subnet_id, i.state, i.target_state, i.tagged) for i in servers} == {
            (private.id, "running", "healthy", True)
        }
    nacls = {s.nacl_id for s in top.subnets}
    assert len(nacls) == 1
    lb = top.load_balancer
    assert lb is not None
    assert (lb.name, lb.azs, lb.health_check, lb.cross_zone) == (
        stack.alb_name,
        zones,
        stack.health_check,
        True,
    )
    assert (lb.algorithm, lb.deregistration_delay_s) == ("round_robin", 300.0)
    db = top.database
    assert db is not None
    assert db.multi_az and db.engine == "mariadb"
    assert db.standby_az in zones and db.standby_az != db.primary.az
    assert len(db.replicas) == 2
    assert all(r.replica_of == db.primary.id and r.az != db.primary.az for r in db.replicas)
    assert top.backup_bucket == f"{stack.stack}-backups-{session.account_id()}"
    assert top.tags[STACK_TAG] == stack.stack


def test_provision_is_idempotent(session: AwsSession, stack: StackPlan) -> None:
    """Provisioning a stack that already exists creates nothing new."""
    before = discover(session, stack.stack)
    provision(session, stack)
    assert discover(session, stack.stack) == before


def test_teardown_removes_everything_tagged(session: AwsSession, stack: StackPlan) -> None:
    """After teardown nothing carries the stack tag and discovery reports no stack."""
    teardown(session, stack.stack)
    with pytest.raises(AwsError, match=f"no stack tagged {STACK_TAG}={stack.stack} at"):
        discover(session, stack.stack)
    ec2 = session.client("ec2")
    live = ec2.describe_instances(
        Filters=[
            {"Name": f"tag:{STACK_TAG}", "Values": [stack.stack]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopped"]},
        ]
    )["Reservations"]
    assert live == []
    names = [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]
    assert not any(n.startswith(f"{stack.stack}-") for n in names)
    teardown(session, stack.stack)  # a second teardown finds nothing and does nothing


def test_too_few_zones_is_a_one_line_aws_error(session: AwsSession) -> None:
    """Asking for more zones than the region has fails cleanly, before anything is made."""
    plan = StackPlan(next(_names), azs=4, instances_per_az=1)
    with pytest.raises(AwsError, match="has 3 available zones; the plan needs 4"):
        provision(session, plan)


def test_plan_rejects_names_aws_would_reject() -> None:
    """A stack name that cannot name an ALB or a bucket is a SpecError, not an AWS failure."""
    with pytest.raises(SpecError, match="stack"):
        StackPlan("Shop_1", instances_per_az=1)


def test_discovery_shows_changes_made_by_hand(session: AwsSession, stack: StackPlan) -> None:
    """A fault tag on a server and an untagged server launched into a stack subnet both show."""
    ec2 = session.client("ec2")
    top = discover(session, stack.stack)
    victim = top.instances[0]
    ec2.create_tags(Resources=[victim.id], Tags=[{"Key": "chaoscli:fault", "Value": "hang"}])
    stray = ec2.run_instances(
        ImageId="ami-04681a1dbd79675a5", MinCount=1, MaxCount=1, SubnetId=victim.subnet_id
    )["Instances"][0]["InstanceId"]
    after = {i.id: i for i in discover(session, stack.stack).instances}
    assert after[victim.id].fault == "hang"
    assert (after[stray].tagged, after[stray].target_state, after[stray].fault) == (
        False,
        "unregistered",
        "",
    )
