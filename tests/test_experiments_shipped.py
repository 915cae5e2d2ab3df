"""Every shipped experiment validates, runs, and gives the verdict it declares."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaoscli.errors import SpecError
from chaoscli.experiment.loader import available, load
from chaoscli.experiment.runner import run

SHIPPED = sorted(available())
FAST = ["engine.samples_per_s=500"]


def test_the_promised_experiments_are_shipped() -> None:
    """The six experiments of the issue are there, each with a title and a description."""
    assert {
        "az-outage",
        "router-failure",
        "rds-failover",
        "instance-crash",
        "gray-failure",
        "black-friday",
    } <= set(SHIPPED)
    for name in SHIPPED:
        exp = load(name).experiment
        assert exp.title and exp.description and exp.faults


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_each_experiment_gives_its_declared_verdict(name: str) -> None:
    """Run at reduced sampling: the verdict matches ``expect`` and the stack is restored."""
    loaded = load(name, FAST)
    out = run(loaded, seed=0)
    verdict = "deviated" if out.deviated else "held"
    failed = [f"{p.window} {p.probe}={p.value:.4g}" for p in out.probes if not p.ok]
    assert verdict == loaded.experiment.expect, failed
    assert out.status == {"held": "completed", "deviated": "failed"}[verdict]
    assert out.restored == []


def test_black_friday_ramps_to_a_million_and_breaks_a_zone_at_the_peak() -> None:
    """The campaign's traffic step reaches 1,000,000 requests/s before the zone outage."""
    exp = load("black-friday").experiment
    spike = next(s for s in exp.method if s.fault == "traffic-spike")
    outage = next(s for s in exp.method if s.fault == "az-outage")
    assert exp.traffic.rps == 200_000 and spike.rps == 1_000_000
    assert spike.start_s + spike.ramp_s <= outage.start_s
    assert outage.end_s <= spike.end_s - spike.ramp_s


def _write(tmp_path: Path, doc: dict[str, object]) -> str:
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def test_steps_without_at_s_follow_each_other_and_waits_move_the_clock(tmp_path: Path) -> None:
    """A wait of 60 s between two faults puts the second one 60 s after the first ends."""
    doc = {
        "title": "t",
        "traffic": {"duration_s": 900},
        "method": [
            {"fault": "rds-failover", "at_s": 100, "duration_s": 50},
            {"wait_s": 60},
            {"fault": "instance-crash", "selection": "COUNT(1)", "duration_s": 30},
        ],
    }
    exp = load(_write(tmp_path, doc)).experiment
    assert [(s.fault, s.start_s, s.end_s) for s in exp.method] == [
        ("rds-failover", 100, 150),
        ("wait", 150, 210),
        ("instance-crash", 210, 240),
    ]
    assert [s.fault for s in exp.faults] == ["rds-failover", "instance-crash"]


@pytest.mark.parametrize(
    ("step", "field", "line"),
    [
        ({"fault": "instance-crash", "selection": "MOST"}, "method.0.selection", 7),
        ({"fault": "az-outage", "rps": 5}, "method.0", 6),
        ({"fault": "traffic-spike"}, "method.0", 6),
        ({"fault": "meteor-strike"}, "method.0.fault", 6),
    ],
)
def test_a_bad_step_names_file_line_and_field(
    tmp_path: Path, step: dict[str, object], field: str, line: int
) -> None:
    """pydantic's error comes back as one SpecError with the file, the line and the field."""
    doc = {"title": "t", "description": "d", "traffic": {"duration_s": 600}, "method": [step]}
    path = _write(tmp_path, doc)
    with pytest.raises(SpecError) as caught:
        load(path)
    assert caught.value.field == field and caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: {field}: ")


def test_an_unknown_strategy_is_rejected_and_the_known_ones_pick_windows(tmp_path: Path) -> None:
    """Chaos Toolkit's five strategy names map to the windows that are judged."""
    expected = {
        "default": ["before", "after"],
        "before-method-only": ["before"],
        "after-method-only": ["after"],
        "during-method-only": ["during"],
        "continuously": ["before", "during", "after"],
    }
    for strategy, windows in expected.items():
        doc = {"title": "t", "method": [], "hypothesis": {"strategy": strategy}}
        assert load(_write(tmp_path, doc)).experiment.hypothesis.checked_windows == windows
    with pytest.raises(SpecError, match=r"hypothesis\.strategy"):
        load(
            _write(tmp_path, {"title": "t", "method": [], "hypothesis": {"strategy": "sometimes"}})
        )
