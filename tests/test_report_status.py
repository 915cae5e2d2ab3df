"""Chaos Toolkit's status words in the journal, and the verdicts and JUnit cases they give:
``completed`` (ran, held), ``failed`` (ran, deviated), ``aborted`` (a stop condition or an
error ended it), ``interrupted`` (SIGINT or SIGTERM; see tests/test_run_end.py)."""

from __future__ import annotations

import hashlib
import json
import shlex
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from junitparser import Error, JUnitXml

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load, resolve
from chaoscli.experiment.runner import run
from chaoscli.record import Record
from chaoscli.report import junit
from chaoscli.report.words import verdict_line
from tests.helpers import chaoscli

SHORT = ["traffic.duration_s=300", "engine.samples_per_s=500"]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Record:
    """router-failure with a stop condition that trips during the fault."""
    doc = yaml.safe_load(resolve("router-failure").read_text())
    doc["stop_conditions"] = [{"metric": "visible_error_ratio", "above": 0.005, "over_s": 10}]
    path = tmp_path_factory.mktemp("guard") / "guarded.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return journal.build(run(load(str(path), SHORT), seed=0))


def _errors(record: Record) -> list[Error]:
    """The JUnit <error> results of a record's report."""
    cases = [c for s in JUnitXml.fromstring(junit.render(record)) for c in s]
    return [x for c in cases for x in c.result if isinstance(x, Error)]


def test_a_deviated_run_is_failed_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that ran and deviated says ``failed`` (not ``completed``), exits 1, and its JUnit
    file has no error: the run itself went fine."""
    path = tmp_path / "j.json"
    sets = [a for s in SHORT for a in ("--set", s)]
    code = chaoscli(
        monkeypatch,
        "run",
        "router-failure",
        *sets,
        "--no-verify-fixes",
        "--journal",
        str(path),
        "--report",
        str(tmp_path / "r.md"),
    )
    j = json.loads(path.read_text())
    assert code == 1
    assert j["status"] == "failed" and j["deviated"] is True
    record = Record.model_validate(j)
    assert record.verdict == "deviated" and verdict_line(record)[0] == "DEVIATED"
    assert _errors(record) == []
    # the run says where it came from: the command line as typed, when, and the file's digest
    typed = ["run", "router-failure", *sets, "--no-verify-fixes", "--journal", str(path)]
    typed += ["--report", str(tmp_path / "r.md")]
    assert j["provenance"]["command"] == shlex.join(["chaoscli", *typed])
    assert datetime.fromisoformat(j["start"]).year >= 2024
    digest = hashlib.sha256(resolve("router-failure").read_bytes()).hexdigest()
    assert j["provenance"]["experiment_sha256"] == digest
    heading = (tmp_path / "r.md").read_text().splitlines()[0]
    assert "DEVIATED (expected)" in heading and "✅" not in heading
    assert "--set traffic.duration_s=300" in heading


def test_a_stop_condition_aborts_with_a_verdict(guarded: Record) -> None:
    """A method a stop condition ended is ``aborted``, and still judged: deviated, with the
    stop-condition case failing in JUnit, not an error."""
    assert guarded.stopped is not None
    assert guarded.status == "aborted" and guarded.error is None
    assert guarded.judged and guarded.verdict == "deviated"
    assert verdict_line(guarded)[0] == "DEVIATED"
    assert _errors(guarded) == []
    assert all(a.status == "succeeded" for a in guarded.run)


def test_an_error_aborts_without_a_verdict(guarded: Record) -> None:
    """A run an error stopped is ``aborted`` with no verdict, and JUnit reports the error."""
    broken = guarded.model_copy(update={"error": "describe_instances: throttled"})
    assert not broken.judged and broken.verdict == "aborted"
    assert verdict_line(broken) == ("ABORTED", "describe_instances: throttled")
    errors = _errors(broken)
    assert len(errors) == 1 and "throttled" in (errors[0].message or "")


def test_an_older_journal_that_says_completed_keeps_its_verdict(guarded: Record) -> None:
    """A journal written before these words (``completed`` for every run that ran) is still
    read with the verdict it had."""
    old = guarded.model_copy(update={"status": "completed", "stopped": None})
    assert old.judged and old.verdict == "deviated"
