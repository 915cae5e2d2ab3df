"""Quiet stretches: seconds simulated together give the run of simulating each one alone, to
the bit, whether the stretch runs through, ends at a second that is not quiet, or ends where
Auto Scaling adds capacity."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np
import pytest

from chaoscli.sim import stretch
from chaoscli.sim.engine import Engine
from chaoscli.sim.per_tick import PerTick
from chaoscli.sim.results import RunResult
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import EngineParams, ModelParams, Scenario, Snapshot, TrafficProfile
from chaoscli.topology import AutoScaling
from tests.topologies import AZS, power_off, shop, with_instances


def _outage(rate: float, capacity: float, autoscaling: bool, budget: bool, az: str) -> Scenario:
    """A zone's power lost at 40 s for 60 s, under an Auto Scaling group if asked."""
    base = shop(per_az=4, cross_zone=False)
    if autoscaling:
        ids = tuple(i.id for i in base.instances)
        base = replace(base, autoscaling=AutoScaling("shop-web", 12, 60, 12, AZS, ids, 0.6, 120.0))
    return Scenario(
        snapshots=(Snapshot(0, base), Snapshot(40, power_off(base, az)), Snapshot(100, base)),
        traffic=TrafficProfile.constant(rate, 240.0),
        clients=ClientPolicy(retry_budget=budget),
        model=ModelParams(instance_capacity_rps=capacity, asg_replace_after_s=20.0),
        engine=EngineParams(samples_per_s=300, seed=5),
    )


def _gray() -> Scenario:
    """A zone slow and erring on 5% of its requests from 30 s: errors now and then."""
    base = shop(per_az=4)
    slow = with_instances(base, AZS[1], fault="slow:800:0.05")
    return Scenario(
        snapshots=(Snapshot(0, base), Snapshot(30, slow)),
        traffic=TrafficProfile.constant(4_000.0, 120.0),
        clients=ClientPolicy(),
        model=ModelParams(instance_capacity_rps=1000.0),
        engine=EngineParams(samples_per_s=300, seed=9),
    )


SCENARIOS = {
    # the zone without the database: clients fall back to the other nodes, nobody fails
    "quiet outage": _outage(6_000.0, 1000.0, autoscaling=False, budget=True, az=AZS[2]),
    # the database's zone, with too little capacity left: failover errors, overload, retries
    "overloaded outage, scaled out": _outage(7_500.0, 900.0, True, True, AZS[0]),
    "overloaded outage, no budget": _outage(7_500.0, 900.0, False, False, AZS[0]),
    "gray failure": _gray(),
}


def _differences(a: Any, b: Any, path: str = "run") -> list[str]:
    """Where two results differ, field by field (arrays compared bit for bit, NaN = NaN)."""
    if isinstance(a, PerTick):
        a, b = np.asarray(a), np.asarray(b)
    if isinstance(a, np.ndarray):
        same = a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        return [] if same else [path]
    if is_dataclass(a) and not isinstance(a, type):
        out: list[str] = []
        for f in fields(a):
            out += _differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
        return out
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return [path]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}[{k}]")]
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return [path]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [path]


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record each stretch tried: (seconds asked for, seconds done)."""
    tried: list[tuple[int, int]] = []
    real = stretch.run

    def run(eng: stretch.Stepper, first: int, last: int) -> int:
        done = real(eng, first, last)
        tried.append((last - first, done))
        return done

    monkeypatch.setattr(stretch, "run", run)
    return tried


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_run_in_quiet_stretches_is_the_run_second_by_second(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every series, customer figure, order and event equals the second-by-second run's."""
    one_by_one = Engine(SCENARIOS[name]).run(on_second=lambda _: None)  # a live view: no stretch
    tried = _counted(monkeypatch)
    stretched = Engine(SCENARIOS[name]).run()
    assert _differences(stretched, one_by_one) == []
    assert sum(done for _, done in tried) > 0  # some seconds were simulated together


def test_stretches_cover_the_quiet_seconds_and_stop_at_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run with nothing visible goes almost all in stretches; an overloaded one ends some
    before their end, and simulates its failing seconds one by one."""
    tried = _counted(monkeypatch)
    Engine(SCENARIOS["quiet outage"]).run()
    quiet = sum(done for _, done in tried)
    # of 240 s: all but the first, the draws of each minute's customers and the minute after
    # the power returns (the zone's node answers before its targets are back in service)
    assert quiet >= 170, tried
    tried.clear()
    result: RunResult = Engine(SCENARIOS["overloaded outage, no budget"]).run()
    assert result.customers.causes.sum() > 0  # customers saw errors
    assert any(done < asked for asked, done in tried), tried
    assert sum(done for _, done in tried) < 220


def test_a_stretch_that_ignored_a_failing_second_would_be_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The comparison above can fail: a stretch told every second is quiet books failed
    first attempts as served, and the run differs from the second-by-second one."""
    sc = SCENARIOS["overloaded outage, no budget"]
    one_by_one = Engine(sc).run(on_second=lambda _: None)
    real = stretch._attempts

    def blind(*args: Any) -> stretch._Batch:
        batch = real(*args)
        return batch._replace(won=np.ones_like(batch.won))

    monkeypatch.setattr(stretch, "_attempts", blind)
    assert _differences(Engine(sc).run(), one_by_one) != []
