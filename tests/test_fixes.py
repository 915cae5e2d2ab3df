"""Fixes proven in the model: the findings' overrides are re-run before they are offered, a
capacity fix is the fewest instances that held, and one that is not enough says so."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest
from rich.console import Console

from chaoscli.experiment import fixes
from chaoscli.experiment.loader import load
from chaoscli.record import Record, read
from chaoscli.record.findings import Finding, Fix, Override
from chaoscli.report import html, markdown
from chaoscli.report.findings import findings
from chaoscli.report.terminal import print_summary
from tests.endpoint_helpers import cli

SHORT = ["--set", "traffic.duration_s=300", "--set", "engine.samples_per_s=500"]
TIGHT = ["--set", "topology.instances_per_az=16"]  # two zones cannot carry the load alone
INSTANCES = "topology.instances_per_az"


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> Record:
    """az-outage with too few instances, run through the CLI, its fixes re-run."""
    path = tmp_path_factory.mktemp("fixes") / "j.json"
    r = cli("run", "az-outage", *SHORT, *TIGHT, "--journal", str(path))
    assert r.code == 1, r.err
    return read(path)


def _capacity(r: Record) -> Fix:
    fix = next(f.fix for f in r.findings if f.fix is not None and f.fix.searched == INSTANCES)
    assert fix is not None and fix.result is not None
    return fix


def test_a_fix_the_findings_offer_turns_the_deviating_run_into_a_held_one(proven: Record) -> None:
    """Some offered fix held when re-run; its --set overrides given to the CLI hold too."""
    assert proven.fixes is not None and proven.fixes.status == "verified"
    held = [f.fix for f in proven.findings if f.fix and f.fix.result and f.fix.result.held]
    assert held
    fix = held[0]
    assert fix is not None and fix.result is not None and fix.result.visible_errors >= 0
    args = [a for arg in fix.args() for a in ("--set", arg)]
    again = cli("run", "az-outage", *SHORT, *TIGHT, *args, "--no-verify-fixes")
    assert again.code == 0, again.out


def test_the_capacity_fix_is_the_fewest_instances_that_held(proven: Record) -> None:
    """The search tried one instance fewer than it offers, and that re-run deviated: run
    through the CLI with that count, the experiment still deviates."""
    fix = _capacity(proven)
    n = int(fix.set[INSTANCES])
    assert fix.result is not None and fix.result.held and n > 16
    tried = {int(t.value): t.held for t in fix.trials}
    assert tried[n] is True and tried.get(n - 1, False) is False
    assert all(not ok for value, ok in tried.items() if value < n)
    fewer = cli("run", "az-outage", *SHORT, "--set", f"{INSTANCES}={n - 1}", "--no-verify-fixes")
    assert fewer.code == 1


class Threshold(fixes.Reruns):
    """Re-runs that hold from ``need`` instances per zone on, made from one real record."""

    def __init__(self, then: Record, need: int) -> None:
        super().__init__(load("az-outage", TIGHT[1::2]), 0, 1, lambda _: None)
        self.then, self.need = then, need

    def __call__(self, sets: Mapping[str, Override]) -> Record | None:
        n = int(sets[INSTANCES])
        out = self.then.model_copy(deep=True)
        out.deviated = n < self.need
        out.hypothesis.held = not out.deviated
        for w in out.windows.values():
            w.peak_utilisation = 1.5 if out.deviated else 0.7
        if not out.deviated:
            for p in out.hypothesis.probes:
                p.ok = True
        self.done[fixes._key(sets)] = out
        return out


@pytest.mark.parametrize("need", [17, 18, 23, 40, 90])
def test_the_capacity_search_never_offers_too_few(proven: Record, need: int) -> None:
    """Whatever count the re-runs need, from just above today's to far above the first
    guess, the search offers exactly it: never one that deviated, never more than needed."""
    fix = Fix(words="", set={INSTANCES: 20}, searched=INSTANCES)
    fixes.search_capacity(Threshold(proven, need), proven, fix)
    assert fix.set[INSTANCES] == need
    assert fix.result is not None and fix.result.verdict == "held"


def test_a_fix_that_is_not_enough_is_labelled_so(proven: Record) -> None:
    """Two instances more per zone help (fewer errors) but do not hold: every report says
    "helps, not enough" with the re-run's figures."""
    r = proven.model_copy(deep=True)
    r.findings = [Finding(title="Too few", detail="", fix=Fix(words="More.", set={INSTANCES: 18}))]
    out = fixes.prove(r, load("az-outage", [*SHORT[1::2], *TIGHT[1::2]]), 0, 1, lambda _: None)
    fix = out.findings[0].fix
    assert fix is not None and fix.result is not None
    assert fix.result.verdict == "helps" and not fix.result.held
    assert proven.metrics is not None
    assert fix.result.visible_errors < proven.metrics.visible_errors
    errors = f"{fix.result.visible_errors:,.0f} visible errors"
    (shown,) = findings(out)
    assert shown.result.startswith("helps, not enough") and errors in shown.result
    console = Console(file=io.StringIO(), width=80)
    print_summary(out, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    for page in (" ".join(text.split()), markdown.render(out), html.render(out)):
        assert "helps, not enough" in page and errors in " ".join(page.split())


def test_a_fix_that_makes_things_worse_is_not_offered(proven: Record) -> None:
    """A re-run with more failed probes is judged worse, and no report offers that fix."""
    worse = proven.model_copy(deep=True)
    for p in worse.hypothesis.probes:
        p.ok = False
    result = fixes.judge(proven, worse, [])
    assert result.verdict == "worse"
    r = proven.model_copy(deep=True)
    fix = Fix(words="Turn it off.", set={"clients.max_attempts": 1}, result=result)
    r.findings = [Finding(title="Bad idea", detail="", fix=fix)]
    r.fixes = None
    (shown,) = findings(r)
    assert "max_attempts" not in shown.args + shown.fix and "none proven" in shown.fix.lower()
    assert "Turn it off" not in markdown.render(r) and "Turn it off" not in html.render(r)


def test_without_verification_the_output_says_so(tmp_path: Path) -> None:
    """--no-verify-fixes re-runs nothing: the journal says skipped, each fix has no result,
    and the terminal says the fixes are proposals."""
    path = tmp_path / "j.json"
    r = cli("run", "az-outage", *SHORT, *TIGHT, "--journal", str(path), "--no-verify-fixes")
    assert r.code == 1
    record = read(path)
    assert record.fixes is not None and record.fixes.status == "skipped"
    assert all(f.fix.result is None for f in record.findings if f.fix is not None)
    assert "--no-verify-fixes" in " ".join(r.out.split())


def test_a_held_run_re_runs_nothing(proven: Record) -> None:
    """A run that held needs no fix: nothing is re-run, whatever notes it has."""
    held = proven.model_copy(deep=True)
    held.deviated = False
    calls: list[str] = []
    out = fixes.prove(held, load("az-outage"), 0, 1, calls.append)
    assert out.fixes is not None and out.fixes.status == "not_needed" and calls == []


def test_when_no_single_fix_holds_the_fixes_together_are_tried(tmp_path: Path) -> None:
    """router-failure: each fix alone helps but does not hold; together, with what their
    own re-run proposes (a short connect timeout once the dark node's wait is all that is
    left), the run holds, and the CLI run with those overrides holds too."""
    path = tmp_path / "j.json"
    assert cli("run", "router-failure", *SHORT, "--journal", str(path)).code == 1
    r = read(path)
    tried = [f.fix for f in r.findings if f.fix is not None and f.fix.result is not None]
    assert tried and not any(f.result is not None and f.result.held for f in tried)
    assert any(f.result is not None and f.result.verdict == "helps" for f in tried)
    assert r.fixes is not None and r.fixes.combined is not None
    combined = r.fixes.combined
    assert combined.result is not None and combined.result.held
    assert combined.result.visible_errors == 0 and not combined.result.failed_probes
    assert "clients.connect_timeout_s" in combined.set
    args = [a for arg in combined.args() for a in ("--set", arg)]
    again = tmp_path / "again.json"
    done = cli("run", "router-failure", *SHORT, *args, "--no-verify-fixes", "--journal", str(again))
    assert done.code == 0, done.err
    assert read(again).hypothesis.failed() == []
