"""The engine's hard limits: a one-day run at the default resolution fits, beyond is refused."""

from __future__ import annotations

from chaoscli.sim.limits import MAX_DURATION_S, MAX_RUN_SAMPLES, limit_problems


def test_a_one_day_run_at_the_default_resolution_is_within_every_limit() -> None:
    assert limit_problems(86_400, 2000, 0.1, 15, p99_stop_over_s=3600) == []


def test_each_limit_names_its_field() -> None:
    fields = lambda problems: [f for f, _ in problems]  # noqa: E731
    assert fields(limit_problems(MAX_DURATION_S + 1, 100, 1.0, 15)) == ["traffic.duration_s"]
    assert fields(limit_problems(86_400, 4000, 0.1, 15)) == ["engine.samples_per_s"]
    assert fields(limit_problems(600, 100_000, 0.1, 60)) == ["engine.samples_per_s"]
    assert fields(limit_problems(86_400, 1000, 0.01, 15)) == ["engine.tick_s"]
    assert fields(limit_problems(600, 10_000, 0.1, 15, p99_stop_over_s=3600)) == ["stop_conditions"]
    assert fields(limit_problems(600, 2000, 0.1, 15, steps=51)) == ["method"]
    assert limit_problems(600, 2000, 0.1, 15, steps=50) == []
    line = limit_problems(86_400, 4000, 0.1, 15)[0][1]
    assert f"{MAX_RUN_SAMPLES:,}" in line
