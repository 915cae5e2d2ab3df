"""The pure model: queueing, detection, retries and reroute against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from chaoscli.sim.engine import Engine
from chaoscli.sim.metrics import window
from chaoscli.sim.queueing import erlang_c, mean_wait_s
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import (
    ControlAction,
    EngineParams,
    ModelParams,
    Scenario,
    Snapshot,
    TrafficProfile,
)
from tests.topologies import AZS, api_stop, shop, with_instances

RATE = 30_000.0


def scenario(snaps, rate=RATE, duration=300.0, attempts=3, seed=0, actions=(), **model):
    """A scenario with capacity to spare unless ``model`` says otherwise."""
    return Scenario(
        snapshots=tuple(snaps),
        traffic=TrafficProfile.constant(rate, duration),
        clients=ClientPolicy(max_attempts=attempts),
        model=ModelParams(**({"instance_capacity_rps": 5000.0} | model)),
        engine=EngineParams(samples_per_s=2000, seed=seed),
        actions=tuple(actions),
    )


def test_erlang_c_nine_servers_wait_far_less_than_six_at_the_same_load():
    """9 servers at 60% busy wait about 37x less than 6 servers at 90% carrying the same load,
    as the Erlang C formula for an M/M/c queue gives (M. Harchol-Balter, Performance Modeling
    and Design of Computer Systems, 2013, ch. 14): a mean wait of 1.23 against 0.033 service
    times."""
    ratio = mean_wait_s(6, 1.0, 5.4)[0] / mean_wait_s(9, 1.0, 5.4)[0]
    assert 30 < ratio < 45


def test_erlang_c_is_one_at_and_above_capacity():
    """At 100% load every arrival waits: the queue grows without bound."""
    assert erlang_c(6, np.array([6.0, 7.0])).tolist() == [1.0, 1.0]
    assert np.isinf(mean_wait_s(6, 1.0, 6.0)[0])


def test_steady_state_has_no_visible_errors():
    """With nothing broken, every customer is served."""
    res = Engine(scenario([Snapshot(0, shop())])).run()
    m = window(res, 0, 300)
    assert m.visible_errors == 0 and m.availability == 1.0


def crash_run(attempts: int, seed: int = 0):
    """A third of the targets crash at t=100 (refused, found only by health checks)."""
    base = shop(per_az=10)
    crashed = with_instances(base, AZS[0], fault="crash")
    res = Engine(
        scenario([Snapshot(0, base), Snapshot(100, crashed)], attempts=attempts, seed=seed)
    ).run()
    return res, window(res, 100, 200)


def test_single_attempt_errors_match_share_times_rate_times_detection():
    """With 1 attempt, visible errors ~ rate x (k/N) x mean detection time."""
    _, m = crash_run(attempts=1)
    # detection: the 2nd failed check after the crash; checks every 10 s at uniform phases
    detection = (2 - 0.5) * 10
    expected = RATE * (10 / 30) * detection
    assert m.visible_errors == pytest.approx(expected, rel=0.15)


def test_retries_hide_most_errors_as_the_power_of_attempts():
    """With a attempts, visible errors shrink to about (k/N)^a of the single-attempt count."""
    _, one = crash_run(attempts=1)
    _, three = crash_run(attempts=3)
    assert three.visible_errors < one.visible_errors * (1 / 3) ** 2 * 1.5
    assert three.retried_hidden > one.visible_errors * 0.5


def test_stopped_instances_leave_through_the_control_plane():
    """Stopping through the API reroutes within the control-plane delay, not detection time."""
    base = shop()
    res = Engine(scenario([Snapshot(0, base), Snapshot(100, api_stop(base, AZS[2]))])).run()
    assert res.world.reroute_s is not None and res.world.reroute_s <= 2.0


def test_losing_a_zone_above_two_zones_capacity_overloads_the_survivors():
    """Offered load above what two zones serve deviates once the third is lost."""
    base = shop(per_az=10)  # 30 x 1000 = 30,000 req/s; two zones serve 20,000
    snaps = [Snapshot(0, base), Snapshot(60, api_stop(base, AZS[2]))]
    res = Engine(scenario(snaps, rate=24_000, instance_capacity_rps=1000.0)).run()
    assert window(res, 0, 60).availability == 1.0
    after = window(res, 90, 300)
    assert after.availability < 0.95
    assert res.utilisation[0, 200] > 1.0


def test_every_target_unhealthy_fails_open():
    """When no target passes health checks the load balancer routes to all of them."""
    base = shop(per_az=2)
    hung = with_instances(base, None, fault="crash")
    res = Engine(scenario([Snapshot(0, base), Snapshot(50, hung)], duration=200)).run()
    late = res.world.route[int(150 / res.world.tick_s), 0]
    cols = res.world.columns
    assert late[cols.refused] == pytest.approx(1.0)  # every pick is a refused target
    assert late[cols.no_target] == 0.0  # none is a 503


def test_multi_az_failover_makes_writes_unavailable_within_range():
    """A forced failover stops writes for 60-120 s and moves the primary to the standby."""
    base = shop()
    res = Engine(scenario([Snapshot(0, base)], actions=[ControlAction(100, "db_failover")])).run()
    w = res.world
    assert 60 <= w.db_write_unavailable_s <= 120
    assert w.primary_az == {"before": AZS[0], "after": AZS[1]}
    assert not w.db_writable[int(110 / w.tick_s)] and w.db_writable[int(250 / w.tick_s)]


def test_another_seed_gives_another_outcome():
    """The seed is used: another seed draws other latencies (that the same seed gives the same
    journal is test_journal_schema's claim)."""
    a, _ = crash_run(attempts=2, seed=7)
    c, _ = crash_run(attempts=2, seed=8)
    assert not np.array_equal(a.customers.p99_s, c.customers.p99_s, equal_nan=True)
