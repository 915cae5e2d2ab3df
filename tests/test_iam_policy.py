"""`chaoscli export iam-policy`: the actions a run calls, as IAM names them, and no others."""

from __future__ import annotations

import json

from chaoscli.aws.iam_policy import actions_for
from tests.endpoint_helpers import cli

FAST = ["--set", "topology.instances_per_az=1", "--set", "topology.database.read_replicas=0"]


def _actions(experiment: str) -> set[str]:
    """The exported policy's actions for a run on a stack that exists."""
    r = cli("export", "iam-policy", experiment, *FAST, "--stack-exists")
    assert r.code == 0, r.err
    document = json.loads(r.out)
    assert document["Version"] == "2012-10-17"
    [statement] = document["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    return set(statement["Action"])


def test_calls_map_to_iam_actions() -> None:
    """IAM prefixes and actions where they differ from botocore's; identity needs none."""
    assert actions_for(
        [
            "elbv2 DescribeTargetHealth",
            "ec2 StopInstances",
            "s3 ListBuckets",
            "sts GetCallerIdentity",
        ]
    ) == ["ec2:StopInstances", "elasticloadbalancing:DescribeTargetHealth", "s3:ListAllMyBuckets"]


def test_the_policy_holds_the_faults_actions_and_no_others() -> None:
    """A zone outage by API stop needs stop/start, the NACL swap, the failover and Auto Scaling's
    suspension; an instance crash needs none of them; neither provisions an existing stack."""
    outage = _actions("az-outage-api-stop")
    fault_actions = {
        "ec2:StopInstances",
        "ec2:StartInstances",
        "ec2:ReplaceNetworkAclAssociation",
        "rds:RebootDBInstance",
        "autoscaling:SuspendProcesses",
        "autoscaling:ResumeProcesses",
    }
    assert fault_actions <= outage
    crash = _actions("instance-crash")
    assert crash.isdisjoint(fault_actions)
    assert "ec2:CreateTags" in crash  # the crash is a fault tag on the instances
    assert not any(a.startswith(("ec2:CreateVpc", "rds:CreateDBInstance")) for a in outage | crash)
