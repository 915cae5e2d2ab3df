"""The --pace live view: it keeps pace by sleeping in the CLI, and shows events as they happen."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from chaoscli.cli.live import LiveView
from chaoscli.experiment.spec import Experiment
from chaoscli.sim.results import SecondStats
from tests.endpoint_helpers import SMALL, cli, experiment_doc


class FakeClock:
    """A wall clock that only moves when the view sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _stats(t: int, a: float, db: bool = True) -> SecondStats:
    served = {"ap-south-1a": a, "ap-south-1b": 4000.0, "ap-south-1c": 4000.0}
    return SecondStats(
        t=t,
        offered=12000.0,
        attempts=12000.0,
        served=served,
        utilisation={k: v / 6000 for k, v in served.items()},
        db_writable=db,
    )


def _view(pace: float) -> tuple[LiveView, FakeClock, io.StringIO]:
    exp = Experiment.model_validate(
        experiment_doc(
            [{"fault": "az-outage", "az": "ap-south-1a", "at_s": 2, "duration_s": 2}], duration_s=10
        )
    )
    clock, buf = FakeClock(), io.StringIO()
    view = LiveView(Console(file=buf, width=100), exp, pace, clock=clock, sleep=clock.sleep)
    return view, clock, buf


def test_paces_virtual_seconds_to_wall_time() -> None:
    """At x4, each virtual second takes a quarter of a wall second, less the compute time."""
    view, clock, _ = _view(4)
    with view:
        view.on_second(_stats(0, 4000))
        clock.now += 0.05  # computing the next second took 50 ms
        view.on_second(_stats(1, 4000))
        view.on_second(_stats(2, 4000))
    assert clock.slept == pytest.approx([0.2, 0.25])


def test_no_sleep_when_the_engine_is_behind() -> None:
    """A slow engine is never made slower."""
    view, clock, _ = _view(1000)
    with view:
        for t in range(3):
            clock.now += 1.0
            view.on_second(_stats(t, 4000))
    assert clock.slept == []


def test_events_as_they_happen() -> None:
    """The schedule and what the seconds show become timeline lines at the right time."""
    view, _, buf = _view(10)
    with view:
        view.on_second(_stats(0, 4000))
        assert view.events == []
        view.on_second(_stats(2, 0.0, db=False))
        view.on_second(_stats(4, 4000))
    texts = [text for _, text in view.events]
    assert texts[0] == "az-outage in ap-south-1a begins"
    assert "ap-south-1a serves nothing" in texts and "database writes fail" in texts
    assert "ap-south-1a serves again" in texts and "database writable again" in texts
    assert "az-outage in ap-south-1a ends (rolled back)" in texts
    assert "ap-south-1a" in buf.getvalue()


def test_pace_runs_end_to_end() -> None:
    """`run --pace` (fast) finishes with the verdict and the live view's last frame."""
    r = cli("run", "az-outage", *SMALL, "--pace", "5000")
    assert r.code in (0, 1), r.err
    assert "events" in r.out and "az-outage begins" in r.out and "serves nothing" in r.out


def test_pace_must_be_positive() -> None:
    """--pace 0 is bad input."""
    assert cli("run", "az-outage", "--pace", "0").code == 2
