"""The engine as a process: it stops at a time and goes on, and leaves its input alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from chaoscli.sim.engine import Engine
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import EngineParams, ModelParams, Scenario, Snapshot, TrafficProfile
from chaoscli.topology import AutoScaling
from tests.topologies import AZS, api_stop, shop


def _scenario() -> Scenario:
    """A zone lost at 30 s under an Auto Scaling group, so that every mechanism acts."""
    base = shop(per_az=4)
    group = AutoScaling(
        "shop-web", 12, 60, 12, AZS, tuple(i.id for i in base.instances), 0.6, 120.0
    )
    base = replace(base, autoscaling=group)
    return Scenario(
        snapshots=(Snapshot(0, base), Snapshot(30, api_stop(base, AZS[0]))),
        traffic=TrafficProfile.constant(6_000.0, 150.0),
        clients=ClientPolicy(),
        model=ModelParams(instance_capacity_rps=1000.0, asg_replace_after_s=20.0),
        engine=EngineParams(samples_per_s=400, seed=7),
    )


def test_advancing_in_steps_gives_the_same_run_as_one_pass() -> None:
    """Stopping at 17 s, 31.5 s and 90 s and going on changes no figure of the run."""
    whole = Engine(_scenario()).run()
    stepped = Engine(_scenario())
    for until in (17, 31.5, 90):
        stepped.advance(until)
        assert stepped.now == int(np.ceil(until))
    parts = stepped.run()
    assert np.array_equal(parts.ok, whole.ok)
    assert np.array_equal(parts.latency_s, whole.latency_s)
    assert np.array_equal(parts.attempts, whole.attempts)
    assert np.array_equal(parts.served, whole.served)
    assert [e.message for e in parts.world.events] == [e.message for e in whole.world.events]
    assert not whole.ok.all() and whole.retried.any()  # the zone loss did something


def test_a_run_leaves_its_world_untouched() -> None:
    """Auto Scaling's events go to the result's world, not the engine's input world."""
    engine = Engine(_scenario())
    before = list(engine.world.events)
    res = engine.run()
    assert engine.world.events == before
    assert any(e.kind == "asg" for e in res.world.events)
    assert not any(e.kind == "asg" for e in before)
