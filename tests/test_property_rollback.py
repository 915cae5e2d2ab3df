"""Property: whatever schedule of faults a run goes through, rollback restores the topology."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.discover import discover
from chaoscli.aws.lease import acquire
from chaoscli.aws.session import AwsSession, in_process_session
from chaoscli.experiment.loader import Loaded
from chaoscli.experiment.runner import compare, plan_for
from chaoscli.experiment.runner import run as run_experiment
from chaoscli.experiment.spec import Experiment
from chaoscli.topology import Topology
from tests.endpoint_helpers import REGION, experiment_doc, fault_names, step_for

DURATION = 40
_seeds = itertools.count(1000)
ZONES = [f"{REGION}{z}" for z in "abc"]
# The faults a method step can name on this topology, each with a step the file format accepts.
FAULTS = [name for name in fault_names() if step_for(name) is not None]


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[AwsSession, Topology]]:
    """One in-process stack for every example, and its topology before any of them."""
    exp = Experiment.model_validate(experiment_doc([], duration_s=DURATION))
    with in_process_session(REGION) as session:
        acquire(session, _scratch_log(), plan_for(exp))
        yield session, discover(session, "shop")


def _scratch_log() -> RollbackLog:
    import tempfile

    return RollbackLog(tempfile.mkstemp(suffix=".rollback")[1])


@st.composite
def schedules(draw: st.DrawFn) -> Experiment:
    """One to four fault steps, possibly overlapping, at random zones, times and lengths; only
    schedules the file format accepts."""
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        fault = draw(st.sampled_from(FAULTS))
        at_s = draw(st.integers(0, DURATION - 1))
        duration = draw(st.integers(1, 2 * DURATION))
        step = step_for(fault, at_s=at_s, duration_s=duration)
        if step is None:
            reject()  # like assume(False): hypothesis draws another example instead
        if "az" in step:
            zone = draw(st.sampled_from([*ZONES, None]))
            if zone is None:
                del step["az"]
            else:
                step["az"] = zone
        steps.append(step)
    try:
        return Experiment.model_validate(experiment_doc(steps, duration_s=DURATION))
    except ValidationError:
        reject()  # a combination the file format rejects is no schedule to roll back


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(exp=schedules())
def test_rollback_restores_topology_after_any_schedule(
    shop: tuple[AwsSession, Topology], exp: Experiment
) -> None:
    """A run of a random schedule ends with the stack re-discovered as it was before."""
    session, before = shop
    assert exp.method, "every example runs at least one fault"
    loaded = Loaded(exp, "<property>", exp.model_dump(mode="json"))
    # One in-process moto serves every example, so each run needs ids of its own: reseeding
    # moto with a seed it has used draws ids it already holds (the runner seeds it).
    out = run_experiment(loaded, seed=next(_seeds), aws=session)
    assert out.status == ("failed" if out.deviated else "completed")
    after = discover(session, "shop")
    unexpected = [line for line in compare(before, after) if not line.startswith("expected:")]
    assert unexpected == [], exp.method
