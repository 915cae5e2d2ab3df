"""The method made in step with the model: each change once, none after a stop condition.

This is how a run goes on a real account; here it is driven against in-process moto with
``in_step=True`` and compared with the usual run, which drives the method first.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaoscli.aws import session as aws_session
from chaoscli.errors import SpecError
from chaoscli.experiment import journal
from chaoscli.experiment.loader import load, resolve
from chaoscli.experiment.runner import Outcome, run
from tests.helpers import variant

GUARD = [{"metric": "visible_error_ratio", "above": 0.005, "over_s": 10}]
CHANGES = ("Stop", "Start", "Replace", "Reboot", "Suspend", "Resume", "Update", "Create", "Delete")


def _counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every AWS operation a run sends, counted by name."""
    calls: Counter[str] = Counter()
    real = aws_session.AwsSession.client

    def client(self: aws_session.AwsSession, service: str) -> Any:
        c = real(self, service)
        if not getattr(c, "_counted", False):
            c.meta.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
            c._counted = True
        return c

    monkeypatch.setattr(aws_session.AwsSession, "client", client)
    return calls


ALL = {"stopped", "run", "rollbacks", "hypothesis", "metrics", "windows", "events"}
MEASURED = {"stopped", "hypothesis", "metrics", "windows"}


def _figures(out: Outcome, keep: set[str] = ALL) -> dict[str, Any]:
    """What a run measured (and, by default, did) from its record: verdict, figures, events."""
    return journal.build(out).model_dump(mode="json", include=keep)


@pytest.mark.parametrize("name", ["az-outage", "rds-failover", "instance-crash"])
def test_in_step_gives_the_same_run_as_driving_first(tmp_path: Path, name: str) -> None:
    """With no trip, making each change at its time gives exactly the usual run's figures."""
    path = variant(tmp_path, name)
    assert _figures(run(load(path), seed=4, in_step=True)) == _figures(run(load(path), seed=4))


def test_a_trip_in_step_makes_each_change_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guarded router failure trips: in step, the fault is made once and ended at the trip;
    driven first (the counter-example), it is made, undone and made again up to the trip."""
    path = variant(tmp_path, "router-failure", stop_conditions=GUARD)
    calls = _counted(monkeypatch)
    stepped = run(load(path), seed=3, in_step=True)
    once = {k: v for k, v in calls.items() if k.startswith(CHANGES)}
    calls.clear()
    driven = run(load(path), seed=3)
    twice = {k: v for k, v in calls.items() if k.startswith(CHANGES)}
    assert stepped.stopped is not None and driven.stopped is not None
    assert stepped.stopped == driven.stopped
    # the NACL made again has another id, so only what was measured is compared
    assert _figures(stepped, MEASURED) == _figures(driven, MEASURED)
    assert once["ReplaceNetworkAclAssociation"] < twice["ReplaceNetworkAclAssociation"]


def test_no_step_after_a_trip_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second fault scheduled after the trip (a database failover) is never made in step;
    driven first (the counter-example), it is made before the model has even run."""
    doc = yaml.safe_load(resolve("router-failure").read_text())
    duration = doc["traffic"]["duration_s"]
    late = {"fault": "rds-failover", "at_s": duration - 60}
    method = [*doc["method"], late]
    path = variant(tmp_path, "router-failure", stop_conditions=GUARD, method=method)
    calls = _counted(monkeypatch)
    out = run(load(path), seed=3, in_step=True)
    assert out.stopped is not None and out.stopped["t"] < duration - 60
    assert "RebootDBInstance" not in calls
    run(load(path), seed=3)
    assert calls["RebootDBInstance"] >= 1


def test_in_step_refuses_more_than_one_seed(tmp_path: Path) -> None:
    """A second seed that tripped would need the faults made again: refused up front."""
    with pytest.raises(SpecError, match="--runs"):
        run(load(variant(tmp_path, "az-outage")), runs=2, in_step=True)
