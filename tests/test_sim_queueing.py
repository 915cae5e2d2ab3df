"""Queueing like a server: a few parallel workers per instance, so waits grow from about 80%
busy, checked against M/M/c's closed-form response time computed here from the textbook."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chaoscli.sim.engine import Engine
from chaoscli.sim.metrics import window
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import EngineParams, ModelParams, Scenario, Snapshot, TrafficProfile
from tests.topologies import AZS, shop, with_instances

PER_AZ = 10
MODEL = ModelParams()  # a 4-vCPU instance doing CPU-bound work: 4 workers, 5000 req/s


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c at offered load a (textbook form, factorials)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def p99_s(model: ModelParams, busy: float) -> float:
    """p99 response time of an M/M/c instance at ``busy``, network included.

    An arrival waits with probability C, then Exp(cμ − λ); its service is Exp(μ); the tail of
    their sum is solved for 1% on a fine grid.
    """
    c, mu = model.workers_per_instance, 1 / model.service_time_s
    theta, wait = c * mu * (1 - busy), erlang_c(c, busy * c)
    t = np.linspace(0, 200 / mu, 400_001)
    both = (theta * np.exp(-mu * t) - mu * np.exp(-theta * t)) / (theta - mu)
    tail = (1 - wait) * np.exp(-mu * t) + wait * both
    return model.network_s + float(t[np.argmax(tail <= 0.01)])


def stop_a_zone(busy_after: float) -> Scenario:
    """Three zones of 10 instances; zone c stops at 60 s, so the rest run at ``busy_after``."""
    base = shop(per_az=PER_AZ)
    rate = busy_after * 2 * PER_AZ * MODEL.instance_capacity_rps
    stopped = with_instances(base, AZS[2], state="stopped", target_state="unused")
    return Scenario(
        snapshots=(Snapshot(0, base), Snapshot(60, stopped)),
        traffic=TrafficProfile.constant(rate, 240.0),
        clients=ClientPolicy(max_attempts=1),
        model=MODEL,
        engine=EngineParams(samples_per_s=4000, seed=5),
    )


def test_the_closed_form_waits_from_about_80_percent_busy() -> None:
    """A 4-worker server: p99 barely moves to 60% busy and grows steeply past 80%."""
    low, at60, at80, at90 = (p99_s(MODEL, b) for b in (0.01, 0.6, 0.8, 0.9))
    assert at60 < 1.1 * low
    assert at80 > 1.1 * low
    assert at90 > 1.5 * low
    # the old model's 100 workers per instance stayed flat at 90%
    wide = ModelParams(workers_per_instance=100)
    assert p99_s(wide, 0.9) < 1.05 * p99_s(wide, 0.01)


def test_survivors_at_90_percent_show_a_p99_clearly_above_the_before_window() -> None:
    """After a zone stops, the survivors run at 90% busy: p99 rises as M/M/c says."""
    res = Engine(stop_a_zone(0.9)).run()
    before, after = window(res, 0, 60), window(res, 80, 240)
    assert res.utilisation[0, 100] == pytest.approx(0.9, rel=0.01)
    assert before.p99_latency_ms == pytest.approx(1000 * p99_s(MODEL, 0.6), rel=0.05)
    assert after.p99_latency_ms == pytest.approx(1000 * p99_s(MODEL, 0.9), rel=0.05)
    assert after.p99_latency_ms > 1.4 * before.p99_latency_ms
