"""The engine as a process: it stops at a time and goes on, and leaves its input alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from chaoscli.sim import engine as engine_module
from chaoscli.sim import tails
from chaoscli.sim.engine import Engine
from chaoscli.sim.measures import tail_retried
from chaoscli.sim.metrics import window
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
        stepped.result()  # a look at the figures so far changes nothing either
    parts = stepped.run()
    assert np.array_equal(parts.customers.ok, whole.customers.ok)
    assert np.array_equal(parts.customers.p99_s, whole.customers.p99_s, equal_nan=True)
    assert np.array_equal(parts.attempts, whole.attempts)
    assert np.array_equal(parts.served, whole.served)
    assert window(parts, 0, 150) == window(whole, 0, 150)
    assert [e.message for e in parts.world.events] == [e.message for e in whole.world.events]
    ok = whole.customers
    assert ok.ok.sum() < ok.ok.size * 400 and ok.retried_ok.any()  # the zone loss did something


def test_customers_are_held_a_window_at_a_time_and_give_the_same_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Drawn 5 s at a time, no more than that block and the customers still within their
    timeout are ever held, and every figure is that of the run drawn a minute at a time."""
    whole = Engine(_scenario()).run()
    monkeypatch.setattr(engine_module, "BLOCK_SAMPLES", 5 * 400)
    engine = Engine(_scenario())
    assert engine.block_s == 5
    held = 0
    while engine.now < engine.seconds:
        engine.advance(engine.now + 1)
        held = max(held, len(engine.customers))
    assert held <= (engine.block_s + engine.settle_s + 1) * 400 < engine.seconds * 400
    small = engine.result()
    assert np.array_equal(small.customers.ok, whole.customers.ok)
    assert np.array_equal(small.customers.causes, whole.customers.causes)
    assert np.array_equal(small.served, whole.served)
    assert np.array_equal(small.queue_depth, whole.queue_depth)
    assert window(small, 20, 120) == window(whole, 20, 120)


def test_a_run_leaves_its_world_untouched() -> None:
    """Auto Scaling's events go to the result's world, not the engine's input world."""
    engine = Engine(_scenario())
    before = list(engine.world.events)
    res = engine.run()
    assert engine.world.events == before
    assert any(e.kind == "asg" for e in res.world.events)
    assert not any(e.kind == "asg" for e in before)


def test_a_window_whose_tail_drops_its_fastest_successes_reads_the_same_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With room for only a few thousand successes, the judged windows' tails drop the fast
    ones as the run goes; their p99, its interval and the slow tail's retried share are read
    from the same order statistics as when every success is kept."""
    sc = replace(_scenario(), windows=((0, 25), (25, 150)))
    whole = Engine(sc).run()
    monkeypatch.setattr(tails, "KEEP_ALL", 2000)
    small = Engine(sc).run()
    assert small.tails[(25, 150)].dropped > 0 and small.tails[(0, 150)].dropped > 0
    for a, b in ((0, 25), (25, 150), (0, 150)):
        kept, dropped = window(whole, a, b), window(small, a, b)
        assert dropped.p99_latency_ms == pytest.approx(kept.p99_latency_ms, rel=1e-12)
        assert dropped.p99_latency_ci_ms == pytest.approx(kept.p99_latency_ci_ms, rel=1e-12)
        assert tail_retried(small, a, b) == pytest.approx(tail_retried(whole, a, b), rel=1e-12)
    with pytest.raises(ValueError, match="not kept"):
        window(small, 30, 60)  # a window not judged: its tail was not kept
