"""With per-zone counts, a capacity fix raises every zone to the count it needs, keeps a zone
that already has more, and prints a ``--set`` that applies: the re-run proof still works."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from chaoscli.errors import SpecError
from chaoscli.experiment import fixes
from chaoscli.experiment.fix_proposals import BY_ZONE, INSTANCES
from chaoscli.experiment.loader import load
from chaoscli.record import Record, read
from chaoscli.record.findings import Fix, Override
from tests.endpoint_helpers import cli

SHORT = ["--set", "traffic.duration_s=300", "--set", "engine.samples_per_s=500"]
UNEVEN = ["--set", "topology.instances_by_zone=[17,16,16]"]  # the lost zone is the 17


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> Record:
    """az-outage on 17/16/16 instances, run through the CLI, its fixes re-run."""
    path = tmp_path_factory.mktemp("zones") / "j.json"
    r = cli("run", "az-outage", *SHORT, *UNEVEN, "--journal", str(path))
    assert r.code == 1, r.err
    return read(path)


def test_the_capacity_fix_sets_every_zone_and_its_set_applies(proven: Record) -> None:
    """The proven capacity fix changes instances_by_zone (instances_per_az would be ignored),
    to the same count in every zone; given to the CLI it holds, one fewer does not."""
    fix = next(f.fix for f in proven.findings if f.fix is not None and f.fix.searched == BY_ZONE)
    assert fix is not None and fix.result is not None and fix.result.held
    assert list(fix.set) == [BY_ZONE] and INSTANCES not in fix.set
    counts = fix.set[BY_ZONE]
    assert isinstance(counts, list) and len(set(counts)) == 1 and counts[0] > 17
    n = counts[0]
    assert f"{BY_ZONE}=[{n},{n},{n}]" in fix.args()
    assert f"Run {n} instances per zone (now 17/16/16)" in fix.words
    tried = {int(t.value): t.held for t in fix.trials}
    assert tried[n] and not tried.get(n - 1, False)
    args = [a for arg in fix.args() for a in ("--set", arg)]
    assert cli("run", "az-outage", *SHORT, *UNEVEN, *args, "--no-verify-fixes").code == 0
    fewer = ["--set", f"{BY_ZONE}=[{n - 1},{n - 1},{n - 1}]"]
    assert cli("run", "az-outage", *SHORT, *fewer, "--no-verify-fixes").code == 1


class Threshold(fixes.Reruns):
    """Re-runs that hold once every zone has ``need`` instances, made from one real record."""

    def __init__(self, then: Record, counts: str, need: int) -> None:
        super().__init__(load("az-outage", [f"{BY_ZONE}={counts}"]), 0, 1, lambda _: None)
        self.then, self.need = then, need

    def __call__(self, sets: Mapping[str, Override]) -> Record | None:
        value = sets.get(BY_ZONE, list(self.loaded.experiment.topology.zone_counts))
        assert isinstance(value, list) and INSTANCES not in sets
        out = self.then.model_copy(deep=True)
        out.deviated = min(value) < self.need
        out.hypothesis.held = not out.deviated
        for w in out.windows.values():
            w.peak_utilisation = 1.5 if out.deviated else 0.7
        if not out.deviated:
            for p in out.hypothesis.probes:
                p.ok = True
        self.done[fixes._key(sets)] = out
        return out


@pytest.mark.parametrize(
    ("counts", "need", "offered"),
    [("[17,16,16]", 19, [19, 19, 19]), ("[25,16,16]", 18, [25, 18, 18])],
)
def test_the_search_raises_each_zone_to_the_need_and_keeps_a_larger_one(
    proven: Record, counts: str, need: int, offered: list[int]
) -> None:
    """Whatever count the re-runs need, every zone is raised to it, a zone above it kept."""
    rerun = Threshold(proven, counts, need)
    fix = Fix(words="", set={BY_ZONE: [20, 20, 20]}, searched=BY_ZONE)
    fixes.search_capacity(rerun, proven, fix)
    assert fix.set == {BY_ZONE: offered}
    assert fix.result is not None and fix.result.verdict == "held"
    tried = {int(t.value): t.held for t in fix.trials}  # the count every zone was raised to
    assert tried[need] and not tried[need - 1]


def test_a_record_with_per_zone_counts_reads_back(proven: Record, tmp_path: Path) -> None:
    """The journal keeps a list override as a list, which the CLI reads again."""
    fix = next(f.fix for f in proven.findings if f.fix is not None and f.fix.searched == BY_ZONE)
    assert fix is not None
    path = tmp_path / "again.json"
    path.write_text(proven.model_dump_json())
    again = read(path)
    same = next(f.fix for f in again.findings if f.fix is not None and f.fix.searched == BY_ZONE)
    assert same is not None and same.set == fix.set


def test_instances_per_az_set_over_per_zone_counts_is_refused_not_ignored() -> None:
    """With ``instances_by_zone`` given, ``instances_per_az`` counts for nothing: a ``--set``
    of it (or a sweep's grid over it, loaded the same way) would change nothing silently, so
    it is refused in one line naming both fields. The file's own value is not an override."""
    assert load("az-outage", ["topology.instances_by_zone=[4,3,3]"]).experiment.topology
    with pytest.raises(SpecError) as refused:
        load("az-outage", ["topology.instances_by_zone=[4,3,3]", "topology.instances_per_az=5"])
    line = str(refused.value)
    assert "\n" not in line
    assert "topology.instances_per_az" in line and "instances_by_zone ([4, 3, 3])" in line
    r = cli("sweep", "az-outage", *UNEVEN, "--grid", "topology.instances_per_az=3,4", "--runs", "1")
    assert r.code == 2 and "instances_by_zone" in r.err and "Traceback" not in r.err
