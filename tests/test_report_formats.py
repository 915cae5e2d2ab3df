"""Markdown, JUnit, HTML and findings made from real journals: held, single-zone, overloaded."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pytest
from junitparser import Failure, JUnitXml

from chaoscli import report
from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.report import findings, html, junit, markdown
from chaoscli.report.words import label

SHORT = ["traffic.duration_s=300", "engine.samples_per_s=500"]


def short_journal(*sets: str) -> dict[str, Any]:
    """A five-minute az-outage run at low resolution, with extra overrides, as a journal."""
    return journal.build(run(load("az-outage", [*SHORT, *sets]), seed=0))


@pytest.fixture(scope="module")
def held() -> dict[str, Any]:
    """The shipped topology: three zones with headroom."""
    return short_journal()


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    """The counter-example: everything in one zone."""
    return short_journal("topology.azs=1", "topology.instances_per_az=75")


@pytest.fixture(scope="module")
def overloaded() -> dict[str, Any]:
    """Three zones without headroom: two zones cannot carry the load alone."""
    return short_journal("topology.instances_per_az=16")


def _failed(j: dict[str, Any]) -> list[dict[str, Any]]:
    """The probes that did not hold."""
    return [p for p in j["hypothesis"]["probes"] if not p["ok"]]


def test_markdown_lists_every_probe_and_the_verdict(single: dict) -> None:
    """Each probe has a table row; the heading carries the verdict; failures say by how much."""
    text = markdown.render(single)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(single["hypothesis"]["probes"])
    word = "DEVIATED" if single["deviated"] else "HELD"
    assert text.splitlines()[0].endswith(word)
    assert text.count("**FAIL**") == len(_failed(single))


def test_junit_has_one_case_per_probe_with_the_shortfall(single: dict, tmp_path: Any) -> None:
    """A JUnit parser reads it; each failed probe's message names the tolerance and the gap."""
    path = tmp_path / "j.xml"
    path.write_text(junit.render(single))
    xml = JUnitXml.fromfile(str(path))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == len(single["hypothesis"]["probes"]) + 1  # and "no stop condition"
    failed = {c.name: c for c in cases if any(isinstance(r, Failure) for r in c.result)}
    assert len(failed) == len(_failed(single)) > 0
    for p in _failed(single):
        case = failed[f"{p['window']}: {label(p['probe'])} {p['bound']}"]
        message = case.result[0].message
        tol = p["tolerance"]
        if p["value"] is None:
            assert "no value was measured" in message
        elif tol.get("min") is not None and p["value"] < tol["min"]:
            gap = re.search(r"([\d.,]+) points below the minimum", message)
            assert gap is not None
            assert math.isclose(float(gap.group(1)), (tol["min"] - p["value"]) * 100, abs_tol=1e-3)
        else:
            assert "above the maximum" in message


def test_junit_all_adds_a_verdict_case_per_experiment(held: dict, single: dict) -> None:
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


def test_findings_explain_every_failed_probe(single: dict, overloaded: dict) -> None:
    """Every failed probe is covered by at least one finding of severity 'cause'."""
    for j in (single, overloaded):
        found = findings.findings(j)
        explained = {k for f in found if f.severity == "cause" for k in f.probes}
        assert {f"{p['window']}/{p['probe']}" for p in _failed(j)} <= explained


def test_single_zone_finding_names_the_zone(single: dict) -> None:
    """The single-zone counter-example is called out with its zone and a three-zone fix."""
    (f,) = findings.single_zone(single)
    assert single["topology"]["before"]["azs"][0] in f.detail
    assert "azs: 3" in f.fix


def test_overload_finding_gives_enough_instances(overloaded: dict) -> None:
    """The overload finding's instance count keeps two surviving zones below 80% busy at the
    offered peak (retries fade once capacity suffices, so they are not sized for)."""
    (f,) = findings.overload(overloaded)
    need = int(re.search(r"instances_per_az: (\d+)", f.fix).group(1))  # type: ignore[union-attr]
    exp = overloaded["experiment"]
    load = max(s["requests"] for s in overloaded["timeline"])
    cap = exp["topology"]["instance_capacity_rps"]
    assert need * 2 * cap * 0.8 >= load > (need - 1) * 2 * cap * 0.8
    assert need > exp["topology"]["instances_per_az"]


def test_detection_finding_multiplies_interval_by_threshold(held: dict) -> None:
    """Slow health-check detection is explained as interval x threshold, with a faster fix."""
    j = copy.deepcopy(held)
    j["metrics"]["reroute_s"] = 62.0
    j["topology"]["before"]["load_balancer"]["health_check"].update(
        interval_s=30.0, unhealthy_threshold=2
    )
    (f,) = findings.detection(j)
    assert f.title == "Detection took 62 s"
    assert "30 s x unhealthy threshold 2 = 60 s" in f.detail
    assert "about 10-12 s" in f.fix and "timeout_s 2" in f.fix
    assert findings.detection(held) == []  # the shipped stack reroutes within a second


def test_html_is_self_contained(overloaded: dict) -> None:
    """No scripts, no external links or images; CSS for print; one SVG per chart."""
    page = html.render(overloaded)
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@page" in page and "@media print" in page
    assert page.count("<svg") == 5
    for az in overloaded["topology"]["before"]["azs"]:
        assert az in page
    for f in findings.findings(overloaded):
        assert html._e(f.title) in page


def test_reports_tolerate_older_and_newer_journals(held: dict) -> None:
    """Absent metrics render as what is present; new fields show up without code changes."""
    old = copy.deepcopy(held)
    for key in ("peak_utilisation", "visible_error_causes", "reroute_s", "db_primary_az"):
        old["metrics"].pop(key, None)
    for second in old["timeline"]:
        for key in ("utilisation", "served", "p99_latency_ms", "db_writable"):
            second.pop(key, None)
    for w in old["windows"].values():
        w.pop("slow_tail_retried_share", None)
    for fmt in report.FORMATS:
        assert report.render(old, fmt)
    new = copy.deepcopy(held)
    new["metrics"]["lost_orders"] = 7
    for n, second in enumerate(new["timeline"]):
        second["order_queue_depth"] = float(n)
    page = html.render(new)
    assert "lost orders" in page and "order-queue depth" in page
    assert "7 lost" in markdown.render(new)


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


def test_a_tripped_stop_condition_fails_its_own_junit_case(single: dict, tmp_path: Any) -> None:
    """A method ended by a stop condition shows as a failed case naming the condition."""
    stopped = copy.deepcopy(single)
    stopped["stopped"] = {"t": 139.0, "condition": 0, "reason": "visible errors 6% over 10 s"}
    path = tmp_path / "j.xml"
    path.write_text(junit.render(stopped))
    cases = [case for suite in JUnitXml.fromfile(str(path)) for case in suite]
    stop = next(c for c in cases if c.name == "no stop condition tripped")
    assert isinstance(stop.result[0], Failure) and "139 s" in stop.result[0].message
