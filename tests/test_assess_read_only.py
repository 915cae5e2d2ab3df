"""`chaoscli assess` only reads: every call it sends to a moto server holding the shipped
template's stack and bystanders is a Describe, List or Get, and nothing there changes."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from chaoscli.aws.session import is_read_only
from tests.assess_server import REGION, client, create_shop, server
from tests.endpoint_helpers import cli

QUICK = "instance_capacity_rps: 1000\nrun_s: 300\nat_s: 60\nduration_s: 120\nsamples_per_s: 200\n"


def add_bystanders(url: str) -> None:
    """Resources of someone else in the same account: a VPC with a server, a bucket, a queue,
    an alarm and a PostgreSQL database."""
    ec2 = client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.0.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(
        ImageId="ami-04681a1dbd79675a5",
        InstanceType="t3.micro",
        MinCount=2,
        MaxCount=2,
        SubnetId=subnet,
    )
    s3 = client(url, "s3")
    s3.create_bucket(Bucket="bystander-bucket")
    s3.put_object(Bucket="bystander-bucket", Key="orders.csv", Body=b"1,2,3")
    client(url, "sqs").create_queue(QueueName="bystander-queue")
    client(url, "cloudwatch").put_metric_alarm(
        AlarmName="bystander-alarm",
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=90,
        ComparisonOperator="GreaterThanThreshold",
    )
    client(url, "rds").create_db_instance(
        DBInstanceIdentifier="bystander-postgres",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="password123",
    )


def busiest_minute(url: str, requests: float) -> None:
    """The load balancer's RequestCount as CloudWatch would hold it: one busy minute."""
    arn = client(url, "elbv2").describe_load_balancers(Names=["two-tier-shop"])["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    client(url, "cloudwatch").put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[
            {
                "MetricName": "RequestCount",
                "Dimensions": [
                    {"Name": "LoadBalancer", "Value": arn.split(":loadbalancer/", 1)[1]}
                ],
                "Timestamp": datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5),
                "Value": requests,
                "Unit": "Count",
            }
        ],
    )


def snapshot(url: str) -> dict[str, Any]:
    """Everything a write could have changed, as the server describes it."""
    ec2, elb, rds = client(url, "ec2"), client(url, "elbv2"), client(url, "rds")
    tg = elb.describe_target_groups()["TargetGroups"]
    return {
        "instances": sorted(
            (i["InstanceId"], i["State"]["Name"], i["SubnetId"])
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
        ),
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "nacls": sorted(str(a) for a in ec2.describe_network_acls()["NetworkAcls"]),
        "targets": sorted(
            str(
                elb.describe_target_health(TargetGroupArn=g["TargetGroupArn"])[
                    "TargetHealthDescriptions"
                ]
            )
            for g in tg
        ),
        "dbs": sorted(
            (d["DBInstanceIdentifier"], d["DBInstanceStatus"], d["MultiAZ"], d["AvailabilityZone"])
            for d in rds.describe_db_instances()["DBInstances"]
        ),
        "groups": sorted(
            (g["AutoScalingGroupName"], g["DesiredCapacity"], len(g["Instances"]))
            for g in client(url, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
        ),
        "objects": [
            o["Key"]
            for o in client(url, "s3").list_objects_v2(Bucket="bystander-bucket")["Contents"]
        ],
        "queues": client(url, "sqs").list_queues().get("QueueUrls", []),
        "alarms": [
            (a["AlarmName"], a["StateValue"])
            for a in client(url, "cloudwatch").describe_alarms()["MetricAlarms"]
        ],
        "stacks": [
            s["StackStatus"] for s in client(url, "cloudformation").describe_stacks()["Stacks"]
        ],
    }


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str]]]:
    """Every API call any botocore session makes from now on: (service, operation, URL),
    recorded by botocore's own before-call event."""
    seen: list[tuple[str, str, str]] = []
    original = botocore.session.Session.__init__

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        seen.append((model.service_model.service_name, model.name, str(params.get("url", ""))))

    def init(self: botocore.session.Session, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.register("before-call", record)

    monkeypatch.setattr(botocore.session.Session, "__init__", init)
    yield seen


def test_assess_makes_only_read_calls_and_changes_nothing(
    tmp_path: Path, calls: list[tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a server holding the shop and bystanders, every call assess sends there
    is a read, discovery did reach it, and nothing there differs afterwards."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(QUICK)
    with server() as url:
        create_shop(url)
        add_bystanders(url)
        busiest_minute(url, 240_000)
        before = snapshot(url)
        calls.clear()
        result = cli(
            "assess",
            "--load-balancer",
            "two-tier-shop",
            "--endpoint-url",
            url,
            "--region",
            REGION,
            "--inputs",
            str(inputs),
            "--no-verify-fixes",
        )
        at_server = [(s, op) for s, op, to in calls if to.startswith(url)]
        unknown = cli("assess", "--load-balancer", "nope", "--endpoint-url", url)
        postgres = cli(
            "assess",
            "--load-balancer",
            "two-tier-shop",
            "--db-instance",
            "bystander-postgres",
            "--endpoint-url",
            url,
        )
        after = snapshot(url)
    assert result.code == 1, result.err
    assert "zone power loss" in result.out
    assert len(at_server) >= 10  # discovery really read the server
    assert {op for _, op in at_server} >= {
        "DescribeLoadBalancers",
        "DescribeTargetHealth",
        "DescribeInstances",
        "DescribeDBInstances",
    }
    writes = [f"{s} {op}" for s, op in at_server if not is_read_only(op)]
    assert writes == []
    # the model's copy was built and broken elsewhere: in-process moto, on AWS's own names
    elsewhere = [(op, to.split("/")[2]) for _, op, to in calls if not to.startswith(url)]
    assert all(host.endswith("amazonaws.com") for _, host in elsewhere)
    assert any(not is_read_only(op) for op, _ in elsewhere)
    assert after == before
    said = " ".join(result.out.split())  # the prose is folded at 100 columns
    assert f"read-only: discovery made {len(at_server)} calls" in said
    assert "rps 4000 (CloudWatch RequestCount (busiest minute, last day))" in said
    assert (unknown.code, postgres.code) == (2, 2)
    assert f"no load balancer nope at {REGION} ({url})" in unknown.err
    assert "bystander-postgres runs postgres" in postgres.err
