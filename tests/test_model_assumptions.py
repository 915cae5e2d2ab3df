"""Every number the model assumes is reachable from the experiment and listed in the README."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from chaoscli.errors import SpecError
from chaoscli.experiment.build import scenario_for
from chaoscli.experiment.loader import load
from chaoscli.experiment.model_table import Assumption, assumptions, markdown
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import ModelParams, Scenario

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- model-table:start -->\n", "<!-- model-table:end -->"


def _other(a: Assumption) -> Any:
    """A valid value other than the default, from the field's type and bounds."""
    kind = a.info.annotation
    if typing.get_origin(kind) is typing.Literal:
        return next(choice for choice in typing.get_args(kind) if choice != a.default)
    if isinstance(a.default, bool):
        return not a.default
    if isinstance(a.default, BaseModel):  # a probe's bound: drop it, or set one
        return {} if a.default.model_dump(exclude_none=True) else {"max": 1.0}
    if isinstance(a.default, tuple):
        return [v / 2 for v in a.default]
    if a.default is None:
        return 100.0
    if isinstance(a.default, int) and not isinstance(a.default, float):
        return a.default + 1
    return a.default / 2 if a.default else 1.0


def _built(sets: list[str]) -> Scenario:
    return scenario_for(load("az-outage", sets).experiment, [], [], seed=0)


def _changed(before: object, after: object) -> set[str]:
    return {
        f.name
        for f in dataclasses.fields(before)  # type: ignore[arg-type]
        if getattr(before, f.name) != getattr(after, f.name)
    }


def _reached() -> dict[str, list[str]]:
    """For each ModelParams and ClientPolicy field, the spec paths whose --set changes it."""
    base = _built([])
    out: dict[str, list[str]] = {}
    for a in assumptions():
        moved = _built([f"{a.path}={json.dumps(_other(a))}"])
        for name in _changed(base.model, moved.model):
            out.setdefault(f"model.{name}", []).append(a.path)
        for name in _changed(base.clients, moved.clients):
            out.setdefault(f"clients.{name}", []).append(a.path)
    return out


def test_every_model_parameter_is_reachable_from_the_spec() -> None:
    """Each field of ModelParams and ClientPolicy changes when some spec field is --set.

    The candidates are the spec fields carrying a unit and a source (the README's model table),
    so a new ModelParams or ClientPolicy field that no such spec field feeds fails here: give
    it a spec field with ``assumed(...)`` and fill it in ``build.scenario_for``.
    """
    reached = _reached()
    wanted = [f"model.{f.name}" for f in dataclasses.fields(ModelParams)] + [
        f"clients.{f.name}" for f in dataclasses.fields(ClientPolicy)
    ]
    assert [name for name in wanted if name not in reached] == []
    assert reached["model.control_plane_delay_s"] == ["topology.load_balancer.api_stop_notice_s"]
    assert reached["model.network_s"] == ["topology.network_ms"]


def test_a_model_field_without_a_spec_path_is_caught() -> None:
    """The enumeration is not vacuous: a field nothing feeds is missing from what is reached."""
    reached = _reached()

    @dataclasses.dataclass(frozen=True)
    class Extended(ModelParams):
        hidden_s: float = 3.0

    missing = [f.name for f in dataclasses.fields(Extended) if f"model.{f.name}" not in reached]
    assert missing == ["hidden_s"]


def test_every_assumption_has_a_unit_source_and_meaning() -> None:
    """Numbers carry a unit; every field names its source and says what it means."""
    found = list(assumptions())
    assert len(found) >= 32
    for a in found:
        assert a.source and a.info.description, a.path
        if isinstance(a.default, int | float) and not isinstance(a.default, bool):
            assert a.unit, a.path


@pytest.mark.parametrize("value", ["nan", ".inf", "-1"])
def test_assumptions_reject_values_that_are_not_finite_or_in_bounds(value: str) -> None:
    """A NaN, an infinity or a negative time is a spec error, not a silent model."""
    with pytest.raises(SpecError, match="api_stop_notice_s"):
        load("az-outage", [f"topology.load_balancer.api_stop_notice_s={value}"])


def test_readme_model_table_is_the_generated_one() -> None:
    """The README's table is ``python -m chaoscli.experiment.model_table``'s output."""
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    table = text.split(START, 1)[1].split(END, 1)[0]
    assert table == markdown()


@pytest.mark.parametrize(
    ("sets", "workers"),
    [
        ([], 4),
        (["topology.instance_type=c6i.2xlarge"], 8),
        (["topology.instance_type=t3.medium"], 2),
        (["topology.instance_type=m5.metal", "topology.vcpus=96"], 96),
        (["topology.workers=100"], 100),
    ],
)
def test_workers_follow_the_instance_types_vcpus(sets: list[str], workers: int) -> None:
    """One worker per vCPU of the type unless the experiment says otherwise; the capacity a
    load test measured stays, so the service time is workers / capacity."""
    model = _built(sets).model
    assert model.workers_per_instance == workers
    assert model.service_time_s == pytest.approx(workers / 5000)


def test_an_instance_type_of_unknown_size_needs_its_vcpus() -> None:
    """A size off the shared ladder is not guessed: the spec error names the field to set."""
    with pytest.raises(SpecError, match="vcpus"):
        load("az-outage", ["topology.instance_type=m5.metal"])
