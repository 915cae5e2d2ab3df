"""The journal: Chaos Toolkit's core fields, the shipped JSON Schema, and determinism."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run

SHORT = ["traffic.duration_s=300", "engine.samples_per_s=500"]


def short_journal(seed: int = 0) -> dict[str, Any]:
    """A five-minute az-outage run at low resolution, as a journal."""
    return journal.build(run(load("az-outage", SHORT), seed=seed))


@pytest.fixture(scope="module")
def j() -> dict[str, Any]:
    """One short journal shared by this module's tests."""
    return short_journal()


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    """A validator for the schema that ships inside the package."""
    text = (resources.files("chaoscli") / "schemas" / "journal.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_journal_validates_against_shipped_schema(j: dict, validator: Any) -> None:
    """A real run's journal is valid under the packaged schema."""
    errors = [e.message for e in validator.iter_errors(j)]
    assert errors == []


def test_schema_rejects_broken_core_fields(j: dict, validator: Any) -> None:
    """The schema is not vacuous: a wrong status or missing steady states fail."""
    bad = copy.deepcopy(j)
    bad["status"] = "finished"
    assert not validator.is_valid(bad)
    bad = copy.deepcopy(j)
    del bad["steady_states"]
    assert not validator.is_valid(bad)
    bad = copy.deepcopy(j)
    bad["timeline"][0]["success_ratio"] = 1.5
    assert not validator.is_valid(bad)


def test_schema_allows_new_metric_fields(j: dict, validator: Any) -> None:
    """Metrics and timeline entries may gain fields (orders, queue depth) without a new schema."""
    more = copy.deepcopy(j)
    more["metrics"]["lost_orders"] = 0
    more["timeline"][0]["order_queue_depth"] = 12.5
    assert validator.is_valid(more)


def test_steady_states_agree_with_hypothesis(j: dict) -> None:
    """Each window's steady_state_met is the conjunction of its probes, and deviated matches."""
    probes = j["hypothesis"]["probes"]
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


def test_virtual_times_match_duration(j: dict) -> None:
    """start, end and duration are virtual: end - start equals the simulated seconds."""
    from datetime import datetime

    start = datetime.fromisoformat(j["start"])
    end = datetime.fromisoformat(j["end"])
    assert (end - start).total_seconds() == j["duration"] == len(j["timeline"])
    step = j["experiment"]["method"][0]
    action = j["run"][0]
    assert action["activity"]["name"] == step["fault"]
    at = (datetime.fromisoformat(action["start"]) - start).total_seconds()
    assert at == step["at_s"]


def test_same_seed_same_journal(tmp_path: Path) -> None:
    """Two runs with the same seed, each in its own process, write identical journals."""
    texts = []
    for n in (1, 2):
        path = tmp_path / f"j{n}.json"
        args = ["run", "az-outage", "--journal", str(path)]
        for item in SHORT:
            args += ["--set", item]
        subprocess.run([sys.executable, "-m", "chaoscli", *args], capture_output=True, timeout=300)
        doc = json.loads(path.read_text())
        doc.pop("wall_clock", None)
        texts.append(json.dumps(doc, sort_keys=True))
    assert texts[0] == texts[1]
