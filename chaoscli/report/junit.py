"""JUnit XML: one test case per hypothesis probe, and one per experiment for ``run --all``,
so a CI system shows which tolerance failed and by how much."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from chaoscli.record.model import Record
from chaoscli.report.words import (
    endpoint,
    expectation,
    fmt,
    overrides,
    shortfall,
    titled,
    verdict_line,
)


@dataclass(frozen=True)
class Case:
    """One experiment's record (None when it was aborted before it had one), the name it ran
    under, the verdict it expected, and the error that aborted it."""

    name: str
    record: Record | None
    expect: str | None = None
    error: str | None = None

    @property
    def verdict(self) -> str:
        """held, deviated, or the status of a run that gave no verdict."""
        return self.record.verdict if self.record else "aborted"

    def verdict_line(self) -> tuple[str, str]:
        """The verdict's word and why, as every format says it."""
        if self.record is None:
            return "ABORTED", self.error or "no verdict"
        return verdict_line(self.record)


def _probe_cases(suite: ET.Element, case: Case) -> tuple[int, int]:
    """Add a test case per probe; returns (tests, failures)."""
    r = case.record
    probes = r.hypothesis.probes if r else []
    failures = 0
    for p in probes:
        tc = ET.SubElement(
            suite,
            "testcase",
            name=f"{p.window}: {p.label} {p.bound}",
            classname=f"chaoscli.{case.name}.{p.window}",
            time="0",
        )
        measured = f"measured {fmt(p.value, p.probe)}"
        if p.ok:
            ET.SubElement(tc, "system-out").text = measured
            continue
        message = f"{p.label} {p.window}: {measured}, {shortfall(p)}"
        if case.expect == "deviated":
            # a counter-example: its probes are meant to fail; the verdict case judges it
            ET.SubElement(tc, "skipped", message=f"expected to deviate: {message}")
            continue
        if r is not None and r.runs is not None:
            # one run of many: the verdict case judges the share that held
            ET.SubElement(tc, "skipped", message=f"run 1 of {r.runs.count}: {message}")
            continue
        failures += 1
        fail = ET.SubElement(tc, "failure", message=message, type="ToleranceNotMet")
        fail.text = f"{message}\ntolerance: {p.bound}\nseed: {r.seed if r else None}"
    return len(probes), failures


def _verdict_case(suite: ET.Element, case: Case) -> tuple[int, int]:
    """Add the experiment-level case: did the verdict match what the experiment expects."""
    got = case.verdict
    tc = ET.SubElement(
        suite, "testcase", name=f"verdict is {case.expect}", classname=f"chaoscli.{case.name}"
    )
    tc.set("time", "0")
    word, why = case.verdict_line()
    if case.record is not None:
        word += expectation(case.record)
    if got == case.expect:
        ET.SubElement(tc, "system-out").text = f"{word}: {why}"
        return 1, 0
    message = f"expected {case.expect}, got {got}: {why}"
    ET.SubElement(tc, "failure", message=message, type="UnexpectedVerdict").text = message
    return 1, 1


def _stop_case(suite: ET.Element, case: Case) -> int:
    """Add the case that fails when a stop condition ended the method; returns failures."""
    stopped = case.record.stopped if case.record else None
    tc = ET.SubElement(
        suite, "testcase", name="no stop condition tripped", classname=f"chaoscli.{case.name}"
    )
    tc.set("time", "0")
    many = case.record is not None and case.record.runs is not None
    if stopped and case.expect != "deviated" and not many:
        message = f"stop condition tripped at {stopped.t:.0f} s: {stopped.reason}"
        ET.SubElement(tc, "failure", message=message, type="StopCondition").text = message
        return 1
    if stopped:
        why = "run 1 of many" if many else "expected to deviate"
        ET.SubElement(tc, "skipped", message=f"{why}: stop condition tripped")
    return 0


def render_many(cases: list[Case]) -> str:
    """A <testsuites> document with one suite per experiment."""
    root = ET.Element("testsuites", name="chaoscli")
    totals = [0, 0, 0]
    for case in cases:
        r = case.record
        suite = ET.SubElement(root, "testsuite", name=f"chaoscli.{case.name}")
        tests, failures = _probe_cases(suite, case)
        errors = 0
        failures += _stop_case(suite, case)
        tests += 1
        if r is None or not r.judged:
            tc = ET.SubElement(suite, "testcase", name="run", classname=f"chaoscli.{case.name}")
            tc.set("time", "0")
            why = (r.error or r.status) if r else (case.error or "aborted")
            ET.SubElement(tc, "error", message=why)
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
        values = {
            "seed": r.seed if r else None,
            "title": titled(r) if r else case.name,
            "source": r.source if r else None,
        }
        if r is not None:
            values |= {
                "start": r.start,
                "end": r.end,
                "command": r.provenance.command,
                "overrides": overrides(r),
                "experiment_sha256": r.provenance.experiment_sha256,
                "endpoint": endpoint(r),
                "chaoscli_version": r.chaoscli_version,
            }
        for key, value in values.items():
            ET.SubElement(props, "property", name=key, value=str(value))
        suite.insert(0, suite[-1])
        del suite[-1]
        totals = [totals[0] + tests, totals[1] + failures, totals[2] + errors]
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def render(r: Record) -> str:
    """JUnit XML for one run."""
    name = (r.source or "experiment").rsplit("/", 1)[-1].removesuffix(".yaml")
    # a counter-example is judged by its verdict case; its failing probes are expected
    expect = "deviated" if r.experiment.expect == "deviated" else None
    if r.runs is not None:  # over many runs the verdict case carries the share that held
        expect = expect or "held"
    return render_many([Case(name, r, expect)])
