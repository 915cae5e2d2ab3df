"""The one table of AWS FIS actions and chaoscli's faults, each row with the AWS page it is from.

Export reads it to write a fault's actions; import reads it to tell what a template's action
is in the model. A fault with no row, and an action with no row, is said to be neither
exportable nor modelled, never dropped without a word (``NOT_EXPORTABLE`` says why for each
fault FIS has no action for).
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIONS_PAGE = "AWS FIS Actions reference"
SCENARIO_PAGE = "AZ Availability: Power Interruption"
SSM_PAGE = "Use Systems Manager SSM documents with AWS FIS"

STOP_INSTANCES = "aws:ec2:stop-instances"
ASG_ICE = "aws:ec2:asg-insufficient-instance-capacity-error"
API_ICE = "aws:ec2:api-insufficient-instance-capacity-error"
DISRUPT = "aws:network:disrupt-connectivity"
REBOOT_DB = "aws:rds:reboot-db-instances"
FAILOVER_CLUSTER = "aws:rds:failover-db-cluster"
SEND_COMMAND = "aws:ssm:send-command"
WAIT = "aws:fis:wait"
KILL_PROCESS = "AWSFIS-Run-Kill-Process"
NETWORK_LATENCY = "AWSFIS-Run-Network-Latency"
ALARM_SOURCE = "aws:cloudwatch:alarm"


@dataclass(frozen=True)
class Row:
    """One FIS action (an SSM document narrows ``aws:ssm:send-command``) and what it is in
    chaoscli: the fault it writes or reads, the target it takes, and the AWS page it is from."""

    action: str
    fault: str
    meaning: str
    resource_type: str | None
    target_key: str | None
    source: str
    document: str | None = None

    @property
    def key(self) -> str:
        """The action, with its SSM document when it has one."""
        return f"{self.action} {self.document}" if self.document else self.action


TABLE: tuple[Row, ...] = (
    Row(
        STOP_INSTANCES,
        "az-outage",
        "stops the zone's instances, restarted after startInstancesAfterDuration "
        "(mode api-stop: FIS cannot cut power)",
        "aws:ec2:instance",
        "Instances",
        SCENARIO_PAGE,
    ),
    Row(
        ASG_ICE,
        "az-outage",
        "Auto Scaling may not launch in the zone (percentage 100)",
        "aws:ec2:autoscaling-group",
        "AutoScalingGroups",
        SCENARIO_PAGE,
    ),
    Row(
        API_ICE,
        "az-outage",
        "read, not written: the roles' own launches in the zone fail; in the model only Auto "
        "Scaling launches, and the zone outage stops it launching there",
        "aws:iam:role",
        "Roles",
        SCENARIO_PAGE,
    ),
    Row(
        DISRUPT,
        "az-outage",
        "cuts every subnet of the zone off (scope all)",
        "aws:ec2:subnet",
        "Subnets",
        SCENARIO_PAGE,
    ),
    Row(
        REBOOT_DB,
        "az-outage",
        "fails the Multi-AZ database over when its primary is in the zone (forceFailover)",
        "aws:rds:db",
        "DBInstances",
        SCENARIO_PAGE,
    ),
    Row(
        DISRUPT,
        "router-failure",
        "cuts every subnet of one zone off (scope all) while its servers keep running",
        "aws:ec2:subnet",
        "Subnets",
        ACTIONS_PAGE,
    ),
    Row(
        REBOOT_DB,
        "rds-failover",
        "reboots the Multi-AZ database with forceFailover true: the standby takes over; "
        "the aws:fis:wait after it is the step's window",
        "aws:rds:db",
        "DBInstances",
        ACTIONS_PAGE,
    ),
    Row(
        FAILOVER_CLUSTER,
        "rds-failover",
        "read, not written: the shop's database is a Multi-AZ MariaDB instance, not a "
        "cluster, so the cluster's failover is modelled as the instance's",
        "aws:rds:cluster",
        "Clusters",
        ACTIONS_PAGE,
    ),
    Row(
        SEND_COMMAND,
        "instance-crash",
        "kills the web process of the chosen instances (EC2 still says running)",
        "aws:ec2:instance",
        "Instances",
        SSM_PAGE,
        KILL_PROCESS,
    ),
    Row(
        SEND_COMMAND,
        "az-slowdown",
        "adds DelayMilliseconds to every answer of the zone's instances",
        "aws:ec2:instance",
        "Instances",
        SSM_PAGE,
        NETWORK_LATENCY,
    ),
    Row(
        WAIT,
        "wait",
        "holds the actions that start after it (a step's start time), or the experiment "
        "open after a failover for the step's window",
        None,
        None,
        ACTIONS_PAGE,
    ),
)

# faults with no FIS action, and why: export lists them on stderr and leaves them out
NOT_EXPORTABLE: dict[str, str] = {
    "gray-failure": "FIS has no action that makes a server answer a share of requests with "
    "errors while passing its health checks",
    "replica-loss": "FIS has no action that deletes a read replica",
    "traffic-spike": "FIS injects faults; it does not send customer traffic",
}


def rows_of(fault: str) -> dict[str, Row]:
    """The rows that write ``fault``, by action key."""
    return {row.key: row for row in TABLE if row.fault == fault}


def row(fault: str, key: str) -> Row:
    """The row of ``fault`` for the action ``key``."""
    return rows_of(fault)[key]


def known_actions() -> set[str]:
    """Every action key the table has a row for."""
    return {r.key for r in TABLE}


def markdown() -> str:
    """The table as the README shows it."""
    lines = [
        "| FIS action | chaoscli fault | what it does in the model | source (AWS page) |",
        "|---|---|---|---|",
    ]
    for r in TABLE:
        action = f"`{r.action}` ({r.document})" if r.document else f"`{r.action}`"
        lines.append(f"| {action} | {r.fault} | {r.meaning} | {r.source} |")
    for fault, why in NOT_EXPORTABLE.items():
        lines.append(f"| none | {fault} | not exportable: {why} | {ACTIONS_PAGE} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
