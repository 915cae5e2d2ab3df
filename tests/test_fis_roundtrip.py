"""An exported FIS template, run back with `chaoscli run TEMPLATE.json`, gives the verdict and
the figures of the experiment it came from, with the same seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import chaoscli

SAMPLED = ("--set", "engine.samples_per_s=500")


def journal(monkeypatch: pytest.MonkeyPatch, path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``args`` with a journal at ``path``; the exit code and the journal."""
    code = chaoscli(monkeypatch, "run", *args, "--no-verify-fixes", "--journal", str(path))
    return code, json.loads(path.read_text())


@pytest.mark.parametrize(
    ("name", "overrides", "seed"),
    [
        ("az-outage", ("--var", "mode=api-stop"), "0"),
        ("rds-failover", (), "3"),
        ("instance-crash", ("--var", "selection=PERCENT(20)"), "1"),
    ],
)
def test_exported_template_runs_back_to_the_same_figures(
    name: str,
    overrides: tuple[str, ...],
    seed: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Same exit code, verdict, probes, availability, p99, visible errors, timeline and
    findings; only the experiment's own words and where it was read from differ."""
    template = tmp_path / "exported.json"
    args = (*overrides, *SAMPLED)
    assert chaoscli(monkeypatch, "export", "fis", name, *args, "-o", str(template)) == 0
    code_a, a = journal(monkeypatch, tmp_path / "a.json", name, *args, "--seed", seed)
    code_b, b = journal(monkeypatch, tmp_path / "b.json", str(template), "--seed", seed)
    out = " ".join(capsys.readouterr().out.split())
    assert f"hypothesis: no visible downtime, no lost orders (the shop's own, from {name}" in out
    assert code_a == code_b
    assert a["deviated"] == b["deviated"]
    assert a["hypothesis"] == b["hypothesis"]
    for figure in ("availability", "p99_latency_ms", "visible_errors", "lost_orders"):
        assert a["metrics"][figure] == b["metrics"][figure], figure
    assert a["metrics"] == b["metrics"]
    assert a["windows"] == b["windows"]
    assert a["timeline"] == b["timeline"]
    assert a["findings"] == b["findings"]
    assert a["stopped"] == b["stopped"]
    assert b["source"] == str(template)
    assert [s["fault"] for s in a["experiment"]["method"]] == [
        s["fault"] for s in b["experiment"]["method"]
    ]


def test_a_power_loss_exports_as_fis_does_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """az-outage's power loss becomes FIS's API stop: said on export, and the template reads
    back as mode api-stop (what FIS would run), not as the power loss."""
    template = tmp_path / "exported.json"
    assert chaoscli(monkeypatch, "export", "fis", "az-outage", "-o", str(template)) == 0
    assert "FIS cannot cut power" in capsys.readouterr().err
    assert chaoscli(monkeypatch, "validate", str(template)) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "one zone outage of ap-south-1a (mode api-stop" in out


def test_the_shipped_template_runs_with_what_is_not_modelled_in_summary_and_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Power Interruption-shaped template runs on the default shop; Pause-EBS-IO is named
    as not modelled after the summary and in the journal's experiment."""
    code, j = journal(monkeypatch, tmp_path / "j.json", "fis/az-power-interruption.json", *SAMPLED)
    out = " ".join(capsys.readouterr().out.split())
    assert code in (0, 1)
    assert j["status"] in ("completed", "failed")  # held or deviated: judged either way
    assert "read from the AWS FIS template az-power-interruption.json:" in out
    assert "- not modelled: Pause-EBS-IO (aws:ebs:pause-volume-io)" in out
    assert out.index("rollback:") < out.index("not modelled: Pause-EBS-IO")
    assert "Not modelled: Pause-EBS-IO" in j["experiment"]["description"]
    assert [s["fault"] for s in j["experiment"]["method"]] == ["az-outage"]
