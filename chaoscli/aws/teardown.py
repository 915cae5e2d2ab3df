"""Delete whatever carries a stack's tag, in dependency order, so ``chaoscli down`` leaves nothing.

It finds resources by tag rather than by name, so it also removes fault NACLs and pieces of a
half-built stack; running it on a stack that does not exist does nothing. Given the stack's
VPC, it keeps to that VPC's EC2 resources, so another VPC that carries the same stack tag (a
second command creating the same stack at the same moment) is left alone.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chaoscli.aws.network import replace_nacl
from chaoscli.aws.provision_autoscaling import delete_group
from chaoscli.aws.queue import delete_order_queue
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import STACK_TAG, stack_filter, tag_dict

_LIVE = ["pending", "running", "stopping", "stopped", "shutting-down"]


def teardown(session: AwsSession, stack: str, vpc_id: str | None = None) -> None:
    """Delete every resource tagged ``chaoscli:stack=<stack>`` (in ``vpc_id`` when given)."""
    with aws_errors(f"tear down stack {stack}"):
        delete_group(session, stack)
        _elbv2(session.client("elbv2"), stack)
        _rds(session.client("rds"), stack)
        _buckets(session, stack)
        delete_order_queue(session, stack)
        _ec2(session.client("ec2"), stack, vpc_id)


def _tagged_arns(elb: Any, arns: list[str], stack: str) -> list[str]:
    """The ELBv2 ARNs among ``arns`` that carry the stack tag (DescribeTags takes 20 at a time)."""
    found = []
    for start in range(0, len(arns), 20):
        for d in elb.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            if tag_dict(d.get("Tags")).get(STACK_TAG) == stack:
                found.append(d["ResourceArn"])
    return found


def _elbv2(elb: Any, stack: str) -> None:
    """Load balancers (their listeners go with them), then target groups."""
    lbs = [
        lb["LoadBalancerArn"]
        for page in elb.get_paginator("describe_load_balancers").paginate()
        for lb in page["LoadBalancers"]
    ]
    for arn in _tagged_arns(elb, lbs, stack):
        elb.delete_load_balancer(LoadBalancerArn=arn)
    tgs = [
        tg["TargetGroupArn"]
        for page in elb.get_paginator("describe_target_groups").paginate()
        for tg in page["TargetGroups"]
    ]
    for arn in _tagged_arns(elb, tgs, stack):
        elb.delete_target_group(TargetGroupArn=arn)


def _rds(rds: Any, stack: str) -> None:
    """Read replicas first, then primaries, then the DB subnet groups."""
    dbs = [
        db
        for page in rds.get_paginator("describe_db_instances").paginate()
        for db in page["DBInstances"]
        if tag_dict(db.get("TagList")).get(STACK_TAG) == stack
    ]
    dbs.sort(key=lambda db: db.get("ReadReplicaSourceDBInstanceIdentifier") is None)
    for db in dbs:
        rds.delete_db_instance(
            DBInstanceIdentifier=db["DBInstanceIdentifier"],
            SkipFinalSnapshot=True,
            DeleteAutomatedBackups=True,
        )
    for db in dbs:
        rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier=db["DBInstanceIdentifier"])
    for page in rds.get_paginator("describe_db_subnet_groups").paginate():
        for group in page["DBSubnetGroups"]:
            tags = rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])["TagList"]
            if tag_dict(tags).get(STACK_TAG) == stack:
                rds.delete_db_subnet_group(DBSubnetGroupName=group["DBSubnetGroupName"])


def _buckets(session: AwsSession, stack: str) -> None:
    """Backup buckets named after the stack and tagged with it, emptied then deleted."""
    s3 = session.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        if not name.startswith(f"{stack}-backups-"):
            continue
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except ClientError:
            continue  # no tags at all: not ours
        if tag_dict(tags).get(STACK_TAG) != stack:
            continue
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            keys = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            if keys:
                s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        s3.delete_bucket(Bucket=name)


def _back_to_default_nacl(ec2: Any, subnets: list[dict[str, Any]]) -> None:
    """Move subnets onto their VPC's default NACL: moto keeps a deleted subnet's association,
    which would otherwise block deleting the stack's NACLs."""
    if not subnets:
        return
    vpcs = sorted({s["VpcId"] for s in subnets})
    defaults = {
        acl["VpcId"]: acl["NetworkAclId"]
        for acl in ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": vpcs}, {"Name": "default", "Values": ["true"]}]
        )["NetworkAcls"]
    }
    replace_nacl(ec2, {s["SubnetId"]: defaults[s["VpcId"]] for s in subnets})


def _ec2(ec2: Any, stack: str, vpc_id: str | None) -> None:
    """Instances, then subnets, route tables, NACLs, groups, gateways and finally the VPCs."""
    tagged = [stack_filter(stack)]
    if vpc_id is not None:
        tagged.append({"Name": "vpc-id", "Values": [vpc_id]})
    ids = [
        i["InstanceId"]
        for page in ec2.get_paginator("describe_instances").paginate(
            Filters=[*tagged, {"Name": "instance-state-name", "Values": _LIVE}]
        )
        for r in page["Reservations"]
        for i in r["Instances"]
    ]
    if ids:
        ec2.terminate_instances(InstanceIds=ids)
        ec2.get_waiter("instance_terminated").wait(InstanceIds=ids)
    subnets = ec2.describe_subnets(Filters=tagged)["Subnets"]
    _back_to_default_nacl(ec2, subnets)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    for rtb in ec2.describe_route_tables(Filters=tagged)["RouteTables"]:
        if any(a.get("Main") for a in rtb.get("Associations", [])):
            continue  # the VPC's main table goes with the VPC
        for a in rtb.get("Associations", []):
            ec2.disassociate_route_table(AssociationId=a["RouteTableAssociationId"])
        ec2.delete_route_table(RouteTableId=rtb["RouteTableId"])
    for acl in ec2.describe_network_acls(Filters=tagged)["NetworkAcls"]:
        if not acl.get("IsDefault"):
            ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
    groups = [
        g
        for g in ec2.describe_security_groups(Filters=tagged)["SecurityGroups"]
        if g["GroupName"] != "default"
    ]
    for g in groups:  # drop the rules first: the web group's rule references the ALB group
        if g.get("IpPermissions"):
            ec2.revoke_security_group_ingress(
                GroupId=g["GroupId"], IpPermissions=g["IpPermissions"]
            )
    for g in groups:
        ec2.delete_security_group(GroupId=g["GroupId"])
    in_vpc = [stack_filter(stack)]
    if vpc_id is not None:
        in_vpc.append({"Name": "attachment.vpc-id", "Values": [vpc_id]})
    for igw in ec2.describe_internet_gateways(Filters=in_vpc)["InternetGateways"]:
        for attachment in igw.get("Attachments", []):
            ec2.detach_internet_gateway(
                InternetGatewayId=igw["InternetGatewayId"], VpcId=attachment["VpcId"]
            )
        ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
    vpcs = ec2.describe_vpcs(Filters=[stack_filter(stack)])["Vpcs"]
    for vpc in vpcs:
        if vpc_id is None or vpc["VpcId"] == vpc_id:
            ec2.delete_vpc(VpcId=vpc["VpcId"])
