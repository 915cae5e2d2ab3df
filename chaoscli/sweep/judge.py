"""One run of one point, judged as ``chaoscli run`` judges it: the engine over the point's
control plane for one seed, the stop conditions watched second by second (a trip cuts the
method and the seed is simulated again on the cut plane), the hypothesis checked per window.
"""

from __future__ import annotations

from collections.abc import Callable

from chaoscli.aws.cloudwatch import Alarm
from chaoscli.experiment import journal
from chaoscli.experiment.hypothesis import recovery_rule
from chaoscli.experiment.lifecycle import ended
from chaoscli.experiment.loader import Loaded
from chaoscli.experiment.many import RunFigures, summary
from chaoscli.experiment.method import ControlPlane
from chaoscli.experiment.passes import advance, judged, scenario, until_trip
from chaoscli.experiment.runner import Outcome
from chaoscli.experiment.stop_conditions import StopWatch, Trip
from chaoscli.record.runs import RunSummary
from chaoscli.sim.cloudwatch_series import CloudWatchSeries
from chaoscli.sim.engine import Engine
from chaoscli.sim.measures import measure
from chaoscli.sim.world import Event
from chaoscli.topology import Topology

PlaneFor = Callable[[int, float | None], ControlPlane]  # (seed, cut_at) -> control plane


def judge(
    loaded: Loaded,
    before: Topology,
    plane_for: PlaneFor,
    alarms: dict[str, Alarm],
    seed: int,
) -> tuple[RunSummary, str | None]:
    """The run's summary, and what customers saw first when it deviated (else None)."""
    exp = loaded.experiment
    cp = plane_for(seed, None)
    engine = Engine(scenario(exp, cp, seed, None))
    watch = StopWatch(exp, alarms, before.load_balancer, CloudWatchSeries())
    trip = until_trip(engine, watch, None)
    cut_at = trip.t if trip else None
    if trip is not None:
        cp = plane_for(seed, cut_at)
        engine.resume(scenario(exp, cp, seed, cut_at))
    advance(engine, exp.traffic.duration_s)
    result = engine.result()
    windows, probes = judged(exp, result, cut_at)
    measures = measure(
        result,
        windows,
        recovery_rule(exp.hypothesis),
        engine.scenario.model.dns_ttl_s,
        exp.hypothesis.patience_s,
    )
    run = summary(seed, probes, RunFigures.of(measures), cut_at, cp.events)
    if run.held:
        return run, None
    out = Outcome(loaded=loaded, seed=seed, topology_before=before, result=result)
    out.windows, out.probes, out.measures = windows, probes, measures
    out.events = sorted([*cp.events, *result.world.events, *_guard(trip)], key=lambda e: e.t)
    out.stopped = trip.as_dict() if trip else None
    out.status = ended(out)
    return run, cause(out)


def _guard(trip: Trip | None) -> list[Event]:
    if trip is None:
        return []
    return [Event(trip.t, "guard", f"stop condition tripped: {trip.reason}; method ended")]


def cause(out: Outcome) -> str:
    """The title of the run's top finding; the first failed probe when no finding explains it."""
    record = journal.build(out)
    if record.findings:
        return record.findings[0].title
    if out.stopped is not None:
        return f"stop condition: {out.stopped['reason']}"
    failed = next((p for p in out.probes if not p.ok), None)
    return f"{failed.probe} failed {failed.window}" if failed else "deviated"
