"""Auto Scaling in the model: replacements after a zone loss, and scale-out racing a ramp."""

from __future__ import annotations

from dataclasses import replace

from chaoscli.sim.engine import Engine
from chaoscli.sim.metrics import window
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import EngineParams, ModelParams, Scenario, Snapshot, TrafficProfile
from chaoscli.topology import AutoScaling
from tests.topologies import AZS, api_stop, shop


def scaled(per_az: int, target: float = 0.6, max_size: int = 300):
    """A shop whose instances belong to one Auto Scaling group over every zone."""
    base = shop(per_az=per_az)
    group = AutoScaling(
        "shop-web",
        per_az * 3,
        max_size,
        per_az * 3,
        AZS,
        tuple(i.id for i in base.instances),
        target,
        120.0,
    )
    return replace(base, autoscaling=group)


def run(snaps, traffic, autoscaling=True):
    """Simulate with 1,000 req/s per instance."""
    sc = Scenario(
        snapshots=tuple(snaps),
        traffic=traffic,
        clients=ClientPolicy(),
        model=ModelParams(instance_capacity_rps=1000.0, autoscaling=autoscaling),
        engine=EngineParams(samples_per_s=500, seed=5),
    )
    return Engine(sc).run()


def test_lost_zone_is_replaced_in_the_surviving_zones():
    """Replacements land in the zones the group may launch in and carry load after boot."""
    base = scaled(10)
    lost = api_stop(base, AZS[0])
    lost = replace(lost, autoscaling=replace(base.autoscaling, azs=AZS[1:]))
    res = run([Snapshot(0, base), Snapshot(100, lost)], TrafficProfile.constant(18_000, 600))
    assert res.utilisation[1, 150] > 0.85  # 18,000 on 20 instances
    assert res.utilisation[1, 500] < 0.7  # replacements (and scale-out) came in
    assert any("replacing 10 unhealthy" in e.message for e in res.world.events)
    assert all("ap-south-1a" not in e.message for e in res.world.events if e.kind == "asg")


def test_a_campaign_ramp_outruns_target_tracking_and_pre_scaling_fixes_it():
    """Ramp 10k -> 45k req/s in two minutes: 15 instances cannot scale in time; 50 can."""
    ramp = TrafficProfile(((0, 10_000), (120, 10_000), (240, 45_000), (900, 45_000)), 900)
    small = run([Snapshot(0, scaled(5))], ramp)
    pre = run([Snapshot(0, scaled(17))], ramp)
    assert window(small, 240, 420).availability < 0.9
    assert any(e.kind == "asg" for e in small.world.events)
    assert window(small, 800, 900).availability > 0.999  # it caught up eventually
    assert window(pre, 0, 900).availability > 0.999


def test_no_group_no_scaling():
    """Without a group (or with the model told not to act) capacity stays as discovered."""
    base = scaled(5)
    ramp = TrafficProfile(((0, 10_000), (100, 20_000), (600, 20_000)), 600)
    off = run([Snapshot(0, base)], ramp, autoscaling=False)
    assert not any(e.kind == "asg" for e in off.world.events)
    assert window(off, 400, 600).availability < 0.9
