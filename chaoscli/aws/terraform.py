"""Build a stack from a Terraform state (``terraform show -json``) in moto, through boto3.

Each managed resource chaoscli reads becomes the call that creates it, with the state's ids
mapped to the new ones; what the state holds beyond that is listed, never dropped silently.
Only into in-process moto or an endpoint: the caller's session decides, and refuses AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaoscli.aws.provision import AMI_ID
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.errors import SpecError

# The order resources are created in: each after what it refers to.
ORDER = (
    "aws_vpc",
    "aws_subnet",
    "aws_network_acl",
    "aws_launch_template",
    "aws_lb",
    "aws_lb_target_group",
    "aws_lb_listener",
    "aws_instance",
    "aws_lb_target_group_attachment",
    "aws_autoscaling_group",
    "aws_db_subnet_group",
    "aws_db_instance",
)


@dataclass
class Built:
    """What an import made: the state's ids mapped to the new ones, and what it left out."""

    ids: dict[str, str] = field(default_factory=dict)
    load_balancers: list[str] = field(default_factory=list)
    not_modelled: list[str] = field(default_factory=list)


def read_state(path: Path) -> list[dict[str, Any]]:
    """Every managed resource of a ``terraform show -json`` document, child modules included."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "", f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SpecError(str(path), "", f"not JSON: {exc.msg}", line=exc.lineno) from None
    root = doc.get("values", {}).get("root_module") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise SpecError(
            str(path), "values.root_module", "missing: is this `terraform show -json` output?"
        )
    found: list[dict[str, Any]] = []

    def walk(module: dict[str, Any]) -> None:
        for r in module.get("resources", []):
            if not isinstance(r, dict) or not isinstance(r.get("values"), dict):
                raise SpecError(str(path), str(r.get("address", "resources")), "has no values")
            if r.get("mode", "managed") == "managed":
                found.append(r)
        for child in module.get("child_modules", []):
            walk(child)

    walk(root)
    return found


def build_state(session: AwsSession, path: Path) -> Built:
    """Create the state's resources in the session's moto or endpoint; the ids it made."""
    resources = read_state(path)
    built = Built()
    kinds = {r["type"] for r in resources}
    built.not_modelled = sorted(
        f"{r['address']} ({r['type']})" for r in resources if r["type"] not in ORDER
    )
    replicas = [
        r for r in resources if r["type"] == "aws_db_instance" and _v(r, "replicate_source_db")
    ]
    for kind in ORDER:
        if kind not in kinds:
            continue
        for r in resources:
            if r["type"] == kind and r not in replicas:
                _make(session, built, r, path)
    for r in replicas:
        _make(session, built, r, path)
    return built


def _v(r: dict[str, Any], key: str, default: Any = None) -> Any:
    value = r["values"].get(key, default)
    return default if value is None else value


def _need(r: dict[str, Any], key: str, path: Path) -> Any:
    value = r["values"].get(key)
    if value in (None, "", []):
        raise SpecError(str(path), f"{r.get('address', r['type'])}.{key}", "missing")
    return value


def _make(session: AwsSession, built: Built, r: dict[str, Any], path: Path) -> None:
    """Create one resource and remember its new id under the state's id (and ARN)."""
    maker = _MAKERS[r["type"]]
    with aws_errors(f"create {r.get('address', r['type'])} from {path.name}"):
        new = maker(session, built, r, path)
    for key in ("id", "arn"):
        old = r["values"].get(key)
        if old and new:
            built.ids[str(old)] = new


def _ref(built: Built, old: Any, r: dict[str, Any], what: str, path: Path) -> str:
    """The new id of a resource the state refers to; an unknown one is bad input."""
    if old in built.ids:
        return built.ids[old]
    raise SpecError(
        str(path),
        f"{r.get('address', r['type'])}.{what}",
        f"refers to {old}, which the state does not hold",
    )


def _vpc(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    return str(s.client("ec2").create_vpc(CidrBlock=_need(r, "cidr_block", p))["Vpc"]["VpcId"])


def _subnet(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    return str(
        s.client("ec2").create_subnet(
            VpcId=_ref(b, _need(r, "vpc_id", p), r, "vpc_id", p),
            CidrBlock=_need(r, "cidr_block", p),
            AvailabilityZone=_need(r, "availability_zone", p),
        )["Subnet"]["SubnetId"]
    )


def _nacl(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    ec2 = s.client("ec2")
    vpc = _ref(b, _need(r, "vpc_id", p), r, "vpc_id", p)
    acl = str(ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"])
    for egress, rules in ((False, _v(r, "ingress", [])), (True, _v(r, "egress", []))):
        for rule in rules:
            ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=int(rule["rule_no"]),
                Protocol=str(rule.get("protocol", "-1")).replace("all", "-1"),
                RuleAction=str(rule.get("action", "allow")),
                Egress=egress,
                CidrBlock=str(rule.get("cidr_block") or "0.0.0.0/0"),
                PortRange={
                    "From": int(rule.get("from_port", 0)),
                    "To": int(rule.get("to_port", 0)),
                },
            )
    subnets = {_ref(b, x, r, "subnet_ids", p) for x in _v(r, "subnet_ids", [])}
    if subnets:
        for current in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
            "NetworkAcls"
        ]:
            for assoc in current.get("Associations", []):
                if assoc.get("SubnetId") in subnets:
                    ec2.replace_network_acl_association(
                        AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
                    )
    return acl


def _launch_template(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    reply = s.client("ec2").create_launch_template(
        LaunchTemplateName=_need(r, "name", p),
        LaunchTemplateData={"ImageId": AMI_ID, "InstanceType": _v(r, "instance_type", "c6i.large")},
    )
    return str(reply["LaunchTemplate"]["LaunchTemplateId"])


def _lb(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    kind = _v(r, "load_balancer_type", "application")
    if kind != "application":
        b.not_modelled.append(f"{r['address']} (a {kind} load balancer: chaoscli models ALBs)")
        return ""
    arn = s.client("elbv2").create_load_balancer(
        Name=_need(r, "name", p),
        Subnets=[_ref(b, x, r, "subnets", p) for x in _need(r, "subnets", p)],
        Scheme="internal" if _v(r, "internal", False) else "internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    b.load_balancers.append(str(r["values"]["name"]))
    return str(arn)


def _target_group(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    elb = s.client("elbv2")
    hc = (_v(r, "health_check", []) or [{}])[0]
    arn = str(
        elb.create_target_group(
            Name=_need(r, "name", p),
            Protocol=_v(r, "protocol", "HTTP"),
            Port=int(_v(r, "port", 80)),
            VpcId=_ref(b, _need(r, "vpc_id", p), r, "vpc_id", p),
            TargetType=_v(r, "target_type", "instance"),
            HealthCheckPath=hc.get("path") or "/",
            HealthCheckIntervalSeconds=int(hc.get("interval") or 30),
            HealthCheckTimeoutSeconds=int(hc.get("timeout") or 5),
            HealthyThresholdCount=int(hc.get("healthy_threshold") or 5),
            UnhealthyThresholdCount=int(hc.get("unhealthy_threshold") or 2),
        )["TargetGroups"][0]["TargetGroupArn"]
    )
    cross = str(_v(r, "load_balancing_cross_zone_enabled", "use_load_balancer_configuration"))
    elb.modify_target_group_attributes(
        TargetGroupArn=arn,
        Attributes=[
            {
                "Key": "deregistration_delay.timeout_seconds",
                "Value": str(_v(r, "deregistration_delay", "300")),
            },
            {
                "Key": "load_balancing.algorithm.type",
                "Value": str(_v(r, "load_balancing_algorithm_type", "round_robin")),
            },
            {"Key": "load_balancing.cross_zone.enabled", "Value": cross},
        ],
    )
    return arn


def _listener(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    actions = [
        {
            "Type": "forward",
            "TargetGroupArn": _ref(b, a["target_group_arn"], r, "default_action", p),
        }
        for a in _v(r, "default_action", [])
        if a.get("type") == "forward" and a.get("target_group_arn")
    ]
    if not actions:
        b.not_modelled.append(f"{r['address']} (a listener that forwards to no target group)")
        return ""
    return str(
        s.client("elbv2").create_listener(
            LoadBalancerArn=_ref(b, _need(r, "load_balancer_arn", p), r, "load_balancer_arn", p),
            Protocol=_v(r, "protocol", "HTTP"),
            Port=int(_v(r, "port", 80)),
            DefaultActions=actions,
        )["Listeners"][0]["ListenerArn"]
    )


def _instance(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    return str(
        s.client("ec2").run_instances(
            ImageId=AMI_ID,
            InstanceType=_v(r, "instance_type", "c6i.large"),
            MinCount=1,
            MaxCount=1,
            SubnetId=_ref(b, _need(r, "subnet_id", p), r, "subnet_id", p),
        )["Instances"][0]["InstanceId"]
    )


def _attachment(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    s.client("elbv2").register_targets(
        TargetGroupArn=_ref(b, _need(r, "target_group_arn", p), r, "target_group_arn", p),
        Targets=[
            {
                "Id": _ref(b, _need(r, "target_id", p), r, "target_id", p),
                "Port": int(_v(r, "port", 80)),
            }
        ],
    )
    return ""


def _group(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    template = (_v(r, "launch_template", []) or [{}])[0]
    name = _need(r, "name", p)
    s.client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=int(_v(r, "min_size", 0)),
        MaxSize=int(_v(r, "max_size", 0)),
        DesiredCapacity=int(_v(r, "desired_capacity", _v(r, "min_size", 0))),
        VPCZoneIdentifier=",".join(
            _ref(b, x, r, "vpc_zone_identifier", p) for x in _need(r, "vpc_zone_identifier", p)
        ),
        LaunchTemplate={
            "LaunchTemplateId": _ref(b, template.get("id"), r, "launch_template", p),
            "Version": str(template.get("version") or "$Latest"),
        },
        TargetGroupARNs=[
            _ref(b, x, r, "target_group_arns", p) for x in _v(r, "target_group_arns", [])
        ],
        HealthCheckType=_v(r, "health_check_type", "EC2"),
    )
    return str(name)


def _db_subnets(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    name = _need(r, "name", p)
    s.client("rds").create_db_subnet_group(
        DBSubnetGroupName=name,
        DBSubnetGroupDescription=_v(r, "description", "imported"),
        SubnetIds=[_ref(b, x, r, "subnet_ids", p) for x in _need(r, "subnet_ids", p)],
    )
    return str(name)


def _db(s: AwsSession, b: Built, r: dict[str, Any], p: Path) -> str:
    rds = s.client("rds")
    name = _need(r, "identifier", p)
    source = _v(r, "replicate_source_db")
    if source:
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier=name,
            SourceDBInstanceIdentifier=b.ids.get(source, source),
            DBInstanceClass=_v(r, "instance_class", "db.r6g.large"),
            **(
                {"AvailabilityZone": r["values"]["availability_zone"]}
                if _v(r, "availability_zone")
                else {}
            ),
        )
        return str(name)
    multi_az = bool(_v(r, "multi_az", False))
    placement = (
        {}
        if multi_az or not _v(r, "availability_zone")
        else {"AvailabilityZone": r["values"]["availability_zone"]}
    )
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine=_need(r, "engine", p),
        EngineVersion=_v(r, "engine_version", "10.11.6"),
        DBInstanceClass=_v(r, "instance_class", "db.r6g.large"),
        AllocatedStorage=int(_v(r, "allocated_storage", 100)),
        MasterUsername=_v(r, "username", "admin"),
        MasterUserPassword="imported-placeholder",
        BackupRetentionPeriod=int(_v(r, "backup_retention_period", 7)),
        MultiAZ=multi_az,
        **(
            {"DBSubnetGroupName": r["values"]["db_subnet_group_name"]}
            if _v(r, "db_subnet_group_name")
            else {}
        ),
        **placement,
    )
    return str(name)


_MAKERS: dict[str, Callable[[AwsSession, Built, dict[str, Any], Path], str]] = {
    "aws_vpc": _vpc,
    "aws_subnet": _subnet,
    "aws_network_acl": _nacl,
    "aws_launch_template": _launch_template,
    "aws_lb": _lb,
    "aws_lb_target_group": _target_group,
    "aws_lb_listener": _listener,
    "aws_instance": _instance,
    "aws_lb_target_group_attachment": _attachment,
    "aws_autoscaling_group": _group,
    "aws_db_subnet_group": _db_subnets,
    "aws_db_instance": _db,
}
