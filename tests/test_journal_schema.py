"""The journal: Chaos Toolkit's core fields, the JSON Schema generated from the record and
shipped in the package, older journals, and determinism."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chaoscli.errors import SpecError
from chaoscli.experiment import journal
from chaoscli.experiment.loader import available, load, resolve
from chaoscli.experiment.runner import run
from chaoscli.record import SCHEMA_VERSION, Record, from_json
from chaoscli.record.model import comparable
from chaoscli.record.schema import text as schema_text

# short runs: every shipped method starts within them; black-friday's outage starts at 300 s
SHORT = {name: ["traffic.duration_s=300", "engine.samples_per_s=100"] for name in available()}
SHORT["black-friday"] = ["traffic.duration_s=420", "engine.samples_per_s=100"]


@cache
def short_journal(name: str) -> dict[str, Any]:
    """A short, low-resolution run of a shipped experiment, as the JSON it writes."""
    return journal.build(run(load(name, SHORT[name]), seed=0)).dump()


@pytest.fixture(scope="module")
def j() -> dict[str, Any]:
    """The az-outage journal shared by this module's tests."""
    return short_journal("az-outage")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    """A validator for the schema that ships inside the package."""
    text = (resources.files("chaoscli") / "schemas" / "journal.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_shipped_schema_is_the_generated_one() -> None:
    """The packaged schema is exactly what the record's models generate (`make schema`)."""
    shipped = (resources.files("chaoscli") / "schemas" / "journal.schema.json").read_text()
    assert shipped == schema_text()


@pytest.mark.parametrize("name", sorted(available()))
def test_every_shipped_experiment_journal_validates(name: str, validator: Any) -> None:
    """Each shipped experiment's journal is valid under the packaged schema, and reads back
    into the record unchanged."""
    data = short_journal(name)
    assert [e.message for e in validator.iter_errors(data)] == []
    assert data["schema_version"] == SCHEMA_VERSION
    assert from_json(data).dump() == data


def test_schema_rejects_broken_core_fields(j: dict, validator: Any) -> None:
    """The schema is not vacuous: a wrong status, missing steady states, a ratio above one,
    a probe of no window and a missing schema version all fail."""
    assert validator.is_valid(j)
    breakages = [
        lambda d: d.update(status="finished"),
        lambda d: d.pop("steady_states"),
        lambda d: d["timeline"][0].update(success_ratio=1.5),
        lambda d: d["hypothesis"]["probes"][0].update(window="sometime"),
        lambda d: d.pop("schema_version"),
    ]
    for n, breakage in enumerate(breakages):
        bad = copy.deepcopy(j)
        breakage(bad)
        assert not validator.is_valid(bad), n


def test_schema_allows_new_fields(j: dict, validator: Any) -> None:
    """A newer chaoscli may add fields (a new series, a new metric) without breaking readers."""
    more = copy.deepcopy(j)
    more["metrics"]["tail_p999_ms"] = 12.5
    more["timeline"][0]["order_queue_age_s"] = 3.0
    assert validator.is_valid(more)
    assert from_json(more).metrics is not None


def test_an_older_journal_is_upgraded(j: dict) -> None:
    """A journal of schema 1 (no schema_version, no peaks) reads as the same record, its
    peaks taken from its own timeline."""
    old = copy.deepcopy(j)
    del old["schema_version"]
    old["$schema"] = "https://chaoscli.dev/schemas/journal-1.json"
    del old["metrics"]["peak_offered_rps"]
    for w in old["windows"].values():
        del w["peak_offered_rps"], w["peak_utilisation"]
    assert from_json(old).dump() == j


def test_an_unreadable_journal_is_refused_in_one_line(j: dict) -> None:
    """A journal from a newer chaoscli, or an older one missing what the record needs, is
    refused with one line naming the problem (SpecError: exit code 2)."""
    newer = {**j, "schema_version": SCHEMA_VERSION + 1}
    with pytest.raises(SpecError, match="newer than this chaoscli reads") as exc:
        from_json(newer, "new.json")
    assert "\n" not in str(exc.value)
    old = {k: v for k, v in j.items() if k not in ("schema_version", "timeline")}
    with pytest.raises(SpecError, match="missing, and"):
        from_json(old, "old.json")
    old["$schema"] = "https://chaoscli.dev/schemas/journal-1.json"
    with pytest.raises(SpecError, match=r"older journal .*timeline") as exc:
        from_json(old, "old.json")
    assert "\n" not in str(exc.value)
    with pytest.raises(SpecError, match="not a chaoscli journal"):
        from_json([1, 2], "list.json")


def test_steady_states_agree_with_hypothesis(j: dict) -> None:
    """Each window's steady_state_met is the conjunction of its probes, and deviated matches."""
    probes = j["hypothesis"]["probes"]
    assert probes
    met_all = True
    for window, state in j["steady_states"].items():
        mine = [p for p in probes if p["window"] == window]
        if state is None:
            assert mine == []
            continue
        assert [p["activity"]["name"] for p in state["probes"]] == [p["probe"] for p in mine]
        assert state["steady_state_met"] == all(p["ok"] for p in mine)
        met_all &= state["steady_state_met"]
    assert j["deviated"] == (not met_all)


def test_start_and_end_are_wall_clock_and_the_rest_virtual(j: dict) -> None:
    """start and end are the wall-clock times of the run (UTC, in order, this year or later);
    duration and the activities' stamps are virtual: an action starts at its step's at_s."""
    start = datetime.fromisoformat(j["start"])
    end = datetime.fromisoformat(j["end"])
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert start.year >= 2024 and start <= end
    assert j["duration"] == len(j["timeline"])
    step = j["experiment"]["method"][0]
    action = j["run"][0]
    assert action["activity"]["name"] == step["fault"]
    at = (datetime.fromisoformat(action["start"]) - journal.VIRTUAL_EPOCH).total_seconds()
    assert at == step["at_s"]


def test_the_record_says_where_the_run_came_from(j: dict) -> None:
    """The provenance: overrides as given, the file's SHA-256, in-process moto."""
    path = resolve("az-outage")
    prov = j["provenance"]
    assert prov["overrides"] == [f"--set {s}" for s in SHORT["az-outage"]]
    assert prov["experiment_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov["endpoint"] == "in-process" and prov["endpoint_url"] is None


def test_record_figures_are_the_simulations(j: dict) -> None:
    """The record copies the simulation's figures: the whole run's peak offered load is the
    timeline's highest second, each window's peak is that of its own seconds."""
    rec = Record.model_validate(j)
    assert rec.metrics is not None
    assert rec.metrics.peak_offered_rps == max(s.requests for s in rec.timeline)
    for w in rec.windows.values():
        inside = [s for s in rec.timeline if w.start_s <= s.t < w.end_s]
        assert w.peak_offered_rps == max(s.requests for s in inside)
        assert w.peak_utilisation == max(max(s.utilisation.values()) for s in inside)


def test_same_seed_same_journal(tmp_path: Path) -> None:
    """Two runs with the same seed, each in its own process, write identical journals but
    for the wall-clock times they ran at."""
    texts = []
    for n in (1, 2):
        path = tmp_path / f"j{n}.json"
        args = ["run", "az-outage", "--journal", str(path)]
        for item in SHORT["az-outage"]:
            args += ["--set", item]
        subprocess.run(
            [sys.executable, "-m", "chaoscli", *args], capture_output=True, timeout=300, check=True
        )
        texts.append(path.read_text())
    first, second = (json.loads(t) for t in texts)
    assert first["start"] != "1970-01-01T00:00:00+00:00"
    assert comparable(first) == comparable(second)
    assert first["seed"] == 0
