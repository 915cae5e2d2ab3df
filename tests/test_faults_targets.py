"""FIS selection modes drawn from the run's seed, and the traffic spike's profile."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from chaoscli.experiment.faults import shaped_traffic
from chaoscli.experiment.faults.targets import how_many, pick
from chaoscli.experiment.spec import FaultStep
from chaoscli.sim.scenario import TrafficProfile

ITEMS = [f"i-{n:02d}" for n in range(10)]


@pytest.mark.parametrize(
    ("mode", "available", "expected"),
    [
        ("ALL", 10, 10),
        ("COUNT(3)", 10, 3),
        ("COUNT(30)", 10, 10),
        ("PERCENT(25)", 10, 2),
        ("PERCENT(5)", 10, 1),
        ("PERCENT(100)", 7, 7),
        ("COUNT(2)", 0, 0),
    ],
)
def test_how_many_follows_fis(mode: str, available: int, expected: int) -> None:
    """COUNT caps at what exists, PERCENT rounds down but takes at least one."""
    assert how_many(mode, available) == expected


def test_the_same_seed_draws_the_same_targets_and_another_seed_may_not() -> None:
    """The draw depends only on the generator: reproducible per seed, different across seeds."""
    first = pick(ITEMS, "COUNT(3)", np.random.default_rng([5, 7, 0]))
    again = pick(ITEMS, "COUNT(3)", np.random.default_rng([5, 7, 0]))
    others = {tuple(pick(ITEMS, "COUNT(3)", np.random.default_rng([s, 7, 0]))) for s in range(20)}
    assert first == again and len(first) == 3 and first == sorted(first)
    assert len(others) > 1


def test_all_takes_everything_without_drawing() -> None:
    """ALL keeps the original order and consumes nothing from the generator."""
    rng = np.random.default_rng(1)
    assert pick(ITEMS, "ALL", rng) == ITEMS
    assert rng.random() == np.random.default_rng(1).random()


@pytest.mark.parametrize("bad", ["SOME", "COUNT(0)", "PERCENT(101)", "count(2)", "COUNT(-1)"])
def test_a_bad_selection_mode_is_a_validation_error(bad: str) -> None:
    """Only the three FIS modes, with sensible numbers, pass the schema."""
    with pytest.raises(ValidationError):
        FaultStep(fault="instance-crash", selection=bad)


def test_a_spike_ramps_up_holds_and_comes_back_to_the_base_rate() -> None:
    """200k -> 1M over 100 s, held, back to 200k; outside the spike the base rate is kept."""
    base = TrafficProfile.constant(200_000, 1000)
    step = FaultStep(fault="traffic-spike", at_s=100, duration_s=600, rps=1_000_000, ramp_s=100)
    rate = shaped_traffic(base, [step]).rate_per_second()
    assert rate[50] == pytest.approx(200_000)
    assert rate[150] == pytest.approx(600_000, rel=0.01)
    assert rate[400] == pytest.approx(1_000_000)
    assert rate[650] == pytest.approx(600_000, rel=0.01)
    assert rate[900] == pytest.approx(200_000)


def test_a_spike_cut_by_a_stop_condition_drops_to_the_base_rate_at_once() -> None:
    """Stopping the method stops the load generator: the rate falls back at the cut."""
    base = TrafficProfile.constant(200_000, 1000)
    step = FaultStep(fault="traffic-spike", at_s=100, duration_s=600, rps=1_000_000, ramp_s=100)
    rate = shaped_traffic(base, [step], cut_at=300).rate_per_second()
    assert rate[299] == pytest.approx(1_000_000)
    assert rate[301] == pytest.approx(200_000)
    assert shaped_traffic(base, [step], cut_at=50).points == base.points


def test_a_spike_that_does_not_fit_its_ramps_is_rejected() -> None:
    """Two ramps longer than the step cannot be laid out."""
    with pytest.raises(ValidationError, match="ramp_s"):
        FaultStep(fault="traffic-spike", duration_s=100, rps=1e6, ramp_s=60)
