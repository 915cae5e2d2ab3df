"""What dead runs left behind on their stacks, found by chaoscli's own tags, and its cleaning.

A stack whose lease is live is in use: its faults belong to a running command and are left
alone. On any other stack, chaoscli's marks are leftovers: an expired lease, a deny-all fault
NACL (tagged ``chaoscli:purpose=fault``), an Auto Scaling group cut off from some of the
stack's private subnets or with suspended processes, ``chaoscli:fault`` tags on instances and
stopped instances. Only resources carrying the stack's tag are looked at,
so nothing chaoscli did not make is ever touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaoscli.aws.lease_tag import Lease, leases_of, server_time
from chaoscli.aws.network import replace_nacl
from chaoscli.aws.provision_autoscaling import stack_groups
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.stack_lease import LeaseHeld, LeaseRequest, StackLease
from chaoscli.aws.tags import FAULT_TAG, PURPOSE_TAG, STACK_TAG, tag_dict

Clean = Callable[[AwsSession], str]


@dataclass(frozen=True)
class Leftover:
    """One thing to clean: its kind, the resource, what is wrong, and how to put it right."""

    kind: str
    resource: str
    detail: str
    clean: Clean = field(compare=False, repr=False)


@dataclass
class StackSurvey:
    """One stack (one VPC carrying its tag): its live lease if any, and its leftovers."""

    stack: str
    vpc_id: str
    live: Lease | None = None
    leftovers: list[Leftover] = field(default_factory=list)


def survey(session: AwsSession, stack: str | None = None) -> list[StackSurvey]:
    """Every chaoscli stack at the session's endpoint (or only ``stack``), with its leftovers."""
    ec2 = session.client("ec2")
    tagged = {"Name": "tag-key", "Values": [STACK_TAG]}
    if stack is not None:
        tagged = {"Name": f"tag:{STACK_TAG}", "Values": [stack]}
    with aws_errors("list chaoscli stacks"):
        reply = ec2.describe_vpcs(Filters=[tagged])
    now = server_time(reply)
    found = []
    for vpc in sorted(
        reply["Vpcs"], key=lambda v: (tag_dict(v.get("Tags"))[STACK_TAG], v["VpcId"])
    ):
        tags = tag_dict(vpc.get("Tags"))
        one = StackSurvey(tags[STACK_TAG], vpc["VpcId"])
        leases = leases_of(tags)
        one.live = next((x for x in leases if not x.expired(now)), None)
        if one.live is None:
            one.leftovers = [*_stale(vpc["VpcId"], leases), *_in_vpc(session, one)]
        found.append(one)
    return found


def _stale(vpc_id: str, leases: list[Lease]) -> list[Leftover]:
    """Expired leases: their holders stopped renewing them."""

    def breaker(lease: Lease) -> Clean:
        def clean(session: AwsSession) -> str:
            session.client("ec2").delete_tags(Resources=[vpc_id], Tags=[{"Key": lease.key}])
            return f"broke the expired lease of run {lease.run} on {vpc_id}"

        return clean

    return [
        Leftover("stale lease", vpc_id, f"{lease.words()}, expired", breaker(lease))
        for lease in leases
    ]


def _in_vpc(session: AwsSession, one: StackSurvey) -> list[Leftover]:
    """Fault NACLs, fault tags and stopped instances in the VPC; suspended processes of the
    stack's Auto Scaling groups."""
    ec2 = session.client("ec2")
    in_vpc = [
        {"Name": "vpc-id", "Values": [one.vpc_id]},
        {"Name": f"tag:{STACK_TAG}", "Values": [one.stack]},
    ]
    with aws_errors(f"look for leftovers of stack {one.stack}"):
        acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [one.vpc_id]}])
        instances = [
            i
            for page in ec2.get_paginator("describe_instances").paginate(Filters=in_vpc)
            for r in page["Reservations"]
            for i in r["Instances"]
        ]
        groups = stack_groups(session, one.stack)
        subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    private = [
        sub["SubnetId"]
        for sub in sorted(subnets, key=lambda x: tag_dict(x.get("Tags")).get("Name", ""))
        if tag_dict(sub.get("Tags")).get("Name", "").startswith(f"{one.stack}-private-")
    ]
    out = _fault_nacls(one, acls["NetworkAcls"])
    for i in instances:
        fault = tag_dict(i.get("Tags")).get(FAULT_TAG)
        if fault is not None:
            out.append(
                Leftover(
                    "fault tag", i["InstanceId"], f"{FAULT_TAG}={fault}", _untag(i["InstanceId"])
                )
            )
    stopped = [i["InstanceId"] for i in instances if i["State"]["Name"] == "stopped"]
    for iid in stopped:
        out.append(
            Leftover(
                "stopped instance", iid, "stopped, and no command holds the stack", _start(iid)
            )
        )
    for g in groups:
        name = g["AutoScalingGroupName"]
        current = {x for x in str(g.get("VPCZoneIdentifier", "")).split(",") if x}
        if private and not set(private) <= current:
            missing = len(set(private) - current)
            out.append(
                Leftover(
                    "Auto Scaling zones",
                    name,
                    f"launches in none of {missing} private subnet(s) of the stack",
                    _rezone(name, private),
                )
            )
        names = sorted(p["ProcessName"] for p in g.get("SuspendedProcesses", []))
        if names:
            out.append(
                Leftover("suspended processes", name, ", ".join(names), _resume(name, names))
            )
    return out


def _fault_nacls(one: StackSurvey, acls: list[dict[str, Any]]) -> list[Leftover]:
    """Deny-all NACLs a fault created; cleaning moves their subnets back to the stack's NACL."""
    own = [
        a
        for a in acls
        if not a.get("IsDefault")
        and tag_dict(a.get("Tags")).get(STACK_TAG) == one.stack
        and PURPOSE_TAG not in tag_dict(a.get("Tags"))
    ]
    default = next((a["NetworkAclId"] for a in acls if a.get("IsDefault")), None)
    home = min((a["NetworkAclId"] for a in own), default=default)
    out = []
    for acl in acls:
        tags = tag_dict(acl.get("Tags"))
        if tags.get(STACK_TAG) != one.stack or tags.get(PURPOSE_TAG) != "fault":
            continue
        subnets = sorted(a["SubnetId"] for a in acl.get("Associations", []))
        detail = (
            f"deny-all, cuts off {len(subnets)} subnet(s)"
            if subnets
            else "deny-all, not associated"
        )
        out.append(
            Leftover(
                "fault NACL",
                acl["NetworkAclId"],
                detail,
                _unfault(acl["NetworkAclId"], subnets, home),
            )
        )
    return out


def _unfault(acl_id: str, subnets: list[str], home: str | None) -> Clean:
    def clean(session: AwsSession) -> str:
        ec2 = session.client("ec2")
        if subnets and home is not None:
            replace_nacl(ec2, dict.fromkeys(subnets, home))
        ec2.delete_network_acl(NetworkAclId=acl_id)
        back = f"; {len(subnets)} subnet(s) back on {home}" if subnets else ""
        return f"deleted fault NACL {acl_id}{back}"

    return clean


def _untag(instance_id: str) -> Clean:
    def clean(session: AwsSession) -> str:
        session.client("ec2").delete_tags(Resources=[instance_id], Tags=[{"Key": FAULT_TAG}])
        return f"removed {FAULT_TAG} from {instance_id}"

    return clean


def _start(instance_id: str) -> Clean:
    def clean(session: AwsSession) -> str:
        session.client("ec2").start_instances(InstanceIds=[instance_id])
        return f"started {instance_id}"

    return clean


def _rezone(group: str, subnets: list[str]) -> Clean:
    def clean(session: AwsSession) -> str:
        session.client("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=group, VPCZoneIdentifier=",".join(subnets)
        )
        return f"{group} launches in all {len(subnets)} private subnets of its stack again"

    return clean


def _resume(group: str, processes: list[str]) -> Clean:
    def clean(session: AwsSession) -> str:
        session.client("autoscaling").resume_processes(
            AutoScalingGroupName=group, ScalingProcesses=processes
        )
        return f"resumed {', '.join(processes)} of {group}"

    return clean


def clean(session: AwsSession, stacks: list[StackSurvey]) -> list[str]:
    """Clean each stack's leftovers while holding its lease (taking it breaks an expired one);
    a stack another command took meanwhile is skipped."""
    lines = []
    for one in stacks:
        if not one.leftovers:
            continue
        lease = StackLease(session, one.stack, LeaseRequest("janitor", break_expired=True))
        try:
            lease.take()
        except LeaseHeld as exc:
            lines.append(f"skipped: {exc}")
            continue
        try:
            for item in one.leftovers:
                with aws_errors(f"clean {item.kind} {item.resource}"):
                    lines.append(item.clean(session))
        finally:
            lease.release()
    return lines
