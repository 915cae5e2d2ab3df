"""One validation for `validate` and `run`: hostile YAML refused cheaply, every float field
finite, cross-field checks, and the same line from both commands."""

from __future__ import annotations

import math
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from chaoscli.aws.regions import known_regions, zones_of
from chaoscli.errors import SpecError
from chaoscli.experiment.loader import available, load
from chaoscli.experiment.spec import Experiment
from chaoscli.experiment.yaml_guard import MAX_BYTES, MAX_DEPTH, MAX_NODES, GuardedLoader
from tests.endpoint_helpers import cli

# one of each list item, so every float field of the spec has a place in the document
FULL: dict[str, Any] = {
    "title": "every field",
    "method": [{"fault": "az-outage"}],
    "stop_conditions": [{"metric": "p99_latency_ms", "above": 100}],
    "alarms": [{"name": "a", "metric": "RequestCount", "threshold": 1}],
}


def _write(tmp_path: Path, doc: Any, name: str = "exp.yaml") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def _refusal(*args: str) -> str:
    """The one line `validate ARGS` prints, asserting exit 2 and nothing else on stderr."""
    r = cli("validate", *args)
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    return lines[0]


def _parts(annotation: Any) -> list[Any]:
    """The types a field may hold: Optional, unions and Annotated unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _parts(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [p for a in typing.get_args(annotation) for p in _parts(a)]
    return [annotation]


def float_fields(model: type[BaseModel], prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a float in the spec, read from the pydantic models (new fields included);
    a list of models is entered at its first item, a mapping at key ``x``; a tuple of floats
    ends in ``"tuple"``."""
    out: list[tuple[Any, ...]] = []
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        for part in _parts(field.annotation):
            origin, args = typing.get_origin(part), typing.get_args(part)
            if part is float:
                out.append(path)
            elif isinstance(part, type) and issubclass(part, BaseModel):
                out += float_fields(part, path)
            elif origin is list and args and isinstance(args[0], type):
                if issubclass(args[0], BaseModel):
                    out += float_fields(args[0], (*path, 0))
            elif origin is tuple and float in args:
                out.append((*path, "tuple"))
            elif origin is dict and float in [p for a in args[1:] for p in _parts(a)]:
                out.append((*path, "x"))
    return out


def _put(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set ``path`` in ``doc``, making mappings on the way."""
    if path[-1] == "tuple":
        path, value = path[:-1], [value, value]
    cur: Any = doc
    for part in path[:-1]:
        cur = cur[part] if isinstance(cur, list) else cur.setdefault(part, {})
    cur[path[-1]] = value


FLOATS = float_fields(Experiment)


def test_the_float_fields_are_found() -> None:
    """The enumeration reaches every section, so the test below covers the spec."""
    heads = {p[0] for p in FLOATS}
    assert {"topology", "traffic", "clients", "hypothesis", "method", "engine"} <= heads
    assert {"stop_conditions", "alarms", "parameters"} <= heads
    assert ("topology", "database", "failover_s", "tuple") in FLOATS
    assert ("hypothesis", "availability", "min") in FLOATS
    assert len(FLOATS) > 60


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_every_float_field_refuses_non_finite_values(tmp_path: Path, bad: float) -> None:
    """NaN and infinity are refused in every float field, naming the field."""
    for path in FLOATS:
        doc = yaml.safe_load(yaml.safe_dump(FULL))
        _put(doc, path, bad)
        with pytest.raises(SpecError) as info:
            load(_write(tmp_path, doc))
        field = ".".join(str(p) for p in path if p != "tuple")
        assert "finite" in info.value.message, (path, str(info.value))
        assert info.value.field.startswith(field), (path, str(info.value))


def test_the_full_document_itself_is_valid(tmp_path: Path) -> None:
    """The base of the non-finite test loads, so its refusals are the values' doing."""
    assert load(_write(tmp_path, FULL)).experiment.alarms[0].name == "a"


def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\ntitle: bomb\nmethod: []\n"


def test_an_alias_bomb_is_refused_while_composing(tmp_path: Path) -> None:
    """Aliases nested 9 deep x 9 (9^10 values) are refused at the level that passes the
    limit, long before the end of the file, and nothing is constructed."""
    loader = GuardedLoader(_bomb(9))
    with pytest.raises(yaml.YAMLError) as info:
        loader.get_single_node()
    mark = info.value.problem_mark  # type: ignore[attr-defined]
    assert mark is not None and mark.line + 1 == 5  # a4 (66,430 values) is the first too many
    assert MAX_NODES < loader.nodes <= 9 * MAX_NODES
    line = _refusal(_write(tmp_path, _bomb(9)))
    assert "expands to more than 20,000 values" in line and "exp.yaml:5:" in line


def test_a_small_use_of_aliases_is_fine(tmp_path: Path) -> None:
    """Anchors and aliases within the limit load as YAML says."""
    text = "title: t\nmethod: []\nparameters: {a: &x 3}\ndescription: d\n"
    text += "traffic: {rps: *x, duration_s: 60}\n"
    assert load(_write(tmp_path, text)).experiment.traffic.rps == 3


def test_deep_nesting_is_refused_at_the_limit(tmp_path: Path) -> None:
    """Thousands of nested lists: refused once nesting passes MAX_DEPTH, not a RecursionError."""
    text = "title: x\nmethod: " + "[" * 5000 + "]" * 5000 + "\n"
    line = _refusal(_write(tmp_path, text))
    assert f"nested more than {MAX_DEPTH} levels deep" in line
    ok = "title: x\nmethod: []\nparameters: {a: " + "[" * 20 + "]" * 20 + "}\n"
    with pytest.raises(SpecError, match="parameters"):  # a list is not a scalar: pydantic says
        load(_write(tmp_path, ok))


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    """A file over 1 MiB is refused by its size."""
    path = tmp_path / "big.yaml"
    path.write_text("title: x\nmethod: []\n" + "#" * MAX_BYTES + "\n", encoding="utf-8")
    assert "an experiment file may have at most 1,048,576 bytes" in _refusal(str(path))


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    """An alias inside its own anchor is refused by name."""
    line = _refusal(_write(tmp_path, "title: x\nmethod: &m [*m]\n"))
    assert "alias *m is inside its own anchor" in line


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "title: x\nmethod: []\ntitle: y\n",
            ":3: invalid YAML: duplicate key 'title' (first given on line 1)",
        ),
        (
            "title: x\nmethod: []\ntraffic:\n  rps: 1\n  rps: 2\n",
            ":5: invalid YAML: duplicate key 'rps'",
        ),
        (
            "title: x\nmethod: [{fault: wait, fault: wait}]\n",
            ":2: invalid YAML: duplicate key 'fault'",
        ),
    ],
)
def test_duplicate_keys_are_refused(tmp_path: Path, text: str, where: str) -> None:
    """A key given twice in one mapping is refused with the line of the second."""
    assert where in _refusal(_write(tmp_path, text))


def test_a_merge_key_may_be_overridden(tmp_path: Path) -> None:
    """YAML's merge key is not a duplicate: the mapping's own key wins."""
    text = "title: x\nmethod: []\nparameters: {a: &base {rps: 5}}\n"
    text += "traffic:\n  <<: *base\n  rps: 7\n"
    with pytest.raises(SpecError, match=r"parameters\.a"):  # a mapping is not a parameter value
        load(_write(tmp_path, text))


def test_a_method_is_required_and_an_empty_one_is_a_baseline(tmp_path: Path) -> None:
    """No method: refused with the way out; ``method: []`` is an explicit baseline."""
    line = _refusal(_write(tmp_path, {"title": "t"}))
    assert line.endswith(
        "method: required: list the fault steps, or write `method: []` for a baseline run"
    )
    assert load(_write(tmp_path, {"title": "t", "method": []})).experiment.method == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["az-outage", "--set", "hypothesis.availability.min=99.9"],
            "--set: hypothesis.availability.min: 99.9 is not a ratio in [0, 1], "
            "e.g. 0.999 for 99.9%",
        ),
        (
            ["az-outage", "--set", "hypothesis.p99_latency_ms.max=-5"],
            "--set: hypothesis.p99_latency_ms.max: -5 is below zero: p99_latency_ms never is",
        ),
        (
            [
                "az-outage",
                "--set",
                "hypothesis.availability.min=0.99",
                "--set",
                "hypothesis.availability.max=0.9",
            ],
            "--set: hypothesis.availability: min 0.99 is above max 0.9: no value could hold",
        ),
        (
            ["az-outage", "--set", "topology.region=eu-west-9"],
            "--set: topology.region: unknown region 'eu-west-9'",
        ),
        (
            ["az-outage", "--set", "topology.region=us-west-1", "--set", "topology.azs=3"],
            "--set: topology.azs: 3 zones asked for, but us-west-1 has 2 (us-west-1a, us-west-1b)",
        ),
        (
            ["az-outage", "--set", "method.0.az=us-east-1a"],
            "--set: method.0.az: us-east-1a is not a zone of ap-south-1 "
            "(ap-south-1a, ap-south-1b, ap-south-1c)",
        ),
        (
            ["az-outage", "--set", "topology.azs=2", "--set", "method.0.az=ap-south-1c"],
            "--set: method.0.az: ap-south-1c is not one of the stack's 2 zone(s)",
        ),
        (
            ["rds-failover", "--set", "stop_conditions=[{alarm: nope}]"],
            "--set: stop_conditions.0.alarm: nope is not declared under alarms",
        ),
        (
            ["az-outage", "--set", "stop_conditions=[{metric: visible_error_ratio, above: 5}]"],
            "--set: stop_conditions.0.above: 5 is not a ratio in [0, 1)",
        ),
        (
            ["instance-crash", "--var", "selection=COUNT(100)"],
            "--var: selection: COUNT(100) asks for more targets than the 75 instances of the stack",
        ),
        (
            ["instance-crash", "--var", "selection=COUNT(26)", "--var", "az=ap-south-1a"],
            "--var: selection: COUNT(26) asks for more targets than the 25 instances in the "
            "step's zone",
        ),
        (
            ["az-outage", "--set", "hypothesis.windows=before"],
            "--set: hypothesis.windows: Input should be a valid list",
        ),
        (["az-outage", "--set", "method=3"], "--set: method: Input should be a valid list"),
    ],
)
def test_validate_and_run_refuse_with_the_same_line(args: list[str], expected: str) -> None:
    """`validate` takes run's --set and --var and refuses what run refuses, in the same line,
    before run touches anything (exit 2 from both)."""
    line = _refusal(*args)
    assert line.startswith(f"chaoscli: {expected}"), line
    r = cli("run", *args, "--dry-run")
    assert r.code == 2 and r.err.strip() == line, (r.err, line)


def test_a_count_that_fits_is_valid() -> None:
    """COUNT(n) up to the targets there are passes, as do PERCENT and ALL."""
    assert cli("validate", "instance-crash", "--var", "selection=COUNT(75)").code == 0
    assert cli("validate", "gray-failure", "--set", "method.0.selection=COUNT(25)").code == 0
    assert cli("validate", "instance-crash", "--var", "selection=PERCENT(100)").code == 0


def test_the_region_table_is_the_sandboxs() -> None:
    """Validation knows the zones in-process moto serves, so it names the ones a run picks."""
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    table = RegionsAndZonesBackend.zones
    assert known_regions() == sorted(table)
    for region, zones in table.items():
        names = sorted(
            z.name for z in zones if z.zone_type == "availability-zone" and z.state == "available"
        )
        assert zones_of(region) == names, region


def test_every_shipped_experiment_is_valid() -> None:
    """The checks refuse none of the shipped files."""
    for name in available():
        assert cli("validate", name).code == 0, name


def list_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[str]:
    """Every dotted path to a list or tuple field of the spec, read from the models."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        for part in _parts(field.annotation):
            if typing.get_origin(part) in (list, tuple):
                out.append(".".join(path))
            elif isinstance(part, type) and issubclass(part, BaseModel):
                out += list_fields(part, path)
    return out


def test_a_scalar_set_into_any_list_field_is_one_line(tmp_path: Path) -> None:
    """`--set` of a scalar into a list field, or of an item into one, is refused in one line
    with exit 2, never a TypeError."""
    fields = list_fields(Experiment)
    assert {"method", "stop_conditions", "alarms", "topology.database.failover_s"} <= set(fields)
    path = _write(tmp_path, FULL)
    for field in fields:
        for override in (f"{field}=3", f"{field}=abc", f"{field}.0=3", f"{field}.x=1"):
            line = _refusal(path, "--set", override)
            assert line.startswith(f"chaoscli: --set: {field}"), (override, line)


def test_what_the_engine_cannot_honour_is_refused_naming_the_field_and_the_limit() -> None:
    """A run the engine could not finish in bounded memory and time (chaoscli.sim.limits) is
    refused by validate and run alike, naming the field and the limit."""
    args = ["az-outage", "--set", "traffic.duration_s=86400", "--set", "engine.samples_per_s=5000"]
    line = _refusal(*args)
    assert line.startswith(
        "chaoscli: --set: engine.samples_per_s: traffic.duration_s x engine.samples_per_s is at "
        "most 172,800,000 samples"
    ), line
    assert line.endswith(": the engine's limit")
    r = cli("run", *args, "--dry-run")
    assert r.code == 2 and r.err.strip() == line
