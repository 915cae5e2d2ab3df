"""No Auto Scaling launches in a zone, as FIS's power interruption prevents them.

The stack's Auto Scaling groups (tagged with the stack) lose the zone's subnets and have
AZRebalance suspended, so nothing is launched there and nothing is moved out; the undo puts
back the exact subnet list and resumes AZRebalance only if the fault suspended it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from chaoscli.aws.changes.log import RollbackLog, undoes
from chaoscli.aws.provision_autoscaling import stack_groups
from chaoscli.aws.session import AwsSession, aws_errors

RESTORE_ASG_ZONES = "restore_asg_zones"
_REBALANCE = "AZRebalance"


def block_zone_launches(
    session: AwsSession, log: RollbackLog, stack: str, subnet_ids: Sequence[str]
) -> list[str]:
    """Take the zone's subnets out of every stack group that has another zone to launch in."""
    zone = set(subnet_ids)
    asg = session.client("autoscaling")
    lines = []
    for group in stack_groups(session, stack):
        name = group["AutoScalingGroupName"]
        current = [s for s in str(group.get("VPCZoneIdentifier", "")).split(",") if s]
        keep = [s for s in current if s not in zone]
        if keep == current:
            continue
        suspended = {p["ProcessName"] for p in group.get("SuspendedProcesses", [])}
        with aws_errors(f"stop launches of {name} in {', '.join(sorted(zone))}"):
            log.record(
                RESTORE_ASG_ZONES,
                {
                    "group": name,
                    "subnets": ",".join(current),
                    "removed": ",".join(s for s in current if s in zone),
                    "resume_rebalance": _REBALANCE not in suspended,
                    "resume_launch": not keep and "Launch" not in suspended,
                },
            )
            if _REBALANCE not in suspended:
                asg.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=[_REBALANCE])
            if keep:
                asg.update_auto_scaling_group(
                    AutoScalingGroupName=name, VPCZoneIdentifier=",".join(keep)
                )
                lines.append(f"Auto Scaling group {name} launches no more in the zone")
            else:
                asg.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=["Launch"])
                lines.append(f"Auto Scaling group {name} has no other zone: launches suspended")
    return lines


def _restore_by_hand(undo: dict[str, Any], aws: str) -> list[str]:
    """Give the group its subnets back and resume what the fault suspended."""
    group = shlex.quote(undo["group"])
    lines = [
        f"{aws} autoscaling update-auto-scaling-group --auto-scaling-group-name {group} "
        f"--vpc-zone-identifier {shlex.quote(undo['subnets'])}"
    ]
    resume = [_REBALANCE] if undo.get("resume_rebalance") else []
    resume += ["Launch"] if undo.get("resume_launch") else []
    if resume:
        lines.append(
            f"{aws} autoscaling resume-processes --auto-scaling-group-name {group} "
            f"--scaling-processes {' '.join(resume)}"
        )
    return lines


@undoes(RESTORE_ASG_ZONES, _restore_by_hand)
def restore_asg_zones(session: AwsSession, undo: dict[str, Any]) -> str:
    """Give the group its subnets back; resume what the fault suspended."""
    name = str(undo["group"])
    asg = session.client("autoscaling")
    with aws_errors(f"restore the zones of Auto Scaling group {name}"):
        subnets = str(undo["subnets"])
        if "removed" in undo:  # give back only this fault's zone: another may be out still
            now = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
            have = [
                x for x in str(now["AutoScalingGroups"][0].get("VPCZoneIdentifier", "")).split(",")
            ]
            have = [x for x in have if x]
            back = [x for x in str(undo["removed"]).split(",") if x and x not in have]
            given = [x for x in subnets.split(",") if x in have or x in back]
            subnets = ",".join([*given, *(x for x in have if x not in given)])
        asg.update_auto_scaling_group(AutoScalingGroupName=name, VPCZoneIdentifier=subnets)
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][
            0
        ]
        suspended = {p["ProcessName"] for p in group.get("SuspendedProcesses", [])}
        resume = []
        if undo.get("resume_launch") and "Launch" in suspended:
            resume.append("Launch")
        if undo["resume_rebalance"] and _REBALANCE in suspended:
            resume.append(_REBALANCE)
        if resume:
            asg.resume_processes(AutoScalingGroupName=name, ScalingProcesses=resume)
    return f"Auto Scaling group {name} launches in all its zones again"
