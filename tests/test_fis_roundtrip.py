"""An exported FIS template, run back with `chaoscli run TEMPLATE.json`, gives the verdict and
the figures of the experiment it came from, with the same seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chaoscli.experiment.loader import available
from tests.helpers import chaoscli

SAMPLED = ("--set", "engine.samples_per_s=500")


def journal(monkeypatch: pytest.MonkeyPatch, path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``args`` with a journal at ``path``; the exit code and the journal."""
    code = chaoscli(monkeypatch, "run", *args, "--no-verify-fixes", "--journal", str(path))
    return code, json.loads(path.read_text())


ZONE = ("--var", "az=ap-south-1b")
# shipped experiments whose template cannot give the same run back, and why
CANNOT = {
    "gray-failure": "FIS has no action for a gray failure: there is no template",
    "black-friday": "FIS has no traffic spike: the template holds the zone outage alone, "
    "so its run back has no peak to judge",
}
# exported as FIS does it, so compared with the experiment run the same way
AS_FIS_DOES = {"az-outage": ("--var", "mode=api-stop")}


def exported(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    path: Path,
    name: str,
    *args: str,
) -> tuple[tuple[str, ...], str]:
    """Export ``name`` to ``path``; a step with no zone is refused first, then given one.
    The overrides the template was made with, and what export said on stderr."""
    code = chaoscli(monkeypatch, "export", "fis", name, *args, "-o", str(path))
    err = capsys.readouterr().err
    if code == 2 and "names no zone" in err:
        assert "--var az=ap-south-1a" in err and not path.exists(), err
        args = (*ZONE, *args)
        code = chaoscli(monkeypatch, "export", "fis", name, *args, "-o", str(path))
        err = capsys.readouterr().err
    assert code == 0, err
    return args, err


def same_run(a: dict[str, Any], b: dict[str, Any], code_a: int, code_b: int) -> None:
    """Same exit code, verdict, probes, figures, windows, timeline, events and findings; only
    the experiment's own words and where it was read from differ."""
    assert code_a == code_b
    assert a["deviated"] == b["deviated"]
    assert a["hypothesis"] == b["hypothesis"]
    for figure in ("availability", "p99_latency_ms", "visible_errors", "lost_orders"):
        assert a["metrics"][figure] == b["metrics"][figure], figure
    for key in ("metrics", "windows", "timeline", "events", "findings", "stopped"):
        assert a[key] == b[key], key
    assert a["experiment"]["method"] == b["experiment"]["method"]


@pytest.mark.parametrize("name", sorted(available()))
def test_each_shipped_experiment_runs_back_from_its_template(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every shipped experiment that exports runs back from its template to the same run with
    the same seed; the ones in CANNOT are the ones export says it cannot carry whole."""
    template = tmp_path / "exported.json"
    if name == "gray-failure":
        code = chaoscli(monkeypatch, "export", "fis", name, *ZONE, "-o", str(template))
        assert code == 2 and "not exportable" in capsys.readouterr().err
        pytest.skip(CANNOT[name])
    args, err = exported(monkeypatch, capsys, template, name, *SAMPLED)
    assert ("not exportable" in err) == (name in CANNOT), err
    if name in CANNOT:
        pytest.skip(CANNOT[name])
    args = (*AS_FIS_DOES.get(name, ()), *args)
    code_a, a = journal(monkeypatch, tmp_path / "a.json", name, *args, "--seed", "1")
    code_b, b = journal(monkeypatch, tmp_path / "b.json", str(template), "--seed", "1")
    out = " ".join(capsys.readouterr().out.split())
    assert f"hypothesis: {a['hypothesis']['title']} (the shop's own, from {name}" in out
    same_run(a, b, code_a, code_b)
    assert b["source"] == str(template)


def test_a_failover_keeps_its_own_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """rds-failover at 60 s for 90 s (not a step's default 300 s) runs back at 60 s for 90 s:
    the wait after the reboot carries the window FIS's reboot has no parameter for."""
    template = tmp_path / "exported.json"
    args = ("--var", "at_s=60", "--var", "duration_s=90", *SAMPLED)
    exported(monkeypatch, capsys, template, "rds-failover", *args)
    window = json.loads(template.read_text())["actions"]["step0-failover-window"]
    assert window["parameters"] == {"duration": "PT1M30S"}
    code_a, a = journal(monkeypatch, tmp_path / "a.json", "rds-failover", *args, "--seed", "3")
    code_b, b = journal(monkeypatch, tmp_path / "b.json", str(template), "--seed", "3")
    step = b["experiment"]["method"][0]
    assert (step["at_s"], step["duration_s"]) == (60.0, 90.0)
    same_run(a, b, code_a, code_b)


def test_a_crash_by_tags_crashes_the_same_instances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """instance-crash of COUNT(3) among the instances tagged Name=shop-web-ap-south-1b runs
    back with the same tags and count: the same three instances of that zone crash."""
    template = tmp_path / "exported.json"
    args = (
        "--set",
        "method.0.tags={Name: shop-web-ap-south-1b}",
        "--var",
        "selection=COUNT(3)",
        *SAMPLED,
    )
    exported(monkeypatch, capsys, template, "instance-crash", *args)
    code_a, a = journal(monkeypatch, tmp_path / "a.json", "instance-crash", *args, "--seed", "1")
    code_b, b = journal(monkeypatch, tmp_path / "b.json", str(template), "--seed", "1")
    step = b["experiment"]["method"][0]
    assert (step["selection"], step["tags"]) == ("COUNT(3)", {"Name": "shop-web-ap-south-1b"})
    lb = [e["message"] for e in b["events"] if e["kind"] == "lb"]
    assert lb and all(m.startswith("ap-south-1b: 25 -> 22") for m in lb[:1]), lb
    same_run(a, b, code_a, code_b)


def test_a_power_loss_exports_as_fis_does_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """az-outage's power loss becomes FIS's API stop: said on export, and the template reads
    back as mode api-stop (what FIS would run), not as the power loss."""
    template = tmp_path / "exported.json"
    assert chaoscli(monkeypatch, "export", "fis", "az-outage", *ZONE, "-o", str(template)) == 0
    assert "FIS cannot cut power" in capsys.readouterr().err
    assert chaoscli(monkeypatch, "validate", str(template)) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "one zone outage of ap-south-1b (mode api-stop" in out


def test_the_shipped_template_runs_with_what_is_not_modelled_in_summary_and_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Power Interruption-shaped template runs on the default shop; Pause-ElastiCache and
    Pause-EBS-IO are named as not modelled after the summary and in the journal's experiment."""
    code, j = journal(monkeypatch, tmp_path / "j.json", "fis/az-power-interruption.json", *SAMPLED)
    out = " ".join(capsys.readouterr().out.split())
    assert code in (0, 1)
    assert j["status"] in ("completed", "failed")  # held or deviated: judged either way
    assert "read from the AWS FIS template az-power-interruption.json:" in out
    assert "- not modelled: Pause-EBS-IO (aws:ebs:pause-volume-io)" in out
    assert out.index("rollback:") < out.index("not modelled: Pause-EBS-IO")
    said = j["experiment"]["description"]
    assert "Not modelled: Pause-ElastiCache" in said and "; Pause-EBS-IO (aws:ebs" in said
    assert [s["fault"] for s in j["experiment"]["method"]] == ["az-outage"]
