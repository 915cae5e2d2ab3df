"""Stop conditions: a measured bound or a CloudWatch alarm ends the method where it trips."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from chaoscli.aws.cloudwatch import Alarm
from chaoscli.errors import SpecError
from chaoscli.experiment import journal, runner
from chaoscli.experiment.alarms import alarm_states
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import Outcome, run
from chaoscli.report import terminal
from chaoscli.sim.cloudwatch_series import MinuteMetric
from chaoscli.sim.engine import Engine
from tests.helpers import variant


def _events(out: Outcome, kind: str) -> list[tuple[float, str]]:
    return [(e.t, e.message) for e in out.events if e.kind == kind]


GUARD = [{"metric": "visible_error_ratio", "above": 0.005, "over_s": 10}]


class _CountedEngine(Engine):
    """The engine, counting how many runs are built and how many seconds they simulate."""

    built = 0
    simulated = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _CountedEngine.built += 1

    def _second(self, sec: int) -> None:
        _CountedEngine.simulated += 1
        super()._second(sec)

    def _stretch(self, end: int) -> int:
        done = super()._stretch(end)  # quiet seconds simulated together
        _CountedEngine.simulated += done
        return done


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """Router failure with a guard at 0.5% visible errors over 10 s, its engine counted."""
    path = variant(tmp_path_factory.mktemp("g"), "router-failure", stop_conditions=GUARD)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "Engine", _CountedEngine)
        _CountedEngine.built = _CountedEngine.simulated = 0
        return run(load(path), seed=3)


def test_a_trip_cuts_the_run_where_it_trips_and_simulates_nothing_twice(
    guarded: Outcome,
) -> None:
    """One engine, each second once: the run goes on from the trip under the cut method."""
    assert guarded.result is not None
    assert _CountedEngine.built == 1
    assert _CountedEngine.simulated == guarded.result.seconds


def test_a_tripped_guard_ends_the_method_early_and_rolls_back_then(guarded: Outcome) -> None:
    """The trip comes soon after the fault; the rollback happens at the trip, not at 420 s."""
    assert guarded.stopped is not None
    t = guarded.stopped["t"]
    assert 120 < t < 200
    assert "visible error ratio" in guarded.stopped["reason"]
    assert [m for tt, m in _events(guarded, "guard") if tt == t]
    rollbacks = _events(guarded, "rollback")
    assert rollbacks and {tt for tt, _ in rollbacks} == {t}
    assert all(m.startswith("stopped early") for _, m in rollbacks)
    assert guarded.windows["during"].end_s == pytest.approx(t, abs=1)
    assert guarded.restored == [] and guarded.status == "aborted"


def test_the_record_of_a_stopped_run_shows_the_method_as_it_ran(guarded: Outcome) -> None:
    """The journal's action, the terminal's fault ruler and the charts end at the trip, not
    where the method was planned to end (120 s + 300 s)."""
    assert guarded.stopped is not None
    t = guarded.stopped["t"]
    record = journal.build(guarded)
    (action,) = record.run
    assert action.duration == pytest.approx(t - 120)
    assert any(line.startswith("stopped early") for line in action.output)
    assert record.step_spans() == [(120.0, t)]
    console = Console(file=io.StringIO(), width=80, record=True)
    terminal.print_summary(record, console)
    ruler = next(line for line in console.export_text().splitlines() if line.endswith("^ fault"))
    assert 0 < ruler.count("^") < 300 * 60 // record.duration  # 60 bars over the whole run


def test_the_stopped_run_is_better_for_customers_than_the_full_one(
    guarded: Outcome, tmp_path: Path
) -> None:
    """Ending the method early shortens the damage: fewer visible errors than without a guard."""
    full = run(load(variant(tmp_path, "router-failure")), seed=3)
    assert full.stopped is None
    assert guarded.result is not None and full.result is not None
    errors = lambda o: float((o.result.rate * (1 - o.result.success_ratio)).sum())  # noqa: E731
    assert errors(guarded) < errors(full)
    cut = int(guarded.result.seconds if guarded.stopped is None else guarded.stopped["t"])
    assert (guarded.result.attempts[:cut] == full.result.attempts[:cut]).all()  # the same run
    # after the cut the zone comes back in the stopped run only: its targets serve again
    assert guarded.result.served[:, cut + 60 : cut + 120].sum(axis=1).min() > 0
    assert full.result.served[:, cut + 60 : cut + 120].sum(axis=1).min() == 0


def test_the_same_seed_stops_at_the_same_time(guarded: Outcome, tmp_path: Path) -> None:
    """Deterministic: the trip time and the events repeat."""
    again = run(load(variant(tmp_path, "router-failure", stop_conditions=GUARD)), seed=3)
    assert again.stopped == guarded.stopped
    assert _events(again, "rollback")[0][0] == _events(guarded, "rollback")[0][0]


def test_a_guard_that_never_trips_changes_nothing(tmp_path: Path) -> None:
    """A loose guard leaves the method whole: the fault ends at its own time."""
    loose = [{"metric": "visible_error_ratio", "above": 0.5, "over_s": 10}]
    out = run(load(variant(tmp_path, "rds-failover", stop_conditions=loose)), seed=0)
    assert out.stopped is None
    assert {t for t, _ in _events(out, "rollback")} == {420.0}


def test_an_alarm_stop_condition_fires_on_published_metrics(tmp_path: Path) -> None:
    """The SRE's 5XX alarm, evaluated by chaoscli, goes to ALARM at a minute's end and stops."""
    alarm = {
        "name": "shop-elb-5xx",
        "metric": "HTTPCode_ELB_5XX_Count",
        "statistic": "Sum",
        "threshold": 100_000,
        "period_s": 60,
        "evaluation_periods": 1,
    }
    doc = variant(
        tmp_path,
        "instance-crash",
        alarms=[alarm],
        stop_conditions=[{"alarm": "shop-elb-5xx"}],
        parameters={"selection": "PERCENT(30)", "az": None, "at_s": 120, "duration_s": 300},
    )
    out = run(load(doc), seed=0)
    assert out.stopped is not None and out.stopped["t"] == 180.0
    assert out.stopped["reason"].startswith("alarm shop-elb-5xx in ALARM")
    summary = {a["name"]: a for a in out.alarms}["shop-elb-5xx"]
    assert summary["first_alarm_t"] == 180.0
    assert out.published_datapoints > 0
    assert any("ALARM" in m for _, m in _events(out, "alarm"))
    assert "deleted alarm shop-elb-5xx" in out.rollback


def test_an_alarm_nobody_declared_or_created_is_bad_input(tmp_path: Path) -> None:
    """Naming a missing alarm stops the run before anything is provisioned (exit 2)."""
    doc = variant(tmp_path, "rds-failover", stop_conditions=[{"alarm": "nobody-made-me"}])
    with pytest.raises(SpecError, match=r"stop_conditions\.0\.alarm"):
        run(load(doc))


def _alarm(**kw: Any) -> Alarm:
    base: dict[str, Any] = {
        "name": "a",
        "metric": "HTTPCode_ELB_5XX_Count",
        "namespace": "AWS/ApplicationELB",
        "statistic": "Sum",
        "dimensions": (),
        "period_s": 60,
        "evaluation_periods": 3,
        "datapoints_to_alarm": 2,
        "threshold": 10.0,
        "comparison": "GreaterThanThreshold",
        "state": "OK",
    }
    return Alarm(**{**base, **kw})


def test_alarms_need_m_of_n_breaching_periods() -> None:
    """2 of 3: one breaching minute is not enough, a second within three minutes is; 1 of 1
    follows every minute."""
    values = [0, 50, 0, 50, 0, 0, 0, 0]
    points = [MinuteMetric("HTTPCode_ELB_5XX_Count", m, v) for m, v in enumerate(values)]
    states = [(t, s) for t, s, _ in alarm_states(_alarm(), points, 480)]
    assert states == [(240.0, "ALARM"), (300.0, "OK")]
    lower = _alarm(
        comparison="LessThanThreshold", threshold=1.0, evaluation_periods=1, datapoints_to_alarm=1
    )
    assert [s for _, s, _ in alarm_states(lower, points, 480)] == [
        "ALARM",
        "OK",
        "ALARM",
        "OK",
        "ALARM",
    ]


def test_a_live_view_of_a_guarded_run_sees_each_second_once(
    guarded: Outcome, tmp_path: Path
) -> None:
    """The view follows the one pass: every second once, and the trip where it is unwatched."""
    seen: list[int] = []
    path = variant(tmp_path, "router-failure", stop_conditions=GUARD)
    out = run(load(path), seed=3, on_second=lambda stats: seen.append(stats.t))
    assert out.result is not None and seen == list(range(out.result.seconds))
    assert out.stopped == guarded.stopped
    assert out.restored == []
