"""Markdown, JUnit, HTML and findings made from real journals: held, single-zone, overloaded."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from junitparser import Failure, JUnitXml

from chaoscli import report
from chaoscli.experiment import findings as rules
from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.experiment.spec import Experiment
from chaoscli.record import Record, from_json
from chaoscli.record.model import ProbeVerdict, Stop
from chaoscli.report import findings, html, junit, markdown
from chaoscli.report.words import fmt as fmt_value

SHORT = ["traffic.duration_s=300", "engine.samples_per_s=500"]


def short_record(*sets: str) -> Record:
    """A five-minute az-outage run at low resolution, with extra overrides, as a record."""
    return journal.build(run(load("az-outage", [*SHORT, *sets]), seed=0))


def spec(*sets: str) -> Experiment:
    """The az-outage experiment as such a run uses it."""
    return load("az-outage", [*SHORT, *sets]).experiment


@pytest.fixture(scope="module")
def held() -> Record:
    """The shipped topology: three zones with headroom."""
    return short_record()


@pytest.fixture(scope="module")
def single() -> Record:
    """The counter-example: everything in one zone."""
    return short_record("topology.azs=1", "topology.instances_per_az=75")


@pytest.fixture(scope="module")
def overloaded() -> Record:
    """Three zones without headroom: two zones cannot carry the load alone."""
    return short_record("topology.instances_per_az=16")


def _failed(r: Record) -> list[ProbeVerdict]:
    """The probes that did not hold."""
    return r.hypothesis.failed()


def test_markdown_lists_every_probe_and_the_verdict(single: Record) -> None:
    """Each probe has a table row; the heading carries the verdict; failures say by how much."""
    text = markdown.render(single)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(single.hypothesis.probes)
    assert single.deviated
    assert text.splitlines()[0].endswith("DEVIATED")
    assert text.count("**FAIL**") == len(_failed(single)) > 0


def test_junit_has_one_case_per_probe_with_the_shortfall(single: Record, tmp_path: Any) -> None:
    """A JUnit parser reads it; each failed probe's message names the tolerance and the gap."""
    path = tmp_path / "j.xml"
    path.write_text(junit.render(single))
    xml = JUnitXml.fromfile(str(path))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == len(single.hypothesis.probes) + 1  # and "no stop condition"
    failed = {c.name: c for c in cases if any(isinstance(r, Failure) for r in c.result)}
    assert len(failed) == len(_failed(single)) > 0
    for p in _failed(single):
        case = failed[f"{p.window}: {p.label} {p.bound}"]
        message = case.result[0].message
        low = p.tolerance.min
        if p.value is None:
            assert "no value was measured" in message
        elif low is not None and p.value < low:
            gap = re.search(r"([\d.,]+) points below the minimum", message)
            assert gap is not None
            assert math.isclose(float(gap.group(1)), (low - p.value) * 100, abs_tol=1e-3)
        else:
            assert "above the maximum" in message


def test_junit_all_adds_a_verdict_case_per_experiment(held: Record, single: Record) -> None:
    """With --all each experiment also gets a case that fails when its verdict surprises."""
    text = junit.render_many(
        [junit.Case("good", held, "held"), junit.Case("surprise", single, "held")]
    )
    xml = JUnitXml.fromstring(text)
    verdicts = {
        suite.name: case for suite in xml for case in suite if case.name.startswith("verdict is")
    }
    assert set(verdicts) == {"chaoscli.good", "chaoscli.surprise"}
    assert not verdicts["chaoscli.good"].result
    assert "expected held, got deviated" in verdicts["chaoscli.surprise"].result[0].message


def test_findings_explain_every_failed_probe(single: Record, overloaded: Record) -> None:
    """Both counter-examples fail probes, and every failed probe is covered by at least one
    finding of severity 'cause'."""
    for r in (single, overloaded):
        failed = {p.key for p in _failed(r)}
        assert failed, r.title
        found = findings.findings(r)
        explained = {k for f in found if f.severity == "cause" for k in f.probes}
        assert failed <= explained


def test_single_zone_finding_names_the_zone(single: Record) -> None:
    """The single-zone counter-example is called out with its zone and a three-zone fix with
    the same capacity once a zone is lost."""
    (f,) = rules.single_zone(single, spec("topology.azs=1", "topology.instances_per_az=75"))
    assert single.topology.before is not None
    assert single.topology.before.azs[0] in f.detail
    assert f.fix is not None
    assert f.fix.set["topology.azs"] == 3 and f.fix.set["topology.instances_per_az"] == 38


def test_overload_finding_asks_for_a_search_over_instances(overloaded: Record) -> None:
    """The overload finding proposes more instances per zone, to be found by re-running."""
    (f,) = rules.overload(overloaded, spec("topology.instances_per_az=16"))
    assert f.fix is not None and f.fix.searched == "topology.instances_per_az"
    assert int(f.fix.set["topology.instances_per_az"]) > 16
    assert f.fix.result is None and "not re-run" in f.fix.words


def test_detection_finding_multiplies_interval_by_threshold(held: Record) -> None:
    """Slow health-check detection is explained as interval x threshold, with ELB's fastest
    checks as the fix."""
    r = held.model_copy(deep=True)
    assert r.metrics is not None and r.topology.before and r.topology.before.load_balancer
    r.metrics.reroute_s = 62.0
    hc = r.topology.before.load_balancer.health_check
    hc.interval_s, hc.unhealthy_threshold = 30.0, 2
    exp = spec("topology.health_check.interval_s=30", "topology.health_check.timeout_s=5")
    (f,) = rules.detection(r, exp)
    assert f.title == "Detection took 62 s"
    assert "30 s x unhealthy threshold 2 = 60 s" in f.detail
    assert f.fix is not None and f.fix.set == rules.FASTEST_CHECK
    assert rules.detection(held, spec()) == []  # the shipped stack reroutes within a second


def test_html_is_self_contained(overloaded: Record) -> None:
    """No scripts, no external links or images; CSS for print; one SVG per chart."""
    page = html.render(overloaded)
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@page" in page and "@media print" in page
    assert page.count("<svg") == 5
    assert overloaded.topology.before is not None
    for az in overloaded.topology.before.azs:
        assert az in page
    for f in findings.findings(overloaded):
        assert html._e(f.title) in page


def test_every_format_carries_the_run(single: Record) -> None:
    """Each format says what the run found: the JSON is the journal itself, the others name
    the experiment, the verdict and each failed probe's measured value."""
    assert json.loads(report.render(single, "json")) == single.dump()
    failed = _failed(single)
    assert failed
    for fmt in ("md", "html"):
        text = report.render(single, fmt)
        assert single.title in text and "DEVIATED" in text, fmt
        for p in failed:
            assert fmt_value(p.value, p.probe) in text, (fmt, p.key)
    cases = [c for s in JUnitXml.fromstring(report.render(single, "junit")) for c in s]
    assert sum(any(isinstance(x, Failure) for x in c.result) for c in cases) == len(failed)


def test_reports_of_an_older_journal_match_the_new(single: Record) -> None:
    """A journal an older chaoscli wrote (schema 1: no schema_version, no peaks) is upgraded
    and gives the same report in every format as the record it came from."""
    old: dict[str, Any] = single.dump()
    del old["schema_version"]
    old["$schema"] = "https://chaoscli.dev/schemas/journal-1.json"
    del old["metrics"]["peak_offered_rps"]
    for w in old["windows"].values():
        del w["peak_offered_rps"], w["peak_utilisation"]
    upgraded = from_json(old)
    for fmt in report.FORMATS:
        assert report.render(upgraded, fmt) == report.render(single, fmt), fmt


def test_format_from_extension() -> None:
    """The report format follows the file's extension; an unknown one is refused."""
    from pathlib import Path

    from chaoscli.errors import SpecError

    assert [report.format_for(Path(f"x.{e}")) for e in ("html", "md", "xml", "json")] == [
        "html",
        "md",
        "junit",
        "json",
    ]
    with pytest.raises(SpecError):
        report.format_for(Path("x.pdf"))


def test_a_tripped_stop_condition_fails_its_own_junit_case(single: Record, tmp_path: Any) -> None:
    """A method ended by a stop condition shows as a failed case naming the condition."""
    stopped = single.model_copy(deep=True)
    stopped.stopped = Stop(t=139.0, condition=0, reason="visible errors 6% over 10 s")
    path = tmp_path / "j.xml"
    path.write_text(junit.render(stopped))
    cases = [case for suite in JUnitXml.fromfile(str(path)) for case in suite]
    stop = next(c for c in cases if c.name == "no stop condition tripped")
    assert isinstance(stop.result[0], Failure) and "139 s" in stop.result[0].message


def test_a_slow_tail_is_blamed_on_blackholes_or_dark_nodes_only_when_there_were_some() -> None:
    """A gray failure 5 s slow has a p99 past every timeout, but no target was unreachable and
    no load-balancer node went dark: the findings say neither; router-failure's do."""
    gray = journal.build(run(load("gray-failure", SHORT, ["latency_ms=5000"]), seed=0))
    texts = " ".join(f.title + f.detail + f.fix for f in findings.findings(gray))
    assert "Retries dominate p99" in texts
    assert "Blackholed" not in texts and "load-balancer node" not in texts
    router = journal.build(run(load("router-failure", SHORT), seed=0))
    assert any(f.title.startswith("Blackholed") for f in findings.findings(router))
