"""The web tier's Auto Scaling: one group spanning every zone, or one group in each zone,
each with a target-tracking policy.

moto's Auto Scaling would put every instance into the group's first subnet, so the web
servers are launched per zone and then attached to their group: the spread is real, and each
group's size, zones and policy are there for discovery to read. What Auto Scaling then does
(replace, scale out) is the model's job: moto does neither.
"""

from __future__ import annotations

from typing import Any

from chaoscli.aws.plan import StackPlan
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import STACK_TAG
from chaoscli.topology import AutoScaling

AMI_ID = "ami-04681a1dbd79675a5"
_ATTACH_BATCH = 20  # attach_instances takes at most 20 ids a call


def group_name(stack: str) -> str:
    """Name of the stack's web Auto Scaling group."""
    return f"{stack}-web"


def stack_groups(session: AwsSession, stack: str) -> list[dict[str, Any]]:
    """The Auto Scaling groups tagged with the stack, sorted by name."""
    asg = session.client("autoscaling")
    with aws_errors(f"list the Auto Scaling groups of {stack}"):
        groups = [
            g
            for page in asg.get_paginator("describe_auto_scaling_groups").paginate()
            for g in page["AutoScalingGroups"]
            if any(t["Key"] == STACK_TAG and t["Value"] == stack for t in g.get("Tags", []))
        ]
    return sorted(groups, key=lambda g: g["AutoScalingGroupName"])


def zone_group_name(stack: str, az: str) -> str:
    """Name of the stack's web group in one zone, when it has one group per zone."""
    return f"{group_name(stack)}-{az}"


def _web_groups(session: AwsSession, stack: str) -> list[dict[str, Any]]:
    """The stack's web groups: the one over every zone, or one per zone."""
    name = group_name(stack)
    return [
        g
        for g in stack_groups(session, stack)
        if g["AutoScalingGroupName"] == name or g["AutoScalingGroupName"].startswith(f"{name}-")
    ]


def create_group(
    session: AwsSession,
    plan: StackPlan,
    subnets: dict[str, str],
    instances: dict[str, list[str]],
    tg_arn: str,
) -> None:
    """Create the web group over every private subnet (or, with ``asg_per_zone``, one group
    per zone's subnet), attach the instances, add the policy. ``subnets`` and ``instances``
    are by zone."""
    ec2 = session.client("ec2")
    name = group_name(plan.stack)
    with aws_errors(f"create the launch template of stack {plan.stack}"):
        template = ec2.create_launch_template(
            LaunchTemplateName=name,
            LaunchTemplateData={"ImageId": AMI_ID, "InstanceType": plan.instance_type},
            TagSpecifications=[
                {
                    "ResourceType": "launch-template",
                    "Tags": [{"Key": STACK_TAG, "Value": plan.stack}],
                }
            ],
        )["LaunchTemplate"]["LaunchTemplateId"]
    if plan.asg_per_zone:
        for az, subnet in subnets.items():
            _group(
                session,
                plan,
                zone_group_name(plan.stack, az),
                [subnet],
                instances.get(az, []),
                (template, tg_arn),
                plan.asg_max_per_az,
            )
    else:
        every = [i for ids in instances.values() for i in ids]
        max_size = plan.asg_max_per_az * plan.azs
        _group(session, plan, name, list(subnets.values()), every, (template, tg_arn), max_size)


def _group(
    session: AwsSession,
    plan: StackPlan,
    name: str,
    subnets: list[str],
    instances: list[str],
    template_and_target_group: tuple[str, str],
    max_size: int,
) -> None:
    """One group over ``subnets`` holding ``instances``, with the target-tracking policy."""
    asg = session.client("autoscaling")
    template, tg_arn = template_and_target_group
    with aws_errors(f"create the Auto Scaling group {name}"):
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
            MinSize=0,
            MaxSize=max(max_size, len(instances)),
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(subnets),
            TargetGroupARNs=[tg_arn],
            HealthCheckType="ELB",
            HealthCheckGracePeriod=int(plan.asg_warmup_s),
            Tags=[
                {
                    "Key": STACK_TAG,
                    "Value": plan.stack,
                    "PropagateAtLaunch": True,
                    "ResourceId": name,
                    "ResourceType": "auto-scaling-group",
                },
            ],
        )
        for start in range(0, len(instances), _ATTACH_BATCH):
            asg.attach_instances(
                AutoScalingGroupName=name, InstanceIds=instances[start : start + _ATTACH_BATCH]
            )
        asg.update_auto_scaling_group(AutoScalingGroupName=name, MinSize=len(instances))
        asg.put_scaling_policy(
            AutoScalingGroupName=name,
            PolicyName=f"{name}-cpu",
            PolicyType="TargetTrackingScaling",
            EstimatedInstanceWarmup=int(plan.asg_warmup_s),
            TargetTrackingConfiguration={
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ASGAverageCPUUtilization"
                },
                "TargetValue": round(plan.asg_target_utilization * 100, 1),
            },
        )


def describe_group(
    session: AwsSession, stack: str, subnet_zones: dict[str, str]
) -> AutoScaling | None:
    """The stack's web Auto Scaling as the groups report it, or None without one.

    One group per zone is read as one ``AutoScaling`` with ``per_zone`` set: sizes summed,
    and as its zones and subnets those of the groups that may still launch (a group whose
    only zone is blocked has Launch suspended)."""
    groups = _web_groups(session, stack)
    if not groups:
        return None
    one = [g for g in groups if g["AutoScalingGroupName"] == group_name(stack)]
    if one:
        return _read(session, one[0], subnet_zones)
    read = [_read(session, g, subnet_zones) for g in groups]
    launching = [g for g in read if "Launch" not in g.suspended]
    return AutoScaling(
        name=", ".join(g.name for g in read),
        min_size=sum(g.min_size for g in read),
        max_size=sum(g.max_size for g in read),
        desired=sum(g.desired for g in read),
        azs=tuple(sorted({az for g in launching for az in g.azs})),
        instance_ids=tuple(sorted(i for g in read for i in g.instance_ids)),
        target_utilization=read[0].target_utilization,
        warmup_s=read[0].warmup_s,
        suspended=tuple(sorted(set.intersection(*(set(g.suspended) for g in read)))),
        subnet_ids=tuple(sorted(s for g in launching for s in g.subnet_ids)),
        per_zone=True,
        zone_max=min(g.max_size for g in read),
    )


def _read(session: AwsSession, g: dict[str, Any], subnet_zones: dict[str, str]) -> AutoScaling:
    """One group as Auto Scaling reports it, with its target-tracking policy."""
    with aws_errors(f"describe the scaling policies of {g['AutoScalingGroupName']}"):
        policies: list[dict[str, Any]] = session.client("autoscaling").describe_policies(
            AutoScalingGroupName=g["AutoScalingGroupName"]
        )["ScalingPolicies"]
    target, warmup = None, 300.0
    for p in policies:
        cfg = p.get("TargetTrackingConfiguration") or {}
        kind = cfg.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
        if kind == "ASGAverageCPUUtilization":
            target = float(cfg["TargetValue"]) / 100
            warmup = float(p.get("EstimatedInstanceWarmup") or warmup)
    subnets = [s for s in g.get("VPCZoneIdentifier", "").split(",") if s]
    return AutoScaling(
        name=g["AutoScalingGroupName"],
        min_size=int(g["MinSize"]),
        max_size=int(g["MaxSize"]),
        desired=int(g["DesiredCapacity"]),
        azs=tuple(sorted({subnet_zones[s] for s in subnets if s in subnet_zones})),
        instance_ids=tuple(sorted(i["InstanceId"] for i in g.get("Instances", []))),
        target_utilization=target,
        warmup_s=warmup,
        suspended=tuple(sorted(p["ProcessName"] for p in g.get("SuspendedProcesses", []))),
        subnet_ids=tuple(sorted(subnets)),
    )


def delete_group(session: AwsSession, stack: str) -> None:
    """Delete the stack's web groups (not their instances: teardown terminates those) and
    launch template."""
    asg, ec2 = session.client("autoscaling"), session.client("ec2")
    with aws_errors(f"delete the Auto Scaling groups of stack {stack}"):
        for g in _web_groups(session, stack):
            asg.delete_auto_scaling_group(
                AutoScalingGroupName=g["AutoScalingGroupName"], ForceDelete=True
            )
        templates = ec2.describe_launch_templates(
            Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}]
        )["LaunchTemplates"]
        for template in templates:
            ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])
