"""The CloudWatch and stop-condition series: each value is final when its second ends."""

from __future__ import annotations

import numpy as np
import pytest

from chaoscli.sim.cloudwatch_series import (
    STOP_METRICS,
    CloudWatchSeries,
    lb_metrics,
    minute_metrics,
    stop_metric,
)
from chaoscli.sim.engine import Engine
from tests.test_sim_engine import _scenario


@pytest.fixture(scope="module")
def whole():
    """A run with a zone lost at 30 s, simulated in one pass."""
    engine = Engine(_scenario())
    engine.run()
    return engine.so_far()


def test_a_stop_condition_sees_while_running_what_the_whole_run_shows(whole) -> None:
    """At the end of every second, the value from the run so far equals the final one."""
    engine = Engine(_scenario())
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


def test_the_load_balancer_counts_add_up_to_the_run(whole) -> None:
    """RequestCount and 5XX sum to the run's attempts and load-balancer errors; the response
    time is a target's, far below what customers waited."""
    points = lb_metrics(whole)
    total = lambda name: sum(p.value for p in points if p.metric == name)  # noqa: E731
    assert total("RequestCount") == pytest.approx(whole.attempts.sum())
    assert total("HTTPCode_ELB_5XX_Count") == pytest.approx(whole.lb_errors.sum())
    assert total("HTTPCode_ELB_5XX_Count") > 0
    response = [p.value for p in minute_metrics(whole, 0) if p.metric == "TargetResponseTime"]
    assert 0.0 < response[0] < 1.0
    hosts = [p.value for p in minute_metrics(whole, 2) if p.metric == "HealthyHostCount"]
    assert hosts[0] == pytest.approx(sum(hosts[1:]))
    assert np.isclose(hosts[1], 0.0)  # the lost zone's targets left rotation
