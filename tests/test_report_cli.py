"""`chaoscli report`, `run --report`, `run --all` and GitHub's job summary, in process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import JUnitXml

from chaoscli.cli import reports as reports_cli
from chaoscli.experiment.loader import available
from tests.helpers import chaoscli

SHORT = ["--set", "traffic.duration_s=300", "--set", "engine.samples_per_s=500"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One short run writing every report format and a job summary."""
    out = tmp_path_factory.mktemp("run")
    summary = out / "summary.md"
    summary.write_text("earlier step\n")
    mp = pytest.MonkeyPatch()
    mp.setenv("GITHUB_STEP_SUMMARY", str(summary))
    try:
        args = ["run", "az-outage", *SHORT, "--journal", str(out / "j.json")]
        for name in ("r.html", "r.xml", "r.md", "r.json"):
            args += ["--report", str(out / name)]
        code = chaoscli(mp, *args)
    finally:
        mp.undo()
    return {"dir": out, "code": code, "journal": json.loads((out / "j.json").read_text())}


def test_run_writes_every_report(ran: dict) -> None:
    """Each --report file exists in the format its extension names."""
    d, j = ran["dir"], ran["journal"]
    assert ran["code"] == (1 if j["deviated"] else 0)
    assert (d / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert json.loads((d / "r.json").read_text()) == j
    suite = next(iter(JUnitXml.fromfile(str(d / "r.xml"))))
    assert len(suite) == len(j["hypothesis"]["probes"]) + 1  # and "no stop condition tripped"
    assert (d / "r.md").read_text().startswith("## ")


def test_run_appends_to_github_step_summary(ran: dict) -> None:
    """The job summary keeps what was there and gains the run's Markdown."""
    text = (ran["dir"] / "summary.md").read_text()
    assert text.startswith("earlier step\n")
    assert ran["journal"]["title"] in text and "| window |" in text


def test_report_command_formats(ran: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """`report` writes each format, by -o extension or --format, and rejects an unknown one."""
    d = ran["dir"]
    assert chaoscli(monkeypatch, "report", str(d / "j.json"), "-o", str(d / "again.xml")) == 0
    assert (d / "again.xml").read_text() == (d / "r.xml").read_text()
    args = ["report", str(d / "j.json"), "--format", "html", "-o", str(d / "x.out")]
    assert chaoscli(monkeypatch, *args) == 0
    assert (d / "x.out").read_text() == (d / "r.html").read_text()
    assert chaoscli(monkeypatch, "report", str(d / "j.json"), "--format", "pdf") == 2
    assert chaoscli(monkeypatch, "report", str(d / "missing.json")) == 2
    (d / "bad.json").write_text("{not json")
    assert chaoscli(monkeypatch, "report", str(d / "bad.json")) == 2


def test_report_reads_an_older_journal_and_refuses_a_newer_one(
    ran: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A schema-1 journal (no schema_version, no peaks) gives the same report as the run's
    own; one of a newer schema is refused in one line with exit code 2."""
    d, j = ran["dir"], ran["journal"]
    old = {k: v for k, v in j.items() if k != "schema_version"}
    old["$schema"] = "https://chaoscli.dev/schemas/journal-1.json"
    del old["metrics"]["peak_offered_rps"]
    for w in old["windows"].values():
        del w["peak_offered_rps"], w["peak_utilisation"]
    (d / "old.json").write_text(json.dumps(old))
    capsys.readouterr()
    assert chaoscli(monkeypatch, "report", str(d / "old.json"), "-f", "md") == 0
    assert capsys.readouterr().out == (d / "r.md").read_text()
    (d / "new.json").write_text(json.dumps({**j, "schema_version": j["schema_version"] + 1}))
    assert chaoscli(monkeypatch, "report", str(d / "new.json")) == 2
    err = capsys.readouterr().err
    assert "newer than this chaoscli reads" in err and err.count("\n") == 1


def _experiment(folder: Path, name: str, expect: str, **topology: Any) -> Path:
    """A copy of az-outage with an expected verdict and topology changes."""
    doc = yaml.safe_load(available()["az-outage"].read_text())
    doc["expect"] = expect
    doc["topology"].update(topology)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_run_shipped_checks_declared_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--all passes when each verdict is the declared one, fails when one is not."""
    folder = {
        "three-zones": _experiment(tmp_path, "three-zones", "held"),
        "one-zone": _experiment(tmp_path, "one-zone", "deviated", azs=1, instances_per_az=75),
    }
    monkeypatch.setattr(reports_cli, "available", lambda: folder)
    xml = tmp_path / "all.xml"
    html = tmp_path / "all.html"
    args = ["run", "--all", *SHORT, "--report", str(xml), "--report", str(html)]
    assert chaoscli(monkeypatch, *args) == 0
    suites = {s.name: s for s in JUnitXml.fromfile(str(xml))}
    assert set(suites) == {"chaoscli.three-zones", "chaoscli.one-zone"}
    assert (tmp_path / "all-one-zone.html").exists() and (
        tmp_path / "all-three-zones.html"
    ).exists()
    del folder["one-zone"]  # one surprise is enough to fail, and one run is enough to show it
    assert chaoscli(monkeypatch, "run", "--all", *SHORT, "--set", "expect=deviated") == 1


def test_run_without_experiment_or_all_is_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming no experiment and no --all is a usage error."""
    assert chaoscli(monkeypatch, "run") == 2
