"""`chaoscli run --runs N`: N seeds, each run's figures in the journal, a verdict over all."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
import yaml

from chaoscli.experiment import runner
from chaoscli.experiment.loader import resolve
from chaoscli.experiment.many import engine_seeds, enough_held, wilson
from chaoscli.record.model import comparable
from tests.test_cli_run import chaoscli

# 300 virtual seconds: the failover (60-120 s from 60 s) and its after window fit
FAST = ["--set", "engine.samples_per_s=500", "--var", "at_s=60", "--var", "duration_s=150"]
FAST += ["--set", "traffic.duration_s=300", "--set", "hypothesis.p99_latency_ms.max=60000"]


def _run(tmp: Path, name: str, *args: str) -> tuple[int, dict]:
    path = tmp / f"{name}.json"
    mp = pytest.MonkeyPatch()
    try:
        code = chaoscli(mp, "run", "rds-failover", *FAST, "--journal", str(path), *args)
    finally:
        mp.undo()
    return code, json.loads(path.read_text())


@pytest.fixture(scope="module")
def twenty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict]:
    """rds-failover over 20 seeds spawned from seed 7."""
    tmp = tmp_path_factory.mktemp("runs")
    code, j = _run(tmp, "twenty", "--runs", "20", "--seed", "7")
    return tmp, code, j


def _during_p99(j: dict) -> list[float]:
    return [
        p["value"]
        for r in j["runs"]["runs"]
        for p in r["probes"]
        if p["probe"] == "p99_latency_ms" and p["window"] == "during"
    ]


def test_twenty_runs_keep_their_own_figures(twenty: tuple[Path, int, dict]) -> None:
    """20 runs, 20 distinct seeds, and the failover length differs from run to run."""
    _, code, j = twenty
    runs = j["runs"]
    assert code == 0 and runs["count"] == 20 and len(runs["runs"]) == 20
    assert len({r["seed"] for r in runs["runs"]}) == 20
    outages = [r["db_write_outage_s"] for r in runs["runs"]]
    assert len(set(outages)) == 20
    spread = runs["spread"]["db_write_outage_s"]
    assert spread["min"] == min(outages) and spread["max"] == max(outages)
    assert spread["median"] == pytest.approx(statistics.median(outages), abs=1e-6)
    assert runs["targets"] == "once" and runs["held"] == 20 and runs["share_held"] == 1.0


def test_a_bound_at_the_median_holds_about_half_the_time(
    twenty: tuple[Path, int, dict],
) -> None:
    """A p99 bound at the median over the seeds: about half the runs hold, the interval
    contains 0.5; deviated when every run must hold, held when 30% must."""
    tmp, _, j = twenty
    bound = statistics.median(_during_p99(j))
    probe = [
        "--set",
        f"hypothesis.p99_latency_ms.max={bound}",
        "--set",
        "hypothesis.windows=[during]",
    ]
    code, strict = _run(tmp, "strict", "--runs", "20", "--seed", "7", *probe)
    runs = strict["runs"]
    lo, hi = runs["interval"]
    assert code == 1 and strict["deviated"] is True
    assert 0 < runs["held"] < 20 and lo < 0.5 < hi
    worst = runs["runs"][runs["worst"]]
    assert not worst["held"] and worst["worst_margin"] == min(
        r["worst_margin"] for r in runs["runs"]
    )
    code, lenient = _run(
        tmp,
        "lenient",
        "--runs",
        "20",
        "--seed",
        "7",
        *probe,
        "--set",
        "hypothesis.runs_must_hold=0.3",
    )
    assert code == 0 and lenient["deviated"] is False
    assert lenient["runs"]["runs"] == runs["runs"]


def test_the_same_root_seed_gives_the_same_journal(tmp_path: Path) -> None:
    """Twice the same --seed and --runs: the same journal but for its wall-clock times;
    another seed differs."""
    a = _run(tmp_path, "a", "--runs", "3", "--seed", "11")[1]
    b = _run(tmp_path, "b", "--runs", "3", "--seed", "11")[1]
    c = _run(tmp_path, "c", "--runs", "3", "--seed", "12")[1]
    assert comparable(a) == comparable(b)
    assert [r["seed"] for r in a["runs"]["runs"]] != [r["seed"] for r in c["runs"]["runs"]]


@pytest.mark.parametrize("runs", ["0", "-3"])
def test_no_runs_is_one_line_and_exit_2(
    runs: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--runs 0 or negative: one clear line on stderr, exit 2, nothing run."""
    code = chaoscli(monkeypatch, "run", "rds-failover", "--runs", runs)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "--runs" in err and runs in err


def test_wilson_interval_matches_the_formula() -> None:
    """Known values: 10 of 20 gives (0.299, 0.701); 20 of 20 tops out at 1."""
    lo, hi = wilson(10, 20)
    assert lo == pytest.approx(0.2993, abs=1e-4) and hi == pytest.approx(0.7007, abs=1e-4)
    lo, hi = wilson(20, 20)
    assert hi == 1.0 and lo == pytest.approx(0.8389, abs=1e-4)


def test_seeds_are_spawned_and_one_run_keeps_the_root() -> None:
    """One run uses the root seed; N runs get N distinct spawned seeds, stable per root."""
    assert engine_seeds(5, 1) == [5]
    seeds = engine_seeds(5, 4)
    assert len(set(seeds)) == 4 and seeds == engine_seeds(5, 4) != engine_seeds(6, 4)
    assert enough_held(6, 20, 0.3) and not enough_held(5, 20, 0.3)


def test_reports_state_the_share_held_and_the_worst_run(
    twenty: tuple[Path, int, dict],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Terminal, Markdown and JUnit say how many runs held, the interval, the worst run."""
    tmp, _, j = twenty
    bound = statistics.median(_during_p99(j))
    md, xml, page = tmp / "r.md", tmp / "r.xml", tmp / "r.html"
    code = chaoscli(
        monkeypatch,
        "run",
        "rds-failover",
        *FAST,
        "--runs",
        "20",
        "--seed",
        "7",
        "--set",
        f"hypothesis.p99_latency_ms.max={bound}",
        "--set",
        "hypothesis.windows=[during]",
        "--report",
        str(md),
        "--report",
        str(xml),
        "--report",
        str(page),
    )
    out = " ".join(capsys.readouterr().out.split())
    assert code == 1
    held = "10 of 20 runs held (50%, 95% interval 30%-70%; needs 100%)"
    assert held in out and "worst run" in out and "database write outage" in out
    assert held in md.read_text()
    text = page.read_text()
    assert "<b>10 of 20 runs held</b> (50%, 95% interval 30%–70%)" in text
    assert "needs 100%, so the verdict over the runs is deviated" in text
    section = text.split("<h2>Over 20 runs</h2>", 1)[1].split("</section>", 1)[0]
    assert "Worst run: " in section and "database write outage" in section
    assert section.count("<td>deviated</td>") == 10 and section.count("<td>held</td>") == 10
    junit = xml.read_text()
    assert 'name="verdict is held"' in junit and "expected held, got deviated: 10 of 20" in junit
    assert "run 1 of 20" in junit or j["runs"]["runs"][0]["held"]


def test_targets_drawn_from_the_seed_are_drawn_per_run(tmp_path: Path) -> None:
    """A COUNT(1) crash picks its instance from each run's seed, injecting again per run, and
    the stack is restored after all of them; a whole-resource fault is injected once."""
    path = tmp_path / "crash.json"
    mp = pytest.MonkeyPatch()
    try:
        code = chaoscli(
            mp,
            "run",
            "instance-crash",
            *FAST,
            "--runs",
            "4",
            "--set",
            "method.0.selection=COUNT(1)",
            "--journal",
            str(path),
        )
    finally:
        mp.undo()
    j = json.loads(path.read_text())
    assert code in (0, 1) and j["status"] == "completed"
    runs = j["runs"]
    assert runs["targets"] == "per seed" and j["rollback_check"] == []
    picked = [r["faults"][0].rsplit(" ", 1)[-1] for r in runs["runs"]]
    assert len(set(picked)) > 1


def test_whole_resource_faults_are_injected_once(twenty: tuple[Path, int, dict]) -> None:
    """rds-failover names its database: every run saw the same injection."""
    _, _, j = twenty
    runs = j["runs"]["runs"]
    assert j["runs"]["targets"] == "once" and runs[0]["faults"]
    assert all(r["faults"] == runs[0]["faults"] for r in runs)


def _with_cores(tmp: Path, name: str, cores: int, *args: str) -> dict:
    path = tmp / f"{name}-{cores}.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "cores", lambda: cores)
        chaoscli(mp, "run", *args, "--journal", str(path))
    return json.loads(path.read_text())


def test_runs_on_two_cores_give_the_journal_of_runs_on_one(tmp_path: Path) -> None:
    """Engine passes in worker processes change no figure: the journals are identical."""
    args = ["rds-failover", *FAST, "--runs", "4", "--seed", "5"]
    here, pooled = (_with_cores(tmp_path, "rds", n, *args) for n in (1, 2))
    assert comparable(here) == comparable(pooled)
    assert len({r["db_write_outage_s"] for r in pooled["runs"]["runs"]}) == 4


def test_a_pooled_run_cut_by_a_stop_condition_is_cut_through_the_control_plane(
    tmp_path: Path,
) -> None:
    """A guard that trips in every run: each pooled pass comes back as its trip and the run is
    simulated again with the method cut, as on one core."""
    doc = yaml.safe_load(resolve("router-failure").read_text())
    doc["stop_conditions"] = [{"metric": "visible_error_ratio", "above": 0.005, "over_s": 10}]
    path = tmp_path / "guarded.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    args = [str(path), *FAST, "--runs", "3"]
    here, pooled = (_with_cores(tmp_path, "guarded", n, *args) for n in (1, 2))
    assert comparable(here) == comparable(pooled)
    assert all(r["stopped_at_s"] is not None for r in pooled["runs"]["runs"])
