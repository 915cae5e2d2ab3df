"""The CloudWatch and stop-condition series: each value is final when its second ends."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from chaoscli.aws.cloudwatch import Alarm
from chaoscli.experiment.alarms import alarm_states
from chaoscli.sim.cloudwatch_series import (
    STOP_METRICS,
    CloudWatchSeries,
    lb_metrics,
    stop_metric,
)
from chaoscli.sim.engine import Engine
from chaoscli.sim.queueing import mean_wait_s
from chaoscli.sim.results import F_CONNECT, RunResult, RunSoFar
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import EngineParams, ModelParams, Scenario, Snapshot, TrafficProfile
from chaoscli.sim.world import build_world
from chaoscli.topology import HealthCheck
from tests.test_sim_engine import _scenario
from tests.topologies import AZS, cut_off, shop, with_instances


def _kept() -> Scenario:
    """The engine run's scenario, its successes' latencies kept for the whole run."""
    sc = _scenario()
    return replace(sc, engine=replace(sc.engine, stop_window_s=sc.traffic.duration_s))


@pytest.fixture(scope="module")
def whole():
    """A run with a zone lost at 30 s, simulated in one pass."""
    engine = Engine(_kept())
    engine.run()
    return engine.so_far()


def test_a_stop_condition_sees_while_running_what_the_whole_run_shows(whole) -> None:
    """At the end of every second, the value from the run so far equals the final one."""
    engine = Engine(_kept())
    seen: dict[str, list[float]] = {m: [] for m in STOP_METRICS}
    for second in range(whole.seconds):
        engine.advance(second + 1)
        so_far = engine.so_far()
        for metric in STOP_METRICS:
            seen[metric].append(stop_metric(metric, 10, so_far, second))
    for metric in STOP_METRICS:
        final = [stop_metric(metric, 10, whole, k) for k in range(whole.seconds)]
        assert seen[metric] == pytest.approx(final, rel=1e-12, abs=0), metric
    assert max(seen["visible_error_ratio"]) > 0.0  # the zone loss shows
    assert max(seen["p99_latency_ms"]) > 1000.0


def test_each_minute_is_computed_once_and_is_final_when_it_ends(whole) -> None:
    """Minutes added as the run goes are the whole run's minutes, the last partial one too."""
    engine, series = Engine(_scenario()), CloudWatchSeries()
    for second in range(whole.seconds):
        engine.advance(second + 1)
        added = series.update(engine.so_far(), second + 1)
        assert added == ((second + 1) % 60 == 0 or second + 1 == whole.seconds)
    assert series.points == lb_metrics(whole)
    assert series.minutes_done == 3  # 150 s: two whole minutes and a half


def _points(points, name, az=None):
    """One metric's values per minute, for the load balancer or one zone."""
    return [p.value for p in points if p.metric == name and p.az == az]


def test_the_load_balancer_counts_add_up_to_the_run(whole) -> None:
    """The zones add up to the load balancer; RequestCount leaves out the attempts to the dark
    node; 5XX is the run's load-balancer errors; the response time is a target's."""
    points = lb_metrics(whole)
    for name in ("RequestCount", "HTTPCode_ELB_5XX_Count", "HealthyHostCount"):
        zones = np.sum([_points(points, name, az) for az in whole.world.azs], axis=0)
        assert _points(points, name) == pytest.approx(zones.tolist()), name
    requests = sum(_points(points, "RequestCount"))
    assert requests == pytest.approx(whole.requests.sum())
    # the dark node at 30 s takes no request; its clients' next address takes them instead
    assert _points(points, "RequestCount", whole.world.azs[0])[1] == 0.0
    assert requests == pytest.approx(whole.attempts.sum())
    assert whole.requests[:, :30].sum() == pytest.approx(whole.attempts[:30].sum())  # before
    assert sum(_points(points, "HTTPCode_ELB_5XX_Count")) == pytest.approx(whole.lb_errors.sum())
    before = whole.response_s[:, :30].sum() / whole.answered[:, :30].sum()
    model = _scenario().model  # 12 instances at 50% busy: network, service and Erlang C's wait
    wait = mean_wait_s(model.workers_per_instance, model.service_time_s, 6_000.0 / 12)[0]
    assert before == pytest.approx(model.network_s + model.service_time_s + wait, rel=0.05)
    # after the zone loss the web tier waits out the database's timeout: the target's own time
    assert _points(points, "TargetResponseTime")[1] > 1.0
    assert _points(points, "HealthyHostCount", whole.world.azs[0])[2] == 0.0
    assert _points(points, "HealthyHostCount")[2] == pytest.approx(8.0)


def _crash(seed: int, hc: HealthCheck) -> Scenario:
    """Four targets of one zone crash at 30 s: they refuse, and only health checks notice."""
    base = shop(per_az=4, hc=hc)
    return Scenario(
        snapshots=(Snapshot(0, base), Snapshot(30, with_instances(base, AZS[0], fault="crash"))),
        traffic=TrafficProfile.constant(6_000.0, 240.0),
        clients=ClientPolicy(),
        model=ModelParams(instance_capacity_rps=1000.0),
        engine=EngineParams(samples_per_s=200, seed=seed),
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_crashed_targets_count_healthy_until_their_checks_fail(seed: int) -> None:
    """ELB's host counts move only at the failed checks, while the targets stop serving at once."""
    hc = HealthCheck(interval_s=30.0, timeout_s=5.0, healthy_threshold=5, unhealthy_threshold=2)
    world = build_world(_crash(seed, hc))
    per_s = round(1 / world.tick_s)
    first_possible = int(30 + (hc.unhealthy_threshold - 1) * hc.interval_s)  # 2nd failed check
    last_possible = int(30 + hc.unhealthy_threshold * hc.interval_s)
    healthy, unhealthy = world.healthy[:, 0], world.unhealthy[:, 0]
    assert world.serving[31 * per_s, 0] == 0.0  # nothing in zone a answers after the crash
    assert (healthy[: first_possible * per_s] == 4.0).all()
    assert (unhealthy[: first_possible * per_s] == 0.0).all()
    assert healthy[last_possible * per_s] == 0.0
    assert unhealthy[last_possible * per_s] == 4.0
    assert (world.healthy[:, 1:] == 4.0).all()


def test_a_host_count_alarm_cannot_fire_before_the_checks_fail() -> None:
    """A HealthyHostCount alarm fires no earlier than interval x unhealthy_threshold after the
    crash, then stays in ALARM; UnHealthyHostCount tells the same."""
    hc = HealthCheck(interval_s=30.0, timeout_s=5.0, healthy_threshold=5, unhealthy_threshold=2)
    engine = Engine(_crash(5, hc))
    engine.run()
    points = lb_metrics(engine.so_far())
    alarm = Alarm(
        name="hosts",
        metric="HealthyHostCount",
        namespace="AWS/ApplicationELB",
        statistic="Minimum",
        dimensions=(),
        period_s=60,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        threshold=12.0,
        comparison="LessThanThreshold",
        state="OK",
    )
    hosts = [p for p in points if p.metric == "HealthyHostCount" and p.az is None]
    changes = alarm_states(alarm, hosts, 240.0)
    assert changes[0][1] == "ALARM"
    assert changes[0][0] >= 30 + hc.interval_s * hc.unhealthy_threshold
    assert [c[1] for c in changes] == ["ALARM"]
    assert _points(points, "UnHealthyHostCount")[0] == 0.0
    assert _points(points, "UnHealthyHostCount")[-1] == pytest.approx(4.0)


def _router_failure(clients: ClientPolicy) -> tuple[RunSoFar, RunResult]:
    """Zone c's load-balancer node goes dark at 60 s; its targets stay up."""
    base = shop(per_az=4)
    engine = Engine(
        Scenario(
            snapshots=(Snapshot(0, base), Snapshot(60, cut_off(base, AZS[2], private=False))),
            traffic=TrafficProfile.constant(6_000.0, 180.0),
            clients=clients,
            model=ModelParams(instance_capacity_rps=1000.0),
            engine=EngineParams(samples_per_s=300, seed=11),
        )
    )
    result = engine.run()
    return engine.so_far(), result


def test_target_response_time_stays_at_the_target_while_customers_wait_seconds() -> None:
    """In a router failure, clients pinned to the dark node pay connect timeouts; ELB sees
    neither those waits nor those attempts, and sends no 5xx for them."""
    run, result = _router_failure(ClientPolicy(dns_fallback=False))
    points = lb_metrics(run)
    model = ModelParams(instance_capacity_rps=1000.0)
    service = model.service_time_s + model.network_s
    during = _points(points, "TargetResponseTime")[1:]
    assert max(during) < 2 * service
    # customers waited out a 3 s connect timeout, and that is why they failed
    assert result.customers.causes[60:120, F_CONNECT].sum() > 0
    assert sum(_points(points, "HTTPCode_ELB_5XX_Count")) == 0.0
    assert _points(points, "RequestCount", AZS[2])[1:] == [0.0, 0.0]
    assert _points(points, "RequestCount")[1] < 0.9 * run.attempts[60:120].sum()


@pytest.mark.parametrize(("request_timeout_s", "gateway"), [(3.0, False), (12.0, True)])
def test_a_blackholed_target_is_a_504_only_when_the_client_waits_for_it(
    request_timeout_s: float, gateway: bool
) -> None:
    """The ALB gives up on a target connection after 10 s (504); a client that gives up first
    closes the request (460), which is no ELB 5xx."""
    base = shop(per_az=4)
    engine = Engine(
        Scenario(
            snapshots=(Snapshot(0, base), Snapshot(30, cut_off(base, AZS[2], public=False))),
            traffic=TrafficProfile.constant(6_000.0, 120.0),
            clients=ClientPolicy(request_timeout_s=request_timeout_s, customer_timeout_s=30.0),
            model=ModelParams(instance_capacity_rps=1000.0),
            engine=EngineParams(samples_per_s=300, seed=2),
        )
    )
    engine.run()
    run = engine.so_far()
    elb, closed = run.elb_5xx.sum(), run.client_closed.sum()
    assert (elb > 1000.0) == gateway
    assert (closed > 1000.0) != gateway
