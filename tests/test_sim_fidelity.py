"""Failure kinds, load-balancer settings, DNS, the database and retry budgets behave as on AWS."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from chaoscli.sim.engine import Engine
from chaoscli.sim.metrics import window
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


def run(snaps, rate=30_000.0, duration=300.0, clients=None, actions=(), share=0.0, **model):
    """Simulate with capacity to spare unless ``model`` says otherwise."""
    sc = Scenario(
        snapshots=tuple(snaps),
        traffic=TrafficProfile.constant(rate, duration, share),
        clients=clients or ClientPolicy(),
        model=ModelParams(**({"instance_capacity_rps": 5000.0} | model)),
        engine=EngineParams(samples_per_s=1000, seed=3),
        actions=tuple(actions),
    )
    return Engine(sc).run()


def zone_share(res, z: int, a: int, b: int) -> float:
    """Share of successful requests served by zone ``z`` between seconds a and b."""
    served = res.served[:, a:b].sum(axis=1)
    return float(served[z] / served.sum())


def test_gray_failure_stays_in_rotation_and_shows_as_latency_and_errors():
    """A slow zone (800 ms, 5% errors) passes health checks: customers see it, ELB does not."""
    base = shop()
    slow = with_instances(base, AZS[1], fault="slow:800:0.05")
    res = run([Snapshot(0, base), Snapshot(100, slow)], clients=ClientPolicy(max_attempts=1))
    slow_b = res.world.route[int(250 / res.world.tick_s), 0, res.world.columns.slow][1]
    assert slow_b > 0.3  # still routed to
    during = window(res, 120, 300)
    assert during.p99_latency_ms > 800
    assert 0.005 < 1 - during.availability < 0.03  # ~ one third of 5%


def test_least_outstanding_requests_sends_less_to_a_slow_zone():
    """LOR routes around slowness that round robin keeps feeding."""
    base = shop()
    slow_rr = with_instances(base, AZS[1], fault="slow:800:0.0")
    lor_base = replace(
        base, load_balancer=replace(base.load_balancer, algorithm="least_outstanding_requests")
    )
    slow_lor = with_instances(lor_base, AZS[1], fault="slow:800:0.0")
    rr = run([Snapshot(0, base), Snapshot(50, slow_rr)])
    lor = run([Snapshot(0, lor_base), Snapshot(50, slow_lor)])
    assert zone_share(rr, 1, 100, 300) == pytest.approx(1 / 3, abs=0.02)
    assert zone_share(lor, 1, 100, 300) < 0.1


def test_least_outstanding_requests_is_drawn_to_fast_failing_targets():
    """Crashed targets refuse at once, so LOR sends them more than their share until detection.

    A 20 ms service (100 workers at 5000 req/s) against a 5 ms refusal: a refusing target's
    requests are outstanding a fifth as long, so its weight is 5 and its 5 of 30 targets get
    25 / 50 of the zone's traffic, more than twice their share.
    """
    lor = replace(
        shop(), load_balancer=replace(shop().load_balancer, algorithm="least_outstanding_requests")
    )
    crashed = with_instances(lor, AZS[0], count=5, fault="crash")
    res = run([Snapshot(0, lor), Snapshot(100, crashed)], workers_per_instance=100)
    refused = res.world.route[int(101 / res.world.tick_s), 0, res.world.columns.refused]
    assert refused > 5 / 30 * 2


def test_cross_zone_off_overloads_a_zone_that_lost_half_its_targets():
    """Without cross-zone, a node keeps its zone's share of traffic for its own targets."""
    base = shop(per_az=10, cross_zone=False)
    half = with_instances(base, AZS[0], count=5, state="stopped", target_state="unused")
    res = run([Snapshot(0, base), Snapshot(60, half)], rate=12_000, instance_capacity_rps=1000.0)
    assert res.utilisation[0, 200] == pytest.approx(0.8, rel=0.05)
    assert res.utilisation[1, 200] == pytest.approx(0.4, rel=0.05)
    spread = shop(per_az=10)
    gone = with_instances(spread, AZS[0], count=5, state="stopped", target_state="unused")
    on = run([Snapshot(0, spread), Snapshot(60, gone)], rate=12_000, instance_capacity_rps=1000.0)
    assert on.utilisation[0, 200] == pytest.approx(0.48, rel=0.05)


def test_blackholed_targets_hurt_more_than_refusing_ones():
    """Timeouts (a router failure) cost customers far more than refusals (a crash)."""
    base = shop()  # zone c: no database there, so only the web tier is compared
    crash = run([Snapshot(0, base), Snapshot(100, with_instances(base, AZS[2], fault="crash"))])
    dark = run([Snapshot(0, base), Snapshot(100, cut_off(base, AZS[2], public=False))])
    c, d = window(crash, 100, 200), window(dark, 100, 200)
    # a blackholed attempt costs 10 s, so only one retry fits the customer's 15 s:
    # about (1/3)^2 visible against (1/3)^3 for refusals, over a longer detection
    assert d.visible_errors > 2 * max(c.visible_errors, 1.0)
    assert d.p99_latency_ms > 5 * c.p99_latency_ms


def test_dns_fallback_hides_a_dead_node_that_sticky_clients_keep_hitting():
    """Clients trying the next IP after a connect timeout ride out a dead node; sticky ones fail."""
    base = shop()
    snaps = [Snapshot(0, base), Snapshot(100, cut_off(base, AZS[2], private=False))]
    fallback = window(run(snaps), 100, 250)
    sticky = window(run(snaps, clients=ClientPolicy(dns_fallback=False)), 100, 250)
    assert fallback.availability > 0.999
    assert sticky.availability < fallback.availability - 0.01


def test_multi_az_failover_loses_no_orders_but_fails_checkouts_without_a_queue():
    """Synchronous standby: nothing lost; writes fail for the failover window."""
    base = shop()
    res = run([Snapshot(0, base)], actions=[ControlAction(100, "db_failover")], share=0.05)
    m = window(res, 100, 300)
    assert m.lost_orders == 0
    assert m.order_success_ratio < 0.9
    assert window(res, 0, 90).order_success_ratio == 1.0


def test_order_queue_takes_orders_through_the_failover_and_drains_after():
    """With the queue, checkouts succeed; the queue grows during the failover, then empties."""
    base = replace(shop(), order_queue="https://sqs/orders")
    res = run(
        [Snapshot(0, base)],
        actions=[ControlAction(100, "db_failover")],
        share=0.05,
        order_drain_rps=5000.0,
    )
    m = window(res, 100, 300)
    assert m.order_success_ratio == 1.0 and m.lost_orders == 0
    window_s = res.world.db_write_unavailable_s
    assert res.ledger.queue_depth.max() == pytest.approx(1500 * window_s, rel=0.05)
    assert res.ledger.longest_commit_delay_s == pytest.approx(window_s, abs=5)
    assert res.ledger.pending_at_end == 0


def test_promoting_a_lagging_replica_loses_the_last_orders():
    """Single-AZ primary lost, a replica promoted: orders of the last replica_lag_s are gone."""
    base = shop(multi_az=False)
    db = replace(
        base.database,
        replicas=(replace(base.database.primary, id="r1", az=AZS[1], replica_of="shop-db"),),
    )
    base = replace(base, database=db)
    res = run(
        [Snapshot(0, base), Snapshot(100, api_stop(base, AZS[0]))],
        share=0.05,
        promote_replica_after_s=120.0,
        replica_lag_s=2.0,
    )
    lost = window(res, 0, 300).lost_orders
    assert lost == pytest.approx(30_000 * 0.05 * 2.0, rel=0.1)
    assert res.world.primary_az["after"] == AZS[1]


def test_retry_budget_ends_a_retry_storm():
    """With every request failing, the SDK's token bucket empties and amplification falls."""
    base = shop(per_az=2)
    dead = with_instances(base, None, fault="crash")
    with_budget = run(
        [Snapshot(0, base), Snapshot(10, dead)],
        duration=400,
        clients=ClientPolicy(retry_budget=True, requests_per_client_s=1.0),
    )
    without = run(
        [Snapshot(0, base), Snapshot(10, dead)],
        duration=400,
        clients=ClientPolicy(retry_budget=False),
    )
    late = slice(300, 400)
    amp_budget = with_budget.attempts[late].sum() / with_budget.rate[late].sum()
    amp_free = without.attempts[late].sum() / without.rate[late].sum()
    assert amp_free > 2.5 and amp_budget < 1.2
    assert np.allclose(with_budget.attempts[:9], without.attempts[:9])
