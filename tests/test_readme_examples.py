"""The README's example outputs are what the code prints now (regenerate with `make docs`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoscli.cli import readme
from chaoscli.experiment import field_table

SHOWN = readme.blocks(readme.README.read_text(encoding="utf-8"))


def _check(names: list[str], folder: Path) -> None:
    for name in names:
        example = readme.by_name(name)
        now = readme.normalised(readme.output(example, folder))
        assert now == readme.normalised(SHOWN[name]), (
            f"README.md's example {name!r} ({example.command}) is stale: run `make docs`"
        )


def test_every_block_is_an_example_and_every_example_is_shown() -> None:
    """No block the generator does not know, none it would write missing from the README."""
    assert sorted(SHOWN) == sorted(e.name for e in readme.EXAMPLES)


def test_the_examples_stay_affordable() -> None:
    """The staleness test costs at most three runs of an experiment (one of them a dry run at a
    twentieth of the sampling), plus commands that run nothing, plus the assessment of the
    shipped template (its matrix: seven runs, and six re-runs of the cells' fixes, one of
    them the weak point's) and one small sweep (twelve engine runs at a
    twenty-fifth of the sampling, on one stack)."""
    assert sum(e.runs for e in readme.EXAMPLES if e.name not in ("assess", "sweep")) <= 3
    assert readme.by_name("assess").runs <= 13
    assert readme.by_name("sweep").runs <= 1


def test_examples_that_run_nothing_match_the_readme(tmp_path: Path) -> None:
    """Help, listings and tables: printed again and compared."""
    _check([e.name for e in readme.EXAMPLES if e.runs == 0], tmp_path)


@pytest.mark.parametrize("name", [e.name for e in readme.EXAMPLES if e.runs])
def test_examples_of_runs_match_the_readme(name: str, tmp_path: Path) -> None:
    """Each example that runs an experiment, run again in this process and compared."""
    _check([name], tmp_path)


def test_a_changed_output_is_caught(tmp_path: Path) -> None:
    """The comparison sees a one-character change, and ignores only wall-clock times."""
    example = readme.by_name("list")
    now = readme.output(example, tmp_path)
    assert readme.normalised(now.replace("a", "b", 1)) != readme.normalised(now)
    assert readme.normalised("at 2026-11-30T12:25:51Z") == readme.normalised(
        "at 2027-01-01T00:00:00Z"
    )


def test_every_field_has_a_meaning_and_no_meaning_is_stale() -> None:
    """The fields table lists every field with a meaning; MEANING names only real fields."""
    rows = list(field_table.rows())
    paths = [r.path for r in rows]
    assert [r.path for r in rows if not r.meaning] == []
    assert sorted(set(field_table.MEANING) - set(paths)) == []
    for wanted in (
        "topology.stack",
        "topology.region",
        "topology.instance_type",
        "topology.load_balancer.algorithm",
        "topology.load_balancer.deregistration_delay_s",
        "topology.health_check.path",
        "topology.autoscaling.warmup_s",
        "stop_conditions[].alarm",
        "alarms[].threshold",
    ):
        assert wanted in paths


def test_nothing_refers_to_files_outside_the_repository() -> None:
    """No README, code, docstring or test names a developer's notes or a machine's paths."""
    root = readme.ROOT
    files = [root / "README.md", root / "CONTRIBUTING.md", root / "Makefile"]
    files += [*(root / "chaoscli").rglob("*.py"), *(root / "tests").rglob("*.py")]
    files += [*(root / "chaoscli" / "experiments").glob("*.yaml")]
    outside = ("GUIDE" + ".md", "/" + "work/")
    found = [
        f"{path.relative_to(root)}: {word}"
        for path in files
        for word in outside
        if word in path.read_text(encoding="utf-8")
    ]
    assert found == []
