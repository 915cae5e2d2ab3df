"""Build a stack through boto3 only, so the same code runs on moto, LocalStack or real AWS.

Calls are batched (one RunInstances per zone, one RegisterTargets, one CreateTags for what AWS
creates implicitly), because CI provisions a fresh stack for every experiment.
"""

from __future__ import annotations

import contextlib
from typing import Any

from chaoscli.aws.network import (
    Claim,
    Network,
    build_network,
    find_stack_vpc,
    pick_azs,
    tag_later,
)
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision_autoscaling import create_group
from chaoscli.aws.queue import create_order_queue
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import STANDBY_TAG, stack_tags, tag_spec
from chaoscli.aws.teardown import teardown
from chaoscli.errors import AwsError, SpecError

__all__ = ["AMI_ID", "provision", "teardown"]

# Amazon Linux 2 from moto's built-in AMI list; describe_images would cost ~0.65 s per call.
AMI_ID = "ami-04681a1dbd79675a5"
_BATCH = 500


def provision(session: AwsSession, plan: StackPlan, claim: Claim | None = None) -> None:
    """Create the stack ``plan`` describes, unless a stack with its tag already exists.

    With a ``claim`` (a lease) the VPC is created holding it, and a failure tears down only
    what is in that VPC or named after the stack, never another command's VPC."""
    if plan.region != session.region:
        raise SpecError(
            "stack plan", "region", f"is {plan.region} but the session is on {session.where}"
        )
    looked = claim is not None and claim.found is not None
    if not looked and find_stack_vpc(session, plan.stack) is not None:
        return  # a lease that looked already: a stack that appeared since is its to judge
    azs = pick_azs(session, plan.azs)
    try:
        net = build_network(session, plan, azs, claim)
        by_zone, enis = _launch_web(session, plan, net)
        tag_later(session, plan.stack, [*net.untagged, *enis])
        instances = [i for ids in by_zone.values() for i in ids]
        tg_arn = _load_balancer(session, plan, net, instances)
        if plan.autoscaling:
            create_group(session, plan, net.private, by_zone, tg_arn)
        _database(session, plan, net, azs)
        if plan.backup_bucket:
            _bucket(session, plan)
        if plan.order_queue:
            create_order_queue(session, plan.stack)
    except AwsError:
        # Leave no half-built stack behind: the next provision would take it for a whole one.
        with contextlib.suppress(AwsError):
            teardown(session, plan.stack, claim.vpc_id if claim is not None else None)
        raise


def _launch_web(
    session: AwsSession, plan: StackPlan, net: Network
) -> tuple[dict[str, list[str]], list[str]]:
    """Launch each zone's web servers (``instances_in`` it) into its private subnet; their
    ids by zone, and their network interfaces."""
    ec2 = session.client("ec2")
    instances: dict[str, list[str]] = {az: [] for az in net.private}
    enis: list[str] = []
    for index, (az, subnet) in enumerate(net.private.items()):
        count = plan.instances_in(index)
        if count == 0:
            continue
        name = f"{plan.stack}-web-{az}"
        with aws_errors(f"launch {count} web servers in {az}"):
            reply = ec2.run_instances(
                ImageId=AMI_ID,
                InstanceType=plan.instance_type,
                MinCount=count,
                MaxCount=count,
                SubnetId=subnet,
                SecurityGroupIds=[net.web_sg],
                TagSpecifications=[
                    *tag_spec("instance", plan.stack, name),
                    *tag_spec("volume", plan.stack, name),
                    *tag_spec("network-interface", plan.stack, name),
                ],
            )
        for instance in reply["Instances"]:
            instances[az].append(instance["InstanceId"])
            enis.extend(n["NetworkInterfaceId"] for n in instance.get("NetworkInterfaces", []))
    return instances, enis


def _load_balancer(session: AwsSession, plan: StackPlan, net: Network, instances: list[str]) -> str:
    """An internet-facing ALB in the public subnets, HTTP:80 forwarding to the web servers."""
    elb = session.client("elbv2")
    hc = plan.health_check
    with aws_errors(f"create the load balancer of stack {plan.stack}"):
        lb_arn = elb.create_load_balancer(
            Name=plan.alb_name,
            Subnets=list(net.public.values()),
            SecurityGroups=[net.alb_sg],
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
            Tags=stack_tags(plan.stack, plan.alb_name),
        )["LoadBalancers"][0]["LoadBalancerArn"]
        tg_arn = elb.create_target_group(
            Name=plan.target_group_name,
            Protocol="HTTP",
            Port=80,
            VpcId=net.vpc_id,
            TargetType="instance",
            HealthCheckEnabled=True,
            HealthCheckProtocol="HTTP",
            HealthCheckPath=hc.path,
            HealthCheckIntervalSeconds=int(hc.interval_s),
            HealthCheckTimeoutSeconds=int(hc.timeout_s),
            HealthyThresholdCount=hc.healthy_threshold,
            UnhealthyThresholdCount=hc.unhealthy_threshold,
            Tags=stack_tags(plan.stack, plan.target_group_name),
        )["TargetGroups"][0]["TargetGroupArn"]
        # moto 5.2.5 accepts all three attributes, so no tag fallback is needed. At AWS an ALB
        # always balances across zones; the target group is where cross-zone can be turned off.
        elb.modify_target_group_attributes(
            TargetGroupArn=tg_arn,
            Attributes=[
                {
                    "Key": "deregistration_delay.timeout_seconds",
                    "Value": str(int(plan.deregistration_delay_s)),
                },
                {"Key": "load_balancing.algorithm.type", "Value": plan.algorithm},
                {
                    "Key": "load_balancing.cross_zone.enabled",
                    "Value": "true" if plan.cross_zone else "false",
                },
            ],
        )
        elb.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
            Tags=stack_tags(plan.stack, f"{plan.alb_name}-http"),
        )
        for start in range(0, len(instances), _BATCH):
            elb.register_targets(
                TargetGroupArn=tg_arn,
                Targets=[{"Id": i, "Port": 80} for i in instances[start : start + _BATCH]],
            )
    return str(tg_arn)


def _database(session: AwsSession, plan: StackPlan, net: Network, azs: list[str]) -> None:
    """MariaDB primary (Multi-AZ per plan) and read replicas in the other zones, round-robin."""
    rds = session.client("rds")
    stack = plan.stack
    group, primary = f"{stack}-db", f"{stack}-db"
    with aws_errors(f"create the database of stack {stack}"):
        rds.create_db_subnet_group(
            DBSubnetGroupName=group,
            DBSubnetGroupDescription=f"chaoscli: private subnets of {stack}",
            SubnetIds=list(net.private.values()),
            Tags=stack_tags(stack, group),
        )
        placement: dict[str, Any] = {"MultiAZ": plan.db_multi_az}
        if not plan.db_multi_az:
            # AWS rejects AvailabilityZone together with MultiAZ=True; it picks the zones then.
            placement["AvailabilityZone"] = azs[0]
        db = rds.create_db_instance(
            DBInstanceIdentifier=primary,
            Engine="mariadb",
            EngineVersion=plan.db_engine_version,  # moto raises a KeyError without one
            DBInstanceClass=plan.db_instance_class,
            AllocatedStorage=100,
            MasterUsername="shop",
            ManageMasterUserPassword=True,
            DBSubnetGroupName=group,
            BackupRetentionPeriod=7,  # automated backups; read replicas require them
            PubliclyAccessible=False,
            Tags=stack_tags(stack, primary),
            **placement,
        )["DBInstance"]
        primary_az = db.get("AvailabilityZone") or azs[0]
        others = [az for az in azs if az != primary_az] or azs
        if plan.db_multi_az:
            # moto reports no SecondaryAvailabilityZone; record the zone the standby should be in.
            rds.add_tags_to_resource(
                ResourceName=db["DBInstanceArn"], Tags=[{"Key": STANDBY_TAG, "Value": others[0]}]
            )
        if plan.read_replicas:
            rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=primary)
        for n in range(plan.read_replicas):
            name = f"{stack}-db-replica-{n + 1}"
            rds.create_db_instance_read_replica(
                DBInstanceIdentifier=name,
                SourceDBInstanceIdentifier=primary,
                DBInstanceClass=plan.db_instance_class,
                AvailabilityZone=others[n % len(others)],
                PubliclyAccessible=False,
                Tags=stack_tags(stack, name),
            )


def _bucket(session: AwsSession, plan: StackPlan) -> None:
    """The backup bucket ``<stack>-backups-<account>``, tagged with the stack."""
    s3 = session.client("s3")
    name = backup_bucket_name(plan.stack, session.account_id())
    with aws_errors(f"create the backup bucket {name}"):
        if session.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": session.region}
            )
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": stack_tags(plan.stack, name)})


def backup_bucket_name(stack: str, account_id: str) -> str:
    """The backup bucket's name for a stack in an account."""
    return f"{stack}-backups-{account_id}"
