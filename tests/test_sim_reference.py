"""The fast engine agrees with the exact per-request reference model within stated bounds.

Bounds: availability within 0.01 absolute (or 15% of the error share where errors are rare),
p99 latency within 20%; both models are random, the reference has ~60,000 requests a run.
"""

from __future__ import annotations

import pytest

from chaoscli.sim.engine import Engine
from chaoscli.sim.metrics import window
from chaoscli.sim.reference import Reference
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import (
    ControlAction,
    EngineParams,
    ModelParams,
    Scenario,
    Snapshot,
    TrafficProfile,
)
from tests.topologies import AZS, api_stop, cut_off, shop, with_instances

MODEL = ModelParams(instance_capacity_rps=40.0, workers_per_instance=2)  # 50 ms service


def both(snaps, attempts=3, rate=150.0, actions=(), share=0.0, duration=300.0, model=MODEL):
    """Run the engine and the reference on one scenario."""
    sc = Scenario(
        snapshots=tuple(snaps),
        traffic=TrafficProfile.constant(rate, duration, share),
        clients=ClientPolicy(max_attempts=attempts, retry_budget=False),
        model=model,
        engine=EngineParams(samples_per_s=2000, seed=11),
        actions=tuple(actions),
    )
    return Engine(sc).run(), Reference(sc).run()


def agree(fast, ref, a: float, b: float) -> None:
    """Availability and p99 of the window agree within the module's bounds."""
    wf = window(fast, a, b)
    fa, ra = wf.availability, ref.availability(a, b)
    assert fa == pytest.approx(ra, abs=max(0.01 * (1 - min(fa, ra)) * 15, 0.003)), (fa, ra)
    assert wf.p99_latency_ms == pytest.approx(ref.p99_ms(a, b), rel=0.2)


BASE = shop(per_az=3)


@pytest.mark.parametrize("attempts", [1, 3])
def test_refused_targets(attempts: int) -> None:
    """A zone's processes crash (refused until health checks find them), retries off and on."""
    snaps = [Snapshot(0, BASE), Snapshot(60, with_instances(BASE, AZS[0], fault="crash"))]
    fast, ref = both(snaps, attempts=attempts)
    agree(fast, ref, 60, 120)
    agree(fast, ref, 120, 300)


def test_blackhole() -> None:
    """A zone cut off by a deny-all NACL: timeouts until detection, for targets and the node."""
    fast, ref = both([Snapshot(0, BASE), Snapshot(60, cut_off(BASE, AZS[1]))])
    agree(fast, ref, 60, 200)


def test_overload_after_losing_a_zone() -> None:
    """9 instances x 40 req/s at 250 req/s; six left after the loss cannot carry it."""
    fast, ref = both(
        [Snapshot(0, BASE), Snapshot(60, api_stop(BASE, AZS[2]))], rate=250.0, attempts=1
    )
    agree(fast, ref, 0, 60)
    fa, ra = window(fast, 100, 300).availability, ref.availability(100, 300)
    assert fa == pytest.approx(ra, abs=0.05)
    assert ra < 0.96  # six instances carry 240 of the 250 requests/s


def test_database_failover() -> None:
    """Checkouts fail during a forced Multi-AZ failover in both models."""
    fast, ref = both([Snapshot(0, BASE)], actions=[ControlAction(60, "db_failover")], share=0.3)
    wf = window(fast, 60, 300)
    ref_orders = ref.ok[(ref.t0 >= 60) & ref.is_order].mean()
    assert wf.order_success_ratio == pytest.approx(ref_orders, abs=0.03)
    agree(fast, ref, 0, 50)


def test_survivors_of_a_stopped_zone_at_90_percent_busy() -> None:
    """Four workers per instance: the six survivors at 90% busy wait as the FIFO queues do."""
    four = ModelParams(instance_capacity_rps=40.0, workers_per_instance=4)  # 100 ms service
    stopped = with_instances(BASE, AZS[2], state="stopped", target_state="unused")
    fast, ref = both(
        [Snapshot(0, BASE), Snapshot(60, stopped)], rate=0.9 * 6 * 40, attempts=1, model=four
    )
    agree(fast, ref, 0, 60)
    agree(fast, ref, 80, 300)
    assert ref.p99_ms(80, 300) > 1.4 * ref.p99_ms(0, 60)
