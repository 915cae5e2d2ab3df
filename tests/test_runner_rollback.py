"""Rollback always runs: after success, an error or Ctrl-C the control plane is as before."""

from __future__ import annotations

import pytest

from chaoscli.errors import ChaosError, Interrupted
from chaoscli.experiment import lifecycle, runner
from chaoscli.experiment.loader import load
from chaoscli.topology import Topology

FAST = ["engine.samples_per_s=300", "traffic.duration_s=300", "topology.instances_per_az=3"]


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Topology, Topology, list[str]]]:
    """Record every before/after comparison the runner makes after its rollback."""
    seen: list[tuple[Topology, Topology, list[str]]] = []
    real = lifecycle.compare

    def spy(before: Topology, after: Topology) -> list[str]:
        diffs = real(before, after)
        seen.append((before, after, diffs))
        return diffs

    monkeypatch.setattr(lifecycle, "compare", spy)
    return seen


def test_success_leaves_the_control_plane_as_before(comparisons: list) -> None:
    """After a run that ran to its end, re-discovery equals the topology before the fault;
    its status is Chaos Toolkit's word for its verdict."""
    out = runner.run(load("az-outage", FAST), seed=1)
    before, after, diffs = comparisons[-1]
    assert out.status == ("failed" if out.deviated else "completed")
    assert diffs == [] and before == after


def test_fault_actually_changed_the_control_plane(monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot after injection shows the zone powered off and cut off (the fault is
    real)."""
    snaps: list = []
    real = runner.Engine

    def capture(scenario):  # type: ignore[no-untyped-def]
        snaps.extend(scenario.snapshots)
        return real(scenario)

    monkeypatch.setattr(runner, "Engine", capture)
    runner.run(load("az-outage", FAST), seed=1)
    broken = snaps[1].topology
    assert {(i.state, i.fault) for i in broken.instances_in("ap-south-1a")} == {
        ("running", "power-off")
    }
    assert not broken.zone_reachable("ap-south-1a")
    assert broken.zone_reachable("ap-south-1b")


@pytest.mark.parametrize(
    ("exc", "raised"), [(ChaosError("boom"), ChaosError), (KeyboardInterrupt(), Interrupted)]
)
def test_error_or_interrupt_during_the_method_still_rolls_back(
    monkeypatch: pytest.MonkeyPatch, comparisons: list, exc: BaseException, raised: type
) -> None:
    """An error or Ctrl-C while the zone is dark: rollback runs and restores everything; the
    interrupt ends as Interrupted, saying what was undone."""

    def explode(self, until_s, on_second=None):  # type: ignore[no-untyped-def]
        raise exc

    monkeypatch.setattr(runner.Engine, "advance", explode)
    with pytest.raises(raised) as caught:
        runner.run(load("az-outage", [*FAST, "method.0.duration_s=1000"]), seed=1)
    if raised is Interrupted:
        assert "rolled back:" in str(caught.value) and "change(s) undone" in str(caught.value)
    before, after, diffs = comparisons[-1]
    assert diffs == [] and before == after
