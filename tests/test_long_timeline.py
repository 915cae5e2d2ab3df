"""A run longer than an hour keeps its timeline per second in the first hour and around each
fault, per minute elsewhere, and never hides a worst second: each minute keeps its lowest
and highest second beside its mean."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest
from rich.console import Console

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.record import Record
from chaoscli.report import html, impact, markdown, series
from chaoscli.report.terminal import print_summary
from chaoscli.sim.measures import Seconds
from chaoscli.sim.resolution import entries

LONG_S = 7200
BAD_S = 5_000  # a second well outside the first hour and the fault's stretch
AZS = ("az-a", "az-b")


@pytest.fixture(scope="module")
def long_run() -> Record:
    """A real run of 1 h 20 min with the outage after the first hour (few samples: cheap)."""
    loaded = load(
        "az-outage",
        ["traffic.duration_s=4800", "engine.samples_per_s=100", "traffic.rps=20000"],
        ["at_s=3700"],
    )
    return journal.build(run(loaded, seed=0))


def _quiet_day_with_one_bad_second() -> Seconds:
    """Two hours of full success but for one second at ``BAD_S`` where half the requests
    failed and p99 reached 9 s."""
    n = LONG_S
    requests = np.full(n, 1000.0)
    ok = np.ones(n)
    ok[BAD_S] = 0.5
    p99 = np.full(n, 10.0)
    p99[BAD_S] = 9000.0
    return Seconds(
        azs=AZS,
        requests=requests,
        visible_errors=requests * (1 - ok),
        success_ratio=ok,
        attempts=requests.copy(),
        served=np.vstack([requests * ok / 2, requests * ok / 2]),
        utilisation=np.full((2, n), 0.4),
        p99_latency_ms=p99,
        db_writable=np.ones(n, dtype=bool),
        queue_depth=np.zeros(n),
        lb_errors=np.zeros(n),
    )


def test_an_hour_or_less_keeps_every_second() -> None:
    """Runs up to an hour (every shipped experiment) have one entry per second."""
    t, span = entries(3600, [(120.0, 420.0)])
    assert len(t) == 3600 and set(span.tolist()) == {1}


def test_a_long_run_is_per_second_first_hour_and_around_the_fault_per_minute_elsewhere() -> None:
    """The first hour and the fault (a minute before to ten after) second by second; the rest
    in whole minutes; every second covered once."""
    t, span = entries(LONG_S, [(6000.0, 6100.0)])
    assert int(span.sum()) == LONG_S and (t[1:] == t[:-1] + span[:-1]).all()
    per_second = set(t[span == 1].tolist())
    assert set(range(3600)) <= per_second and set(range(5940, 6720)) <= per_second
    assert 3600 not in per_second and 5000 not in per_second
    assert len(t) == 3600 + 780 + (LONG_S - 3600 - 780) // 60


def test_a_minute_keeps_its_worst_second_where_a_mean_would_hide_it(long_run: Record) -> None:
    """The minute holding one bad second: its mean success ratio stays above 99% (a
    per-minute mean alone would pass a 99% worst-second bound), but its lowest second is 50%
    and every report shows that second."""
    tl = journal._timeline(_quiet_day_with_one_bad_second(), [(120.0, 420.0)])
    minute = next(s for s in tl if s.t <= BAD_S < s.t + s.span_s)
    assert minute.span_s == 60
    assert minute.success_ratio is not None and minute.success_ratio > 0.99  # the mean hides it
    assert minute.low is not None and minute.low.success_ratio == 0.5
    assert minute.high is not None and minute.high.p99_latency_ms == 9000.0
    rec = long_run.model_copy(update={"timeline": tl, "duration": float(LONG_S)})
    worst = series.per_second(rec, lambda s: s.success_ratio, "low")
    assert len(worst) == LONG_S and min(v for v in worst if v is not None) == 0.5
    buf = io.StringIO()
    print_summary(rec, Console(file=buf, width=80, color_system=None))
    assert "success/s" in buf.getvalue() and "50.000%" in buf.getvalue()
    shown = impact.worst_minute(rec.timeline)
    assert shown is not None and shown.start_s == BAD_S // 60 * 60
    assert shown.visible_errors == pytest.approx(500.0)
    assert "per minute elsewhere" in markdown.render(rec)
    assert "lowest and highest second kept" in html.render(rec)


def test_a_long_real_run_keeps_the_fault_per_second_and_its_figures(long_run: Record) -> None:
    """A real 80-minute run: per second through the fault after the first hour, whole
    minutes after its recovery stretch; the worst second the verdict judged is the lowest
    second the timeline keeps, and the journal says each entry's span."""
    tl = long_run.timeline
    assert sum(s.span_s for s in tl) == 4800 and len(tl) < 4800
    fault = [s for s in tl if 3700 <= s.t < 4000]
    assert fault and all(s.span_s == 1 for s in fault)
    assert any(s.span_s == 60 for s in tl if s.t >= 4700)
    m = long_run.metrics
    assert m is not None
    lowest = min(s.lowest.success_ratio for s in tl if s.lowest.success_ratio is not None)
    assert lowest == pytest.approx(m.worst_second_success_ratio, abs=1e-6)
    assert max(s.highest.requests for s in tl) == pytest.approx(m.peak_offered_rps)
    written = json.loads(journal.text(long_run))
    assert {e["span_s"] for e in written["timeline"]} == {1, 60}


def test_a_minute_mean_of_a_series_is_the_mean_of_its_seconds() -> None:
    """Over a minute: requests are the mean per second; the success ratio the minute's own
    (errors over requests); the database writable only if it was every second."""
    sec = _quiet_day_with_one_bad_second()
    sec = replace(sec, db_writable=np.where(np.arange(LONG_S) == BAD_S + 1, False, True))
    tl = journal._timeline(sec, [])
    minute = next(s for s in tl if s.t <= BAD_S < s.t + s.span_s)
    assert minute.requests == pytest.approx(1000.0)
    assert minute.visible_errors == pytest.approx(500 / 60, abs=1e-6)
    assert minute.success_ratio == pytest.approx(1 - 500 / 60_000, abs=1e-6)
    assert minute.db_writable is False and minute.high is not None and minute.high.db_writable
