"""Read a stack chaoscli did not build, starting from its load balancer, with reads only.

``discover`` finds chaoscli's own stacks by their tag; a stack someone else built has no such
tag, so this follows the wiring instead: listeners to target groups, targets to instances, the
instances' Auto Scaling groups, subnets and network ACLs, and the database the user names or
that shares the load balancer's tags. Every call is a Describe, List or Get.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chaoscli.aws.discover import _nacl_rules, _vpc_nacls, db_instance, subnet_views
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import tag_dict
from chaoscli.errors import SpecError
from chaoscli.topology import (
    AutoScaling,
    Database,
    HealthCheck,
    Instance,
    LoadBalancer,
    Subnet,
    Topology,
)

# Engines the model's database stands for: MariaDB, and MySQL, which fails over the same way.
MODELLED_ENGINES = ("mariadb", "mysql")


@dataclass(frozen=True)
class Foreign:
    """A stack read back from its load balancer: the topology, with what the model needs
    besides (instance types, every zone's Auto Scaling group, traffic seen) and what it
    found but does not model."""

    topology: Topology
    instance_types: dict[str, int]
    groups: tuple[AutoScaling, ...]
    request_rps: float | None
    not_modelled: tuple[str, ...]


def discover_foreign(
    session: AwsSession,
    load_balancer: str,
    db_ids: tuple[str, ...] = (),
    tags: dict[str, str] | None = None,
) -> Foreign:
    """The stack behind ``load_balancer`` (a name or an ARN) as the APIs report it now.

    Raises ``SpecError`` (bad input, nothing changed) for an unknown load balancer, a target
    group without targets, or a database that is neither MariaDB nor MySQL.
    """
    notes: list[str] = []
    elb = session.client("elbv2")
    lb = _find_balancer(elb, load_balancer, session.where)
    with aws_errors(f"read load balancer {lb['LoadBalancerName']}"):
        tg, others = _target_group(elb, lb)
        notes += [
            f"target group {name} (the model follows one: the one with most targets)"
            for name in others
        ]
        health = {
            d["Target"]["Id"]: d["TargetHealth"]["State"]
            for d in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])[
                "TargetHealthDescriptions"
            ]
        }
        if not health:
            raise SpecError(
                "--load-balancer",
                "",
                f"target group {tg['TargetGroupName']} of {lb['LoadBalancerName']} has no "
                "targets: nothing to assess",
            )
        attrs = {
            a["Key"]: a["Value"]
            for a in elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])[
                "Attributes"
            ]
        }
        lb_tags = _elb_tags(elb, lb["LoadBalancerArn"])
    ec2 = session.client("ec2")
    with aws_errors("read the web instances"):
        described = _instances(ec2, sorted(health))
        subnet_ids = sorted(
            {i["SubnetId"] for i in described}
            | {z["SubnetId"] for z in lb.get("AvailabilityZones", []) if z.get("SubnetId")}
        )
        acls = _vpc_nacls(ec2, lb["VpcId"])
        subnets = _subnets(ec2, lb["VpcId"], subnet_ids, acls)
    instances = tuple(
        Instance(
            id=i["InstanceId"],
            az=i["Placement"]["AvailabilityZone"],
            subnet_id=i["SubnetId"],
            state=i["State"]["Name"],
            target_state=health.get(i["InstanceId"], "unregistered"),
        )
        for i in sorted(
            described, key=lambda i: (i["Placement"]["AvailabilityZone"], i["InstanceId"])
        )
    )
    groups = _groups(session, [i.id for i in instances], {s.id: s.az for s in subnets})
    wanted = dict(tags) if tags else {k: v for k, v in lb_tags.items() if not k.startswith("aws:")}
    database = _database(session, db_ids, wanted, lb["VpcId"], notes)
    balancer = LoadBalancer(
        name=lb["LoadBalancerName"],
        arn=lb["LoadBalancerArn"],
        dns_name=lb.get("DNSName", ""),
        azs=tuple(sorted(z["ZoneName"] for z in lb.get("AvailabilityZones", []))),
        target_group_arn=tg["TargetGroupArn"],
        health_check=HealthCheck(
            interval_s=float(tg.get("HealthCheckIntervalSeconds", 30)),
            timeout_s=float(tg.get("HealthCheckTimeoutSeconds", 5)),
            healthy_threshold=int(tg.get("HealthyThresholdCount", 5)),
            unhealthy_threshold=int(tg.get("UnhealthyThresholdCount", 2)),
            path=tg.get("HealthCheckPath", "/"),
        ),
        cross_zone=str(attrs.get("load_balancing.cross_zone.enabled", "true")) != "false",
        algorithm=str(attrs.get("load_balancing.algorithm.type", "round_robin")),
        deregistration_delay_s=float(attrs.get("deregistration_delay.timeout_seconds", 300)),
    )
    topology = Topology(
        stack=lb["LoadBalancerName"],
        region=session.region,
        vpc_id=lb["VpcId"],
        azs=tuple(sorted({i.az for i in instances} | set(balancer.azs))),
        subnets=subnets,
        instances=instances,
        load_balancer=balancer,
        database=database,
        autoscaling=groups[0] if groups else None,
        tags=lb_tags,
        nacls=_nacl_rules(acls),
    )
    return Foreign(
        topology=topology,
        instance_types=dict(Counter(i.get("InstanceType", "") for i in described)),
        groups=groups,
        request_rps=_request_rate(session, lb["LoadBalancerArn"]),
        not_modelled=tuple(notes),
    )


def _find_balancer(elb: Any, name_or_arn: str, where: str) -> dict[str, Any]:
    """The load balancer by ARN or name; an unknown one is bad input."""
    key = "LoadBalancerArns" if name_or_arn.startswith("arn:") else "Names"
    try:
        found = elb.describe_load_balancers(**{key: [name_or_arn]})["LoadBalancers"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in ("LoadBalancerNotFound", "ValidationError"):
            raise
        found = []
    if not found:
        raise SpecError("--load-balancer", "", f"no load balancer {name_or_arn} at {where}")
    lb: dict[str, Any] = found[0]
    if lb.get("Type", "application") != "application":
        raise SpecError(
            "--load-balancer",
            "",
            f"{name_or_arn} is a {lb['Type']} load balancer; "
            "chaoscli models Application Load Balancers",
        )
    return lb


def _target_group(elb: Any, lb: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The target group the listeners forward to (the one with most targets if several),
    and the names of the others."""
    arns: list[str] = []
    for page in elb.get_paginator("describe_listeners").paginate(
        LoadBalancerArn=lb["LoadBalancerArn"]
    ):
        for listener in page["Listeners"]:
            for action in listener.get("DefaultActions", []):
                if action.get("TargetGroupArn"):
                    arns.append(action["TargetGroupArn"])
                for tg in (action.get("ForwardConfig") or {}).get("TargetGroups", []):
                    arns.append(tg["TargetGroupArn"])
    arns = sorted(set(arns))
    if not arns:
        raise SpecError(
            "--load-balancer",
            "",
            f"{lb['LoadBalancerName']} has no listener that forwards to a target group",
        )
    groups = elb.describe_target_groups(TargetGroupArns=arns)["TargetGroups"]
    sizes = (
        {
            g["TargetGroupArn"]: len(
                elb.describe_target_health(TargetGroupArn=g["TargetGroupArn"])[
                    "TargetHealthDescriptions"
                ]
            )
            for g in groups
        }
        if len(groups) > 1
        else {groups[0]["TargetGroupArn"]: 0}
    )
    chosen = max(groups, key=lambda g: (sizes[g["TargetGroupArn"]], g["TargetGroupName"]))
    return chosen, sorted(g["TargetGroupName"] for g in groups if g is not chosen)


def _elb_tags(elb: Any, arn: str) -> dict[str, str]:
    """The load balancer's tags."""
    found = elb.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return tag_dict(found[0].get("Tags")) if found else {}


def _instances(ec2: Any, ids: list[str]) -> list[dict[str, Any]]:
    """The target instances as EC2 describes them (IP targets are not instances: skipped)."""
    ids = [i for i in ids if i.startswith("i-")]
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 100):
        for page in ec2.get_paginator("describe_instances").paginate(
            InstanceIds=ids[start : start + 100]
        ):
            for reservation in page["Reservations"]:
                found.extend(reservation["Instances"])
    return found


def _subnets(
    ec2: Any, vpc_id: str, subnet_ids: list[str], acls: list[dict[str, Any]]
) -> tuple[Subnet, ...]:
    """The subnets of the instances and the load balancer, with their network ACL's verdict."""
    raw = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"] if subnet_ids else []
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return subnet_views(raw, acls, tables["RouteTables"])


def _groups(
    session: AwsSession, instance_ids: list[str], subnet_zones: dict[str, str]
) -> tuple[AutoScaling, ...]:
    """The Auto Scaling groups the web instances belong to, each with its CPU target."""
    asg = session.client("autoscaling")
    with aws_errors("read the web instances' Auto Scaling groups"):
        names: set[str] = set()
        for start in range(0, len(instance_ids), 50):
            reply = asg.describe_auto_scaling_instances(
                InstanceIds=instance_ids[start : start + 50]
            )
            names |= {i["AutoScalingGroupName"] for i in reply["AutoScalingInstances"]}
        if not names:
            return ()
        described = asg.describe_auto_scaling_groups(AutoScalingGroupNames=sorted(names))[
            "AutoScalingGroups"
        ]
        groups = []
        for g in sorted(described, key=lambda g: g["AutoScalingGroupName"]):
            policies = asg.describe_policies(AutoScalingGroupName=g["AutoScalingGroupName"])[
                "ScalingPolicies"
            ]
            target, warmup = None, float(g.get("DefaultInstanceWarmup") or 300)
            for p in policies:
                cfg = p.get("TargetTrackingConfiguration") or {}
                kind = cfg.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
                if kind == "ASGAverageCPUUtilization":
                    target = float(cfg["TargetValue"]) / 100
                    warmup = float(p.get("EstimatedInstanceWarmup") or warmup)
            subnets = sorted(s for s in g.get("VPCZoneIdentifier", "").split(",") if s)
            groups.append(
                AutoScaling(
                    name=g["AutoScalingGroupName"],
                    min_size=int(g["MinSize"]),
                    max_size=int(g["MaxSize"]),
                    desired=int(g["DesiredCapacity"]),
                    azs=tuple(sorted({subnet_zones.get(s, "") for s in subnets} - {""}))
                    or tuple(sorted(g.get("AvailabilityZones", []))),
                    instance_ids=tuple(sorted(i["InstanceId"] for i in g.get("Instances", []))),
                    target_utilization=target,
                    warmup_s=warmup,
                    suspended=tuple(
                        sorted(p["ProcessName"] for p in g.get("SuspendedProcesses", []))
                    ),
                    subnet_ids=tuple(subnets),
                )
            )
    return tuple(groups)


def _database(
    session: AwsSession,
    db_ids: tuple[str, ...],
    tags: dict[str, str],
    vpc_id: str,
    notes: list[str],
) -> Database | None:
    """The primary named, else the one whose tags include ``tags``, else the one in the load
    balancer's VPC, and its read replicas."""
    rds = session.client("rds")
    with aws_errors("read the databases"):
        every = [
            db
            for page in rds.get_paginator("describe_db_instances").paginate()
            for db in page["DBInstances"]
        ]
    by_id = {db["DBInstanceIdentifier"]: db for db in every}
    for wanted in db_ids:
        if wanted not in by_id:
            raise SpecError(
                "--db-instance", "", f"no database instance {wanted} at {session.where}"
            )
    if db_ids:
        chosen = [by_id[i] for i in db_ids]
    else:
        chosen = [
            db for db in every if tags and tags.items() <= tag_dict(db.get("TagList")).items()
        ] or [db for db in every if (db.get("DBSubnetGroup") or {}).get("VpcId") == vpc_id]
    primaries = sorted(
        {
            db.get("ReadReplicaSourceDBInstanceIdentifier") or db["DBInstanceIdentifier"]
            for db in chosen
        }
    )
    if not primaries:
        notes.append(
            "no database: none was named with --db-instance, shares the tags or is in the VPC"
        )
        return None
    primary = by_id.get(primaries[0]) or chosen[0]
    notes += [
        f"database {p} (the model follows one primary: {primaries[0]})" for p in primaries[1:]
    ]
    engine = str(primary.get("Engine", ""))
    if engine not in MODELLED_ENGINES:
        raise SpecError(
            "--db-instance",
            "",
            f"{primary['DBInstanceIdentifier']} runs {engine or 'an unknown engine'};"
            " chaoscli models MariaDB and MySQL on RDS",
        )
    replicas = [
        by_id[r] for r in sorted(primary.get("ReadReplicaDBInstanceIdentifiers", [])) if r in by_id
    ] or [
        db
        for db in every
        if db.get("ReadReplicaSourceDBInstanceIdentifier") == primary["DBInstanceIdentifier"]
    ]
    multi_az = bool(primary.get("MultiAZ"))
    return Database(
        primary=db_instance(primary),
        multi_az=multi_az,
        standby_az=primary.get("SecondaryAvailabilityZone") if multi_az else None,
        replicas=tuple(
            db_instance(r) for r in sorted(replicas, key=lambda r: r["DBInstanceIdentifier"])
        ),
        engine=engine,
    )


def _request_rate(session: AwsSession, lb_arn: str) -> float | None:
    """The busiest minute of the last day in the ALB's CloudWatch ``RequestCount``, per second;
    None where the metric has no data (a load balancer that served nothing, or an emulator)."""
    dimension = lb_arn.split(":loadbalancer/", 1)[-1]
    end = dt.datetime.now(dt.UTC)
    with aws_errors("read the load balancer's RequestCount"):
        points = session.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/ApplicationELB",
            MetricName="RequestCount",
            Dimensions=[{"Name": "LoadBalancer", "Value": dimension}],
            StartTime=end - dt.timedelta(days=1),
            EndTime=end,
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
    sums = [float(p["Sum"]) for p in points if p.get("Sum")]
    return max(sums) / 60 if sums else None
