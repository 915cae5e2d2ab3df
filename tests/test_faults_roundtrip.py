"""Each fault injected through boto3 into in-process moto and rolled back to the exact topology."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chaoscli.aws import AwsSession, RollbackLog, StackPlan, discover, provision
from chaoscli.aws.changes.log import rollback
from chaoscli.aws.provision import AMI_ID
from chaoscli.aws.tags import STACK_TAG
from chaoscli.experiment.faults import FAULTS, FaultContext, Injected
from chaoscli.experiment.spec import FaultStep
from chaoscli.topology import Topology

REGION = "ap-south-1"
ZONE = f"{REGION}a"
_names = (f"flt{n}" for n in itertools.count(1))


@pytest.fixture
def before(session: AwsSession) -> Topology:
    """A fresh small stack (3 zones x 3 servers, Multi-AZ primary in ZONE, 2 replicas)."""
    plan = StackPlan(next(_names), instances_per_az=3, read_replicas=2)
    provision(session, plan)
    topo = discover(session, plan.stack)
    assert topo.database is not None and topo.database.primary.az == ZONE
    return topo


@pytest.fixture
def log(tmp_path: Path) -> RollbackLog:
    """An empty rollback log in a temporary directory."""
    return RollbackLog(tmp_path / "rollback.jsonl")


def inject(
    session: AwsSession,
    log: RollbackLog,
    topo: Topology,
    seed: int = 0,
    key: str = "step-0",
    **step: Any,
) -> Injected:
    """Run one fault the way the runner does: in its step's scope, with a seeded draw."""
    ctx = FaultContext(session, log, topo, FaultStep(**step), 60.0, np.random.default_rng(seed))
    with log.scope(key):
        return FAULTS[step["fault"]].inject(ctx)


def _running(topo: Topology, az: str) -> set[str]:
    return {i.id for i in topo.instances_in(az) if i.state == "running"}


@pytest.mark.parametrize(
    ("mode", "state", "fault"),
    [("power-loss", "running", "power-off"), ("api-stop", "stopped", "")],
)
def test_az_outage_stops_cuts_off_fails_over_and_blocks_launches(
    session: AwsSession, before: Topology, log: RollbackLog, mode: str, state: str, fault: str
) -> None:
    """The zone's servers lose power (EC2 still says running; the fault tag says off) or are
    stopped through the API, its subnets go dark, its ASG subnets go; rollback restores all."""
    asg = session.client("autoscaling")
    subnets = ",".join(s.id for s in before.subnets if not s.public)
    asg.create_launch_configuration(
        LaunchConfigurationName=f"{before.stack}-lc", ImageId=AMI_ID, InstanceType="t3.micro"
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName=f"{before.stack}-asg",
        LaunchConfigurationName=f"{before.stack}-lc",
        MinSize=0,
        MaxSize=10,
        DesiredCapacity=0,
        VPCZoneIdentifier=subnets,
        Tags=[{"Key": STACK_TAG, "Value": before.stack, "PropagateAtLaunch": False}],
    )
    done = inject(session, log, before, fault="az-outage", az=ZONE, mode=mode)
    during = discover(session, before.stack)
    assert {(i.state, i.fault) for i in during.instances_in(ZONE)} == {(state, fault)}
    assert all(i.fault == "" for i in during.instances if i.az != ZONE)
    assert not during.zone_reachable(ZONE)
    assert [a.kind for a in done.actions] == ["db_failover"]
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{before.stack}-asg"])[
        "AutoScalingGroups"
    ][0]
    zone_subnets = {s.id for s in before.subnets if s.az == ZONE}
    assert zone_subnets.isdisjoint(group["VPCZoneIdentifier"].split(","))
    assert {p["ProcessName"] for p in group["SuspendedProcesses"]} == {"AZRebalance"}

    rollback(session, log, step="step-0")
    assert discover(session, before.stack) == before
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{before.stack}-asg"])[
        "AutoScalingGroups"
    ][0]
    assert group["VPCZoneIdentifier"] == subnets and group["SuspendedProcesses"] == []


def test_router_failure_blackholes_the_zone_and_leaves_servers_running(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """Subnets are unreachable while every server still runs; rollback restores the topology."""
    done = inject(session, log, before, fault="router-failure", az=ZONE)
    during = discover(session, before.stack)
    assert not during.zone_reachable(ZONE)
    assert _running(during, ZONE) == _running(before, ZONE) and len(_running(before, ZONE)) == 3
    assert done.actions == []
    rollback(session, log, step="step-0")
    assert discover(session, before.stack) == before


def test_instance_crash_count_marks_exactly_n_and_undo_clears_them(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """COUNT(2) in one zone marks two of its servers crash (still running); undo clears them."""
    inject(session, log, before, fault="instance-crash", az=ZONE, selection="COUNT(2)")
    during = discover(session, before.stack)
    crashed = [i for i in during.instances if i.fault == "crash"]
    assert len(crashed) == 2 and {i.az for i in crashed} == {ZONE}
    assert all(i.state == "running" for i in crashed)
    rollback(session, log, step="step-0")
    assert discover(session, before.stack) == before


def test_instance_crash_percent_across_the_stack(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """PERCENT(50) of nine servers is four (rounded down), drawn from any zone."""
    inject(session, log, before, fault="instance-crash", selection="PERCENT(50)")
    assert sum(i.fault == "crash" for i in discover(session, before.stack).instances) == 4
    rollback(session, log)
    assert discover(session, before.stack) == before


def test_gray_failure_tags_the_zone_slow_with_the_model_format(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """Every server of the zone gets ``slow:<ms>:<share>``; the other zones are untouched."""
    inject(session, log, before, fault="gray-failure", az=ZONE, latency_ms=800, error_share=0.05)
    during = discover(session, before.stack)
    assert {i.fault for i in during.instances_in(ZONE)} == {"slow:800:0.05"}
    assert {i.fault for i in during.instances if i.az != ZONE} == {""}
    rollback(session, log)
    assert discover(session, before.stack) == before


def test_rds_failover_reboots_and_tells_the_model(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """A forced failover is a control action for the model; no zone is harmed."""
    done = inject(session, log, before, fault="rds-failover")
    assert [(a.t, a.kind) for a in done.actions] == [(60.0, "db_failover")]
    during = discover(session, before.stack)
    assert all(during.zone_reachable(az) for az in during.azs)
    rollback(session, log)
    assert discover(session, before.stack) == before


def test_replica_loss_deletes_and_recreates_with_same_id_and_zone(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """COUNT(1) deletes one replica; the undo brings it back with its id and zone."""
    assert before.database is not None
    inject(session, log, before, fault="replica-loss", selection="COUNT(1)")
    during = discover(session, before.stack)
    assert during.database is not None and len(during.database.replicas) == 1
    rollback(session, log)
    after = discover(session, before.stack)
    assert after.database is not None
    assert {(r.id, r.az) for r in after.database.replicas} == {
        (r.id, r.az) for r in before.database.replicas
    }
    assert after == before


def test_traffic_spike_changes_nothing_on_the_control_plane(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """A spike is customers, not infrastructure: no change is logged, discovery is identical."""
    done = inject(session, log, before, fault="traffic-spike", rps=1_000_000, ramp_s=60)
    assert "1,000,000" in done.messages[0]
    assert log.pending() == [] and discover(session, before.stack) == before


def test_untagged_bystander_in_the_broken_zone_keeps_running(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """An instance without the stack tag in the zone is neither stopped nor marked crashed."""
    subnet = next(s.id for s in before.subnets if s.az == ZONE and not s.public)
    ec2 = session.client("ec2")
    bystander = ec2.run_instances(
        ImageId=AMI_ID, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet
    )["Instances"][0]["InstanceId"]
    seen = discover(session, before.stack)
    assert any(i.id == bystander and not i.tagged for i in seen.instances)
    inject(session, log, seen, fault="az-outage", az=ZONE)
    inject(session, log, seen, key="step-1", fault="instance-crash", az=ZONE)
    inject(session, log, seen, key="step-2", fault="gray-failure", az=ZONE)
    during = {i.id: i for i in discover(session, before.stack).instances}
    assert (during[bystander].state, during[bystander].fault) == ("running", "")
    power = {(i.state, i.fault) for i in during.values() if i.az == ZONE and i.tagged}
    assert power == {("running", "power-off")}
    rollback(session, log)
    ec2.terminate_instances(InstanceIds=[bystander])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[bystander])
    assert discover(session, before.stack) == before


def test_overlapping_steps_roll_back_one_at_a_time(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """Ending one step undoes its own changes only; the other step's changes stay in place."""
    inject(session, log, before, key="step-0", fault="router-failure", az=ZONE)
    inject(session, log, before, key="step-1", fault="instance-crash", az=f"{REGION}b")
    rollback(session, log, step="step-0")
    mid = discover(session, before.stack)
    assert mid.zone_reachable(ZONE)
    assert {i.fault for i in mid.instances_in(f"{REGION}b")} == {"crash"}
    rollback(session, log, step="step-1")
    assert discover(session, before.stack) == before


def test_a_resource_held_by_one_step_is_not_taken_by_another(
    session: AwsSession, before: Topology, log: RollbackLog
) -> None:
    """A second crash on crashed servers changes nothing, so each change has one exact undo."""
    inject(session, log, before, key="step-0", fault="instance-crash", az=ZONE)
    held = discover(session, before.stack)
    done = inject(session, log, held, key="step-1", fault="gray-failure", az=ZONE)
    assert "no running instance" in done.messages[0]
    assert log.pending(step="step-1") == []
    rollback(session, log)
    assert discover(session, before.stack) == before
