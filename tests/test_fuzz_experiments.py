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


SHIPPED: dict[str, dict[str, Any]] = {
    name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in available().items()
}
PROBES = ["availability", "p99_latency_ms", "slow_request_ratio", "p99_increase_ms"]
ZONES = ["ap-south-1a", "ap-south-1c", "us-east-1a", "us-west-1c", "ap-northeast-1b", None]


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A shipped experiment with the edits validation exists for (wrong types, NaN and
    infinity, values out of range, unknown regions and zones, undeclared alarms, a missing
    method, duplicate keys, selections beyond the stack), as YAML, and --set overrides."""
    doc = copy.deepcopy(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
    params = doc.get("parameters") or {}
    sets: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(
            st.sampled_from(
                ["region", "azs", "az", "tolerance", "alarm", "method", "selection", "number"]
            )
        )
        if edit == "region":
            region = draw(st.sampled_from(["us-east-1", "us-west-1", "eu-west-9", "moon-1"]))
            doc.setdefault("topology", {})["region"] = region
        elif edit == "azs":
            sets.append(f"topology.azs={draw(st.integers(1, 6))}")
        elif edit == "az":
            zone = draw(st.sampled_from(ZONES))
            if "az" in params:
                params["az"] = zone
            elif doc.get("method"):
                sets.append(f"method.0.az={zone if zone else '~'}")
        elif edit == "tolerance":
            probe, side = draw(st.sampled_from(PROBES)), draw(st.sampled_from(["min", "max"]))
            value = draw(st.sampled_from(["99.9", "0.99", "-5", "5", ".nan", "abc", "[1]"]))
            sets.append(f"hypothesis.{probe}.{side}={value}")
        elif edit == "alarm":
            doc["stop_conditions"] = [{"alarm": "high-5xx"}]
            if draw(st.booleans()):
                doc["alarms"] = [
                    {"name": "high-5xx", "metric": "HTTPCode_ELB_5XX_Count", "threshold": 100}
                ]
        elif edit == "method":
            if draw(st.booleans()):
                doc.pop("method", None)
            else:
                doc["method"] = []
        elif edit == "selection":
            n = draw(st.sampled_from([1, 25, 26, 75, 76, 500]))
            if "selection" in params:
                params["selection"] = f"COUNT({n})"
            sets.append(f"topology.instances_per_az={draw(st.sampled_from([2, 25]))}")
        else:
            field = draw(
                st.sampled_from(
                    ["traffic.rps", "clients.backoff_cap_s", "topology.database.failover_s"]
                )
            )
            value = draw(st.sampled_from([".inf", "-.inf", ".nan", "-1", "1e400", "x", "3"]))
            sets.append(f"{field}={value}")
    text = yaml.safe_dump(doc, allow_unicode=True)
    if draw(st.integers(0, 5)) == 0:
        text += "title: given twice\n"
    return text, sets


def _run_preflight(path: Path, sets: list[str]) -> str | None:
    """What run says before it changes anything: its load, then its pre-flight against
    in-process moto (the zones the endpoint offers, the alarms the account has). None when
    it would go on to provision the stack."""
    from chaoscli.aws.network import pick_azs
    from chaoscli.aws.session import in_process_session
    from chaoscli.experiment.runner import preflight

    try:
        loaded = load(str(path), sets)
        topology = loaded.experiment.topology
        with in_process_session(topology.region) as session:
            preflight(session, loaded, pick_azs(session, topology.azs))
    except SpecError as exc:
        return f"chaoscli: {exc}"
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=edited())
def test_validate_accepts_exactly_what_run_gets_past_validation_with(
    case: tuple[str, list[str]],
) -> None:
    """`validate` passes a file exactly when run's own checks would let it provision; when
    both refuse, they print the same single line (exit 2)."""
    text, sets = case
    path = _write(text)
    args = [a for s in sets for a in ("--set", s)]
    r = cli("validate", str(path), *args)
    said = _run_preflight(path, sets)
    if said is None:
        assert r.code == 0, r.err
    else:
        assert r.code == 2 and r.err.strip() == said, (r.err, said)
