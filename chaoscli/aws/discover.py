"""Read a stack back from the control plane into plain ``Topology`` objects.

The model is built from this, never from the experiment file, so any change made through the
API (by a fault or by hand) shows. Describe/list calls only: 18 for a whole stack, 8 for
``rediscover``, which re-reads only what a fault can change. The check after a rollback
compares two of these, so everything a fault can touch is read: instance states and fault
tags, every network ACL with its rules and associations, the Auto Scaling group's subnets and
suspended processes, the alarms chaoscli created and the database's placement.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chaoscli.aws.nacl import ANYWHERE, nacl_allows
from chaoscli.aws.provision_autoscaling import describe_group
from chaoscli.aws.queue import find_order_queue
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import (
    FAULT_TAG,
    PURPOSE_TAG,
    STACK_TAG,
    STANDBY_TAG,
    stack_filter,
    tag_dict,
)
from chaoscli.errors import AwsError
from chaoscli.topology import (
    AlarmState,
    Database,
    DbInstance,
    HealthCheck,
    Instance,
    LoadBalancer,
    NetworkAcl,
    Subnet,
    Topology,
)

# Alarms chaoscli creates say so first in their description.
CREATED_BY = "chaoscli"

_LIVE = ["pending", "running", "stopping", "stopped", "shutting-down"]


def discover(session: AwsSession, stack: str) -> Topology:
    """The stack tagged ``chaoscli:stack=<stack>`` as the AWS APIs report it right now."""
    with aws_errors(f"discover stack {stack}"):
        ec2 = session.client("ec2")
        vpcs = ec2.describe_vpcs(Filters=[stack_filter(stack)])["Vpcs"]
        if not vpcs:
            raise AwsError(f"no stack tagged {STACK_TAG}={stack} at {session.where}")
        vpc = min(vpcs, key=lambda v: v["VpcId"])
        acls = _vpc_nacls(ec2, vpc["VpcId"])
        subnets = _subnets(ec2, vpc["VpcId"], stack, acls)
        lb, health = _load_balancer(session.client("elbv2"), vpc["VpcId"], stack)
        instances = _known_instances(session, ec2, [s.id for s in subnets], stack, health)
        return Topology(
            stack=stack,
            region=session.region,
            vpc_id=vpc["VpcId"],
            azs=tuple(sorted({s.az for s in subnets})),
            subnets=subnets,
            instances=instances,
            load_balancer=lb,
            database=_database(session.client("rds"), stack),
            backup_bucket=_bucket(session.client("s3"), stack),
            order_queue=find_order_queue(session, stack),
            autoscaling=describe_group(session, stack, {s.id: s.az for s in subnets}),
            tags=tag_dict(vpc.get("Tags")),
            nacls=_nacl_rules(acls),
            alarms=_alarms(session.client("cloudwatch")),
        )


def rediscover(session: AwsSession, previous: Topology) -> Topology:
    """``previous`` with what a fault can change read again: instance states and fault tags,
    target health, network ACLs, the database, the Auto Scaling group and chaoscli's alarms.

    What no fault changes (the VPC, subnets and their routes, the load balancer and target
    group, the bucket, the queue) is kept from ``previous``: the same topology as a full
    ``discover`` in 8 calls instead of 18.
    """
    stack = previous.stack
    with aws_errors(f"discover stack {stack}"):
        ec2 = session.client("ec2")
        acls = _vpc_nacls(ec2, previous.vpc_id)
        subnets = _with_nacls(acls, previous.subnets)
        health = _target_health(session.client("elbv2"), previous.load_balancer)
        return dataclasses.replace(
            previous,
            subnets=subnets,
            instances=_known_instances(session, ec2, [s.id for s in subnets], stack, health),
            database=_database(session.client("rds"), stack),
            autoscaling=describe_group(session, stack, {s.id: s.az for s in subnets}),
            nacls=_nacl_rules(acls),
            alarms=_alarms(session.client("cloudwatch")),
        )


def _vpc_nacls(ec2: Any, vpc_id: str) -> list[dict[str, Any]]:
    """Every network ACL of the VPC as EC2 describes it."""
    return list(
        ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    )


def _nacl_rules(acls: list[dict[str, Any]]) -> tuple[NetworkAcl, ...]:
    """Each ACL with its rules as lines (so two reads compare rule by rule), by id."""

    def rule(e: dict[str, Any]) -> str:
        ports = e.get("PortRange") or {}
        span = f" ports {ports.get('From')}-{ports.get('To')}" if ports else ""
        return (
            f"{'out' if e.get('Egress') else 'in'} #{e.get('RuleNumber')} {e.get('RuleAction')} "
            f"protocol {e.get('Protocol')} {e.get('CidrBlock') or e.get('Ipv6CidrBlock')}{span}"
        )

    return tuple(
        NetworkAcl(
            id=acl["NetworkAclId"],
            entries=tuple(sorted(rule(e) for e in acl.get("Entries", []))),
            fault=tag_dict(acl.get("Tags")).get(PURPOSE_TAG) == "fault",
        )
        for acl in sorted(acls, key=lambda a: a["NetworkAclId"])
    )


def _alarms(cw: Any) -> tuple[AlarmState, ...]:
    """The alarms chaoscli created (in the region: a run's are deleted by its rollback)."""
    return tuple(
        AlarmState(a["AlarmName"], a["StateValue"])
        for page in cw.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
        for a in sorted(page["MetricAlarms"], key=lambda a: a["AlarmName"])
        if str(a.get("AlarmDescription", "")).startswith(CREATED_BY)
    )


def _with_nacls(acls: list[dict[str, Any]], subnets: tuple[Subnet, ...]) -> tuple[Subnet, ...]:
    """The same subnets with the NACL each is associated with now, and its verdict."""
    acl_of = _nacls_by_subnet(acls)
    return tuple(
        dataclasses.replace(
            s,
            nacl_id=acl["NetworkAclId"] if acl else "",
            reachable=acl is not None and nacl_allows(acl.get("Entries", [])),
        )
        for s in subnets
        for acl in [acl_of.get(s.id)]
    )


def _nacls_by_subnet(acls: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each subnet of the VPC with the network ACL it is associated with."""
    acl_of: dict[str, dict[str, Any]] = {}
    for acl in acls:
        for assoc in acl.get("Associations", []):
            acl_of[assoc["SubnetId"]] = acl
    return acl_of


def _subnets(ec2: Any, vpc_id: str, stack: str, acls: list[dict[str, Any]]) -> tuple[Subnet, ...]:
    """The stack's subnets with their NACL verdict and whether they route to the internet."""
    in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
    raw = ec2.describe_subnets(Filters=[stack_filter(stack), in_vpc])["Subnets"]
    return subnet_views(raw, acls, ec2.describe_route_tables(Filters=[in_vpc])["RouteTables"])


def subnet_views(
    raw: list[dict[str, Any]], acls: list[dict[str, Any]], tables: list[dict[str, Any]]
) -> tuple[Subnet, ...]:
    """Described subnets as the model sees them: zone, public or not, NACL and its verdict;
    ordered by zone, public first, then id."""
    acl_of = _nacls_by_subnet(acls)
    public = _public_subnets(tables)
    subnets = []
    for s in raw:
        acl = acl_of.get(s["SubnetId"])
        subnets.append(
            Subnet(
                id=s["SubnetId"],
                az=s["AvailabilityZone"],
                public=public(s["SubnetId"]),
                nacl_id=acl["NetworkAclId"] if acl else "",
                reachable=acl is not None and nacl_allows(acl.get("Entries", [])),
            )
        )
    return tuple(sorted(subnets, key=lambda s: (s.az, not s.public, s.id)))


def _public_subnets(tables: list[dict[str, Any]]) -> Callable[[str], bool]:
    """A predicate: does the subnet's route table (its own, else the main one) reach an IGW?"""

    def to_igw(table: dict[str, Any]) -> bool:
        return any(
            r.get("DestinationCidrBlock") == ANYWHERE
            and str(r.get("GatewayId", "")).startswith("igw-")
            and r.get("State", "active") == "active"
            for r in table.get("Routes", [])
        )

    explicit: dict[str, bool] = {}
    main = False
    for table in tables:
        for assoc in table.get("Associations", []):
            if assoc.get("Main"):
                main = to_igw(table)
            elif assoc.get("SubnetId"):
                explicit[assoc["SubnetId"]] = to_igw(table)
    return lambda subnet_id: explicit.get(subnet_id, main)


# Where each instance lives never changes: after one full describe per session and stack,
# re-discovery reads only states (describe_instance_status) and fault tags (describe_tags),
# which is what a run needs after each step, and far cheaper with hundreds of instances.
_PLACED: weakref.WeakKeyDictionary[AwsSession, dict[str, dict[str, tuple[str, str, bool]]]] = (
    weakref.WeakKeyDictionary()
)


def _known_instances(
    session: AwsSession, ec2: Any, subnet_ids: list[str], stack: str, health: dict[str, str]
) -> tuple[Instance, ...]:
    """Instances of the stack's subnets; a full describe only when an unknown one appears."""
    placed = _PLACED.setdefault(session, {}).get(stack)
    if placed is not None:
        states = {
            s["InstanceId"]: s["InstanceState"]["Name"]
            for page in ec2.get_paginator("describe_instance_status").paginate(
                IncludeAllInstances=True
            )
            for s in page["InstanceStatuses"]
        }
        # describe_instance_status covers the whole region; anything new means a full look
        if set(states) <= set(placed):
            faults = {
                t["ResourceId"]: t["Value"]
                for t in ec2.describe_tags(
                    Filters=[
                        {"Name": "key", "Values": [FAULT_TAG]},
                        {"Name": "resource-type", "Values": ["instance"]},
                    ]
                )["Tags"]
            }
            found = [
                Instance(
                    iid,
                    az,
                    subnet,
                    states[iid],
                    health.get(iid, "unregistered"),
                    tagged,
                    faults.get(iid, ""),
                )
                for iid, (az, subnet, tagged) in placed.items()  # in launch order
                if iid in states and subnet in subnet_ids and states[iid] in _LIVE
            ]
            return tuple(found)
    found_all = _instances(ec2, subnet_ids, stack, health)
    _PLACED[session][stack] = {i.id: (i.az, i.subnet_id, i.tagged) for i in found_all}
    return found_all


def _instances(
    ec2: Any, subnet_ids: list[str], stack: str, health: dict[str, str]
) -> tuple[Instance, ...]:
    """Instances in the stack's subnets that are not terminated, with their target health.

    Filtered by subnet, not by tag, so an untagged server someone launched into the stack's
    subnets shows up with ``tagged=False``; and not by availability-zone (broken in moto 5.2.1).
    """
    if not subnet_ids:
        return ()
    filters = [
        {"Name": "subnet-id", "Values": subnet_ids},
        {"Name": "instance-state-name", "Values": _LIVE},
    ]
    found = []
    for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
        for reservation in page["Reservations"]:
            for i in reservation["Instances"]:
                tags = tag_dict(i.get("Tags"))
                found.append(
                    (
                        launch_order(i),
                        Instance(
                            id=i["InstanceId"],
                            az=i["Placement"]["AvailabilityZone"],
                            subnet_id=i["SubnetId"],
                            state=i["State"]["Name"],
                            target_state=health.get(i["InstanceId"], "unregistered"),
                            tagged=tags.get(STACK_TAG) == stack,
                            fault=tags.get(FAULT_TAG, ""),
                        ),
                    )
                )
    return tuple(instance for _, instance in sorted(found, key=lambda x: x[0]))


def launch_order(described: dict[str, Any]) -> tuple[str, str, int, str]:
    """Where an instance stands among the stack's: by zone, then in the order it was
    launched (its launch time, then its index within its launch request), its id only
    breaking a tie. Ids and listing order differ between endpoints (a moto server, LocalStack,
    AWS); what the simulation draws per instance follows this order, so they do not matter."""
    launched: Any = described.get("LaunchTime")
    stamp = launched.isoformat() if isinstance(launched, datetime) else str(launched or "")
    return (
        str(described.get("Placement", {}).get("AvailabilityZone", "")),
        stamp,
        int(described.get("AmiLaunchIndex", 0)),
        str(described.get("InstanceId", "")),
    )


def _load_balancer(elb: Any, vpc_id: str, stack: str) -> tuple[LoadBalancer | None, dict[str, str]]:
    """The stack's ALB and target group, and the target health of each registered instance."""
    lbs = [
        lb
        for page in elb.get_paginator("describe_load_balancers").paginate()
        for lb in page["LoadBalancers"]
        if lb.get("VpcId") == vpc_id
    ]
    tgs = [
        tg
        for page in elb.get_paginator("describe_target_groups").paginate()
        for tg in page["TargetGroups"]
        if tg.get("VpcId") == vpc_id
    ]
    ours = _tagged(
        elb, [*(lb["LoadBalancerArn"] for lb in lbs), *(tg["TargetGroupArn"] for tg in tgs)], stack
    )
    lb = next(
        (
            x
            for x in sorted(lbs, key=lambda x: x["LoadBalancerName"])
            if x["LoadBalancerArn"] in ours
        ),
        None,
    )
    if lb is None:
        return None, {}
    tg = next(
        (
            x
            for x in sorted(tgs, key=lambda x: x["TargetGroupName"])
            if x["TargetGroupArn"] in ours
            and lb["LoadBalancerArn"] in x.get("LoadBalancerArns", [])
        ),
        None,
    )
    if tg is None:
        return None, {}
    arn = tg["TargetGroupArn"]
    attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    }
    check = HealthCheck(
        interval_s=float(tg["HealthCheckIntervalSeconds"]),
        timeout_s=float(tg["HealthCheckTimeoutSeconds"]),
        healthy_threshold=int(tg["HealthyThresholdCount"]),
        unhealthy_threshold=int(tg["UnhealthyThresholdCount"]),
        path=tg.get("HealthCheckPath", "/"),
    )
    balancer = LoadBalancer(
        name=lb["LoadBalancerName"],
        arn=lb["LoadBalancerArn"],
        dns_name=lb["DNSName"],
        azs=tuple(sorted(z["ZoneName"] for z in lb.get("AvailabilityZones", []))),
        target_group_arn=arn,
        health_check=check,
        # "use_load_balancer_configuration" means on: an ALB always balances across zones.
        cross_zone=str(attrs.get("load_balancing.cross_zone.enabled", "true")) != "false",
        algorithm=str(attrs.get("load_balancing.algorithm.type", "round_robin")),
        deregistration_delay_s=float(attrs.get("deregistration_delay.timeout_seconds", 300)),
    )
    return balancer, _target_health(elb, balancer)


def _target_health(elb: Any, lb: LoadBalancer | None) -> dict[str, str]:
    """The health state of each target registered with the load balancer's target group."""
    if lb is None:
        return {}
    return {
        d["Target"]["Id"]: d["TargetHealth"]["State"]
        for d in elb.describe_target_health(TargetGroupArn=lb.target_group_arn)[
            "TargetHealthDescriptions"
        ]
    }


def _tagged(elb: Any, arns: list[str], stack: str) -> set[str]:
    """The ELBv2 ARNs that carry the stack tag (DescribeTags takes 20 ARNs per call)."""
    found = set()
    for start in range(0, len(arns), 20):
        for d in elb.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            if tag_dict(d.get("Tags")).get(STACK_TAG) == stack:
                found.add(d["ResourceArn"])
    return found


def _database(rds: Any, stack: str) -> Database | None:
    """The stack's MariaDB: the tagged instance that replicates from nobody, and its replicas."""
    dbs = sorted(
        (
            db
            for page in rds.get_paginator("describe_db_instances").paginate()
            for db in page["DBInstances"]
            if tag_dict(db.get("TagList")).get(STACK_TAG) == stack
        ),
        key=lambda db: db["DBInstanceIdentifier"],
    )
    primary = next((db for db in dbs if not db.get("ReadReplicaSourceDBInstanceIdentifier")), None)
    if primary is None:
        return None
    multi_az = bool(primary.get("MultiAZ"))
    standby = primary.get("SecondaryAvailabilityZone") or tag_dict(primary.get("TagList")).get(
        STANDBY_TAG
    )
    return Database(
        primary=db_instance(primary),
        multi_az=multi_az,
        standby_az=standby if multi_az else None,
        replicas=tuple(
            db_instance(db) for db in dbs if db.get("ReadReplicaSourceDBInstanceIdentifier")
        ),
        engine=primary.get("Engine", "mariadb"),
    )


def db_instance(db: dict[str, Any]) -> DbInstance:
    """One RDS instance as a plain object."""
    return DbInstance(
        id=db["DBInstanceIdentifier"],
        az=db.get("AvailabilityZone", ""),
        status=db.get("DBInstanceStatus", "unknown"),
        replica_of=db.get("ReadReplicaSourceDBInstanceIdentifier"),
    )


def _bucket(s3: Any, stack: str) -> str | None:
    """The stack's backup bucket: named ``<stack>-backups-...`` and tagged with the stack."""
    names = sorted(
        b["Name"]
        for b in s3.list_buckets().get("Buckets", [])
        if b["Name"].startswith(f"{stack}-backups-")
    )
    for name in names:
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except ClientError:
            continue  # NoSuchTagSet: not ours
        if tag_dict(tags).get(STACK_TAG) == stack:
            return name
    return None
