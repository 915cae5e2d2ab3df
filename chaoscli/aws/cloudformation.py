"""Create a CloudFormation template's stack in moto through CloudFormation's own API.

Before anything is created, every resource type is checked against the ones this import
knows moto builds: a template with others is refused (nothing changed), and those that are
built but not modelled (security groups, routes, ...) are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.errors import AwsError, SpecError

# Types the model reads back after the stack is created.
MODELLED = frozenset(
    {
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBSubnetGroup",
    }
)
# Types moto's CloudFormation creates that the model has no part for.
BUILT_NOT_MODELLED = frozenset(
    {
        "AWS::EC2::InternetGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::RouteTable",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "AWS::AutoScaling::LaunchConfiguration",
        "AWS::AutoScaling::ScheduledAction",
        "AWS::RDS::DBParameterGroup",
    }
)


@dataclass(frozen=True)
class Created:
    """A stack made from a template: its load balancers' names and what it does not model."""

    stack: str
    load_balancers: tuple[str, ...]
    not_modelled: tuple[str, ...]


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !GetAtt, ...) read as plain values."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TemplateLoader.add_multi_constructor("!", _any_tag)


def resource_types(path: Path) -> dict[str, str]:
    """Each resource's logical id and type; a file that is no template is bad input."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "", f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise SpecError(str(path), "", f"invalid template: {exc}") from None
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    if not isinstance(resources, dict) or not resources:
        raise SpecError(str(path), "Resources", "missing: is this a CloudFormation template?")
    return {
        str(name): str(r.get("Type", "")) if isinstance(r, dict) else ""
        for name, r in resources.items()
    }


def check_template(path: Path) -> tuple[str, ...]:
    """Refuse a template with resources this import cannot create; those it creates but the
    model does not read, as lines."""
    types = resource_types(path)
    unknown = sorted(
        f"{n} ({t or 'no Type'})"
        for n, t in types.items()
        if t not in MODELLED | BUILT_NOT_MODELLED
    )
    if unknown:
        raise SpecError(
            str(path),
            "Resources",
            f"{', '.join(unknown)}: not a resource type chaoscli can import; it imports "
            "VPCs, subnets, routes, security groups, ALBs with listeners and target groups, "
            "launch templates, instances, Auto Scaling groups and RDS instances",
        )
    return tuple(sorted(f"{n} ({t})" for n, t in types.items() if t in BUILT_NOT_MODELLED))


def create_stack(session: AwsSession, path: Path, name: str, parameters: dict[str, str]) -> Created:
    """Create the template's stack through CloudFormation and wait until it is complete."""
    not_modelled = check_template(path)
    cf = session.client("cloudformation")
    with aws_errors(f"create stack {name} from {path.name}"):
        cf.create_stack(
            StackName=name,
            TemplateBody=path.read_text(encoding="utf-8"),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        )
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise AwsError(
                f"stack {name} from {path.name}: {stack['StackStatus']} "
                f"({stack.get('StackStatusReason', 'no reason given')})"
            )
        arns = [
            r["PhysicalResourceId"]
            for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]
            if r["ResourceType"] == "AWS::ElasticLoadBalancingV2::LoadBalancer"
        ]
        names = (
            [
                lb["LoadBalancerName"]
                for lb in session.client("elbv2").describe_load_balancers(LoadBalancerArns=arns)[
                    "LoadBalancers"
                ]
            ]
            if arns
            else []
        )
    return Created(stack=name, load_balancers=tuple(sorted(names)), not_modelled=not_modelled)
