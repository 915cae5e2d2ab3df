"""`chaoscli run` end to end against in-process moto: verdicts, exit codes, journal, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import chaoscli

# Lower resolution and half the run: the zone is lost at 120 s and stays lost past 300 s, so
# the before and during windows, all these tests judge, are both in it.
FAST = [
    "--set",
    "engine.samples_per_s=500",
    "--set",
    "traffic.duration_s=300",
    "--no-verify-fixes",
]


@pytest.fixture(scope="module")
def default_journal(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict]:
    """The shipped az-outage, as `make run` runs it, with its journal."""
    path = tmp_path_factory.mktemp("j") / "journal.json"
    mp = pytest.MonkeyPatch()
    try:
        code = chaoscli(mp, "run", "az-outage", "--journal", str(path))
    finally:
        mp.undo()
    return code, json.loads(path.read_text())


def test_default_topology_holds(default_journal: tuple[int, dict]) -> None:
    """Three zones with headroom pass az-outage: exit 0 and the hypothesis held."""
    code, j = default_journal
    assert code == 0
    assert j["status"] == "completed" and j["deviated"] is False
    assert j["metrics"]["availability"] >= 0.999


def test_journal_has_the_promised_fields(default_journal: tuple[int, dict]) -> None:
    """The journal carries status, seed, the experiment as run, metrics, timeline, events."""
    _, j = default_journal
    for key in ("status", "deviated", "seed", "experiment", "metrics", "timeline", "events"):
        assert key in j
    for key in (
        "requests",
        "visible_errors",
        "availability",
        "worst_second_success_ratio",
        "p99_latency_ms",
        "reroute_s",
        "db_write_unavailable_s",
    ):
        assert key in j["metrics"]
    second = j["timeline"][130]
    assert set(second["served"]) == {"ap-south-1a", "ap-south-1b", "ap-south-1c"}
    assert second["served"]["ap-south-1a"] == 0  # the zone is dark at t=130 s
    assert j["experiment"]["traffic"]["rps"] == 200000
    assert 60 <= j["metrics"]["db_write_unavailable_s"] <= 120
    kinds = {e["kind"] for e in j["events"]}
    assert {"fault", "rollback", "lb", "db"} <= kinds


def test_single_zone_deviates_because_availability_collapses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same capacity in one zone: fine before the fault, unavailable during it."""
    path = tmp_path / "j.json"
    code = chaoscli(
        monkeypatch,
        "run",
        "az-outage",
        "--set",
        "topology.azs=1",
        "--set",
        "topology.instances_per_az=75",
        "--journal",
        str(path),
        *FAST,
    )
    assert code == 1
    probes = {
        (p["window"], p["probe"]): p for p in json.loads(path.read_text())["hypothesis"]["probes"]
    }
    assert probes[("before", "availability")]["ok"]
    assert probes[("during", "availability")]["value"] < 0.05


def test_literal_single_zone_override_deviates(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--set topology.azs=1` alone deviates (exit 1)."""
    assert chaoscli(monkeypatch, "run", "az-outage", "--set", "topology.azs=1", *FAST) == 1


def test_load_above_two_zones_deviates_after_losing_the_third(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """250,000 req/s fit three zones (375,000) but not two (250,000 at 100%)."""
    path = tmp_path / "j.json"
    code = chaoscli(
        monkeypatch,
        "run",
        "az-outage",
        "--set",
        "traffic.rps=300000",
        "--journal",
        str(path),
        *FAST,
    )
    assert code == 1
    j = json.loads(path.read_text())
    probes = {(p["window"], p["probe"]): p for p in j["hypothesis"]["probes"]}
    assert probes[("before", "availability")]["ok"]
    assert not probes[("during", "availability")]["ok"]
    assert max(s["utilisation"]["ap-south-1b"] for s in j["timeline"]) > 1.0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "no-such-experiment"], "no-such-experiment: unknown experiment"),
        (["run", "az-outage", "--set", "topology.azs=0"], "topology.azs"),
        (["run", "az-outage", "--set", "topology.azz=3"], "topology.azz: unknown field"),
        (["run", "az-outage", "--set", "nosuch.field=1"], "--set: nosuch: unknown field"),
        (["run", "az-outage", "--var", "nope=1"], "--var: nope"),
        (["run", "az-outage", "--var", "at_s=soon"], "--var: at_s"),
        (
            ["run", "az-outage", "--var", "az=ap-south-1z"],
            "--var: az: ap-south-1z is not a zone of ap-south-1",
        ),
        (["run", "az-outage", "--set", "traffic.rps=-5"], "traffic.rps"),
        (["run", "az-outage", "--set", "topology.health_check.timeout_s=30"], "timeout_s"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needle: str,
) -> None:
    """Each bad input gives exit 2 and one line naming the file or option and the field."""
    assert chaoscli(monkeypatch, *args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err


def test_set_into_a_null_method_step_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--set into a step the file left null fills it in and validation judges it: one line
    naming the missing fault, exit 2, no internal error."""
    path = tmp_path / "null-step.yaml"
    path.write_text("title: t\nmethod:\n- null\n")
    assert chaoscli(monkeypatch, "run", str(path), "--set", "method.0.at_s=5") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "method.0.fault" in err, err


def test_bad_yaml_names_file_and_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A wrong type in a file names the file, the line and the dotted field."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\ntopology:\n  azs: 3\n  instances_per_az: many\n")
    assert chaoscli(monkeypatch, "run", str(bad)) == 2
    assert f"{bad}:4: topology.instances_per_az" in capsys.readouterr().err
