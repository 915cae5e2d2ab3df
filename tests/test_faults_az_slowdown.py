"""az-slowdown (AWS FIS "AZ Application Slowdown"): every instance of one zone answers later.

Through boto3 against moto, then the shipped experiment with a small and a large latency.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from chaoscli.aws import AwsSession, RollbackLog, StackPlan, discover, provision, rollback
from chaoscli.experiment.faults import FAULTS, FaultContext, FaultStep
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.topology import Topology

ZONE = "ap-south-1a"
_names = (f"slow{n}" for n in itertools.count(1))
SHORT = ["engine.samples_per_s=500", "traffic.duration_s=240"]
WINDOW = ["at_s=60", "duration_s=120"]


@pytest.fixture
def before(session: AwsSession) -> Topology:
    """A small stack (3 zones x 2 servers), one per test."""
    plan = StackPlan(next(_names), instances_per_az=2)
    provision(session, plan)
    return discover(session, plan.stack)


def inject(session: AwsSession, log: RollbackLog, topo: Topology, **step: object) -> list[str]:
    """Inject one az-slowdown step the way the method does, in its step's scope."""
    ctx = FaultContext(
        session, log, topo, FaultStep(fault="az-slowdown", **step), 60.0, np.random.default_rng(0)
    )
    with log.scope("step-0"):
        return FAULTS["az-slowdown"].inject(ctx).messages


def test_every_server_of_the_zone_is_slow_without_errors_and_rollback_clears_it(
    session: AwsSession, before: Topology, tmp_path: Path
) -> None:
    """Discovery reads back ``slow:300:0`` on the zone's servers only; the undo restores all."""
    log = RollbackLog(tmp_path / "log")
    lines = inject(session, log, before, az=ZONE, latency_ms=300)
    assert lines == [lines[0]] and "marked 2 instance(s)" in lines[0]
    during = discover(session, before.stack)
    assert {i.fault for i in during.instances_in(ZONE)} == {"slow:300:0"}
    assert {i.fault for i in during.instances if i.az != ZONE} == {""}
    rollback(session, log)
    assert discover(session, before.stack) == before


def test_a_server_another_step_holds_is_left_to_it(
    session: AwsSession, before: Topology, tmp_path: Path
) -> None:
    """A crashed server keeps its crash; the zone's other server is slowed."""
    log = RollbackLog(tmp_path / "log")
    crashed = before.instances_in(ZONE)[0].id
    session.client("ec2").create_tags(
        Resources=[crashed], Tags=[{"Key": "chaoscli:fault", "Value": "crash"}]
    )
    topo = discover(session, before.stack)
    inject(session, log, topo)  # no az: the database primary's zone, ZONE here
    faults = {i.id: i.fault for i in discover(session, before.stack).instances_in(ZONE)}
    assert faults[crashed] == "crash"
    assert sorted(faults.values()) == ["crash", "slow:200:0"]


def test_the_step_takes_a_zone_and_a_latency_only() -> None:
    """200 ms unless latency_ms says otherwise; an error share or a selection is refused."""
    assert FaultStep(fault="az-slowdown").latency_ms == 200.0
    for bad in ({"error_share": 0.1}, {"selection": "COUNT(1)"}):
        with pytest.raises(ValidationError, match="not a setting of az-slowdown"):
            FaultStep.model_validate({"fault": "az-slowdown", **bad})


def test_a_small_slowdown_raises_p99_and_holds() -> None:
    """300 ms on a third of the servers: p99 during rises by about that much, within 1 s."""
    out = run(load("az-slowdown", SHORT, ["latency_ms=300", *WINDOW]), seed=0)
    assert out.status == "completed" and out.restored == []
    assert not out.deviated
    rise = out.windows["during"].p99_latency_ms - out.windows["before"].p99_latency_ms
    assert 250 < rise < 400


def test_a_slowdown_past_the_p99_budget_deviates_on_latency_alone() -> None:
    """The counter-example: 1.5 s breaks the 1 s p99 bound and the 1 s rise over the before
    p99 during the fault, nothing else: no request failed, none waited past 2 s."""
    out = run(load("az-slowdown", SHORT, ["latency_ms=1500", *WINDOW]), seed=0)
    assert out.deviated
    failed = {(p.window, p.probe) for p in out.probes if not p.ok}
    assert failed == {("during", "p99_latency_ms"), ("during", "p99_increase_ms")}
    assert out.windows["during"].availability == 1.0
    assert out.windows["during"].slow_requests == 0
