"""The web tier's Auto Scaling group, spanning every zone, with a target-tracking policy.

moto's Auto Scaling would put every instance into the group's first subnet, so the web
servers are launched per zone and then attached to one group that spans all zones: the
spread is real, and the group's size, zones and policy are there for discovery to read.
What Auto Scaling then does (replace, scale out) is the model's job: moto does neither.
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


def create_group(
    session: AwsSession, plan: StackPlan, subnets: list[str], instances: list[str], tg_arn: str
) -> None:
    """Create the group over all private subnets, attach the instances, add the policy."""
    ec2, asg = session.client("ec2"), session.client("autoscaling")
    name = group_name(plan.stack)
    with aws_errors(f"create the Auto Scaling group of stack {plan.stack}"):
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
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
            MinSize=0,
            MaxSize=plan.asg_max_per_az * plan.azs,
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
    """The stack's web group as Auto Scaling reports it, or None without one."""
    groups = [
        g for g in stack_groups(session, stack) if g["AutoScalingGroupName"] == group_name(stack)
    ]
    if not groups:
        return None
    g = groups[0]
    with aws_errors(f"describe the scaling policies of {stack}"):
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
    """Delete the stack's web group (not its instances: teardown terminates those) and template."""
    asg, ec2 = session.client("autoscaling"), session.client("ec2")
    name = group_name(stack)
    with aws_errors(f"delete the Auto Scaling group of stack {stack}"):
        if any(g["AutoScalingGroupName"] == name for g in stack_groups(session, stack)):
            asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
        templates = ec2.describe_launch_templates(
            Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}]
        )["LaunchTemplates"]
        for template in templates:
            ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])
