"""Fuzzed experiment files: whatever the bytes, chaoscli answers in one line, never a traceback."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoscli.errors import SpecError
from chaoscli.experiment.loader import available, load
from tests.endpoint_helpers import cli

BASE: dict[str, Any] = yaml.safe_load(available()["az-outage"].read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["${az}", "${nope}", "ap-south-1z", "az-outage", "wait", "-1", "1e400"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside the document."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The shipped az-outage file with a few values replaced, deleted or added, as YAML."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return yaml.safe_dump(doc, allow_unicode=True)


texts = st.one_of(
    mutated(),
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["", "- 1\n- 2\n", "title: [", "title: x\nmethod: {}\n", "a: &x [*x]\n"]),
)


def _write(text: str) -> Path:
    path = Path(tempfile.mkdtemp()) / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_loader_raises_only_spec_errors(text: str) -> None:
    """Loading any file either validates or raises SpecError, nothing else."""
    try:
        load(str(_write(text)))
    except SpecError as exc:
        assert str(exc).strip()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=texts,
    sets=st.lists(
        st.sampled_from(
            [
                "method.0.at_s=abc",
                "method.9.az=x",
                "topology.azs=0",
                "traffic=3",
                "a.b.c=1",
                "=",
                "x",
            ]
        ),
        max_size=2,
    ),
)
def test_cli_validate_never_shows_a_traceback(text: str, sets: list[str]) -> None:
    """`chaoscli validate` on any file exits 0 or 2 and prints no traceback."""
    path = _write(text)
    r = cli("validate", str(path))
    assert r.code in (0, 2), r.err
    assert "Traceback" not in r.err and "internal error" not in r.err
    if sets:
        args = [a for s in sets for a in ("--set", s)]
        r = cli("run", str(path), *args, "--dry-run")
        assert "Traceback" not in r.err and "internal error" not in r.err
        assert r.code in (0, 1, 2), r.err
