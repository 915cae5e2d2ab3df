"""JUnit XML: one test case per hypothesis probe, and one per experiment for ``run --all``,
so a CI system shows which tolerance failed and by how much."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from chaoscli.report.words import fmt, label, shortfall, verdict_line


@dataclass(frozen=True)
class Case:
    """One experiment's journal, the name it ran under and the verdict it expected."""

    name: str
    journal: dict[str, Any]
    expect: str | None = None


def verdict_of(j: dict[str, Any]) -> str:
    """held, deviated, or the status of a run that gave no verdict."""
    if j.get("status") != "completed":
        return str(j.get("status"))
    return "deviated" if j.get("deviated") else "held"


def _probe_cases(suite: ET.Element, case: Case) -> tuple[int, int]:
    """Add a test case per probe; returns (tests, failures)."""
    j = case.journal
    probes = (j.get("hypothesis") or {}).get("probes") or []
    failures = 0
    for p in probes:
        tc = ET.SubElement(
            suite,
            "testcase",
            name=f"{p['window']}: {label(p['probe'])} {p['bound']}",
            classname=f"chaoscli.{case.name}.{p['window']}",
            time="0",
        )
        measured = f"measured {fmt(p['value'], p['probe'])}"
        if p["ok"]:
            ET.SubElement(tc, "system-out").text = measured
            continue
        message = f"{label(p['probe'])} {p['window']}: {measured}, {shortfall(p)}"
        if case.expect == "deviated":
            # a counter-example: its probes are meant to fail; the verdict case judges it
            ET.SubElement(tc, "skipped", message=f"expected to deviate: {message}")
            continue
        failures += 1
        fail = ET.SubElement(tc, "failure", message=message, type="ToleranceNotMet")
        fail.text = f"{message}\ntolerance: {p['bound']}\nseed: {j.get('seed')}"
    return len(probes), failures


def _verdict_case(suite: ET.Element, case: Case) -> tuple[int, int]:
    """Add the experiment-level case: did the verdict match what the experiment expects."""
    got = verdict_of(case.journal)
    tc = ET.SubElement(
        suite, "testcase", name=f"verdict is {case.expect}", classname=f"chaoscli.{case.name}"
    )
    tc.set("time", "0")
    word, why = verdict_line(case.journal)
    if got == case.expect:
        ET.SubElement(tc, "system-out").text = f"{word}: {why}"
        return 1, 0
    message = f"expected {case.expect}, got {got}: {why}"
    ET.SubElement(tc, "failure", message=message, type="UnexpectedVerdict").text = message
    return 1, 1


def render_many(cases: list[Case]) -> str:
    """A <testsuites> document with one suite per experiment."""
    root = ET.Element("testsuites", name="chaoscli")
    totals = [0, 0, 0]
    for case in cases:
        j = case.journal
        suite = ET.SubElement(root, "testsuite", name=f"chaoscli.{case.name}")
        tests, failures = _probe_cases(suite, case)
        errors = 0
        stopped = j.get("stopped")
        tc = ET.SubElement(
            suite, "testcase", name="no stop condition tripped", classname=f"chaoscli.{case.name}"
        )
        tc.set("time", "0")
        tests += 1
        if stopped and case.expect != "deviated":
            message = f"stop condition tripped at {stopped['t']:.0f} s: {stopped['reason']}"
            ET.SubElement(tc, "failure", message=message, type="StopCondition").text = message
            failures += 1
        elif stopped:
            ET.SubElement(tc, "skipped", message="expected to deviate: stop condition tripped")
        if j.get("status") != "completed":
            tc = ET.SubElement(suite, "testcase", name="run", classname=f"chaoscli.{case.name}")
            tc.set("time", "0")
            ET.SubElement(tc, "error", message=j.get("error") or str(j.get("status")))
            tests, errors = tests + 1, 1
        if case.expect is not None:
            t, f = _verdict_case(suite, case)
            tests, failures = tests + t, failures + f
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set(
            "skipped",
            str(sum(1 for tc in suite.iter("testcase") if tc.find("skipped") is not None)),
        )
        suite.set("time", "0")
        props = ET.SubElement(suite, "properties")
        for key in ("seed", "title", "source"):
            ET.SubElement(props, "property", name=key, value=str(j.get(key)))
        suite.insert(0, suite[-1])
        del suite[-1]
        totals = [totals[0] + tests, totals[1] + failures, totals[2] + errors]
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def render(j: dict[str, Any]) -> str:
    """JUnit XML for one journal."""
    name = (j.get("source") or "experiment").rsplit("/", 1)[-1].removesuffix(".yaml")
    # a counter-example is judged by its verdict case; its failing probes are expected
    expect = "deviated" if (j.get("experiment") or {}).get("expect") == "deviated" else None
    return render_many([Case(name, j, expect)])
