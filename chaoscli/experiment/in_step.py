"""The method made in step with the model, so that a stop condition stops real faults.

Driving the whole method before simulating lets a stop condition end the *model* early, but
the real changes are all made by then, and cutting them means undoing and making them again.
Here each change is made only once the model has reached its time with no stop condition
tripped, and a trip ends the steps still running there; the steps after it are never made,
as AWS FIS stops an experiment. This is how a run goes on a real account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chaoscli import stop
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.session import AwsSession
from chaoscli.experiment.method import Change, ControlPlane, make, schedule
from chaoscli.experiment.passes import advance, scenario
from chaoscli.experiment.spec import Experiment
from chaoscli.experiment.stop_conditions import StopWatch, Trip
from chaoscli.sim.engine import Engine, SecondStats
from chaoscli.sim.scenario import Snapshot
from chaoscli.topology import Topology

View = Callable[[SecondStats], None] | None


@dataclass
class Stepped:
    """The method as it was made, the engine at the method's end (or its trip), the trip."""

    cp: ControlPlane
    engine: Engine
    trip: Trip | None


def in_step(
    session: AwsSession,
    log: RollbackLog,
    exp: Experiment,
    before: Topology,
    seed: int,
    phase: Callable[[str], None],
    watch: StopWatch,
    view: View,
) -> Stepped:
    """Simulate up to each change, make it unless a stop condition tripped first, go on.

    The engine is resumed under the control plane known so far after every change, so it
    simulates each second once and never sees a snapshot before the change that made it.
    """
    cp = ControlPlane([Snapshot(0.0, before)])
    engine = Engine(scenario(exp, cp, seed, None))
    made: set[tuple[str, int]] = set()
    for change in [*schedule(exp), None]:
        until = watch.seconds if change is None else change[0]
        trip = _simulate_to(engine, watch, view, until)
        if trip is not None:
            _end_running(session, log, exp, cp, seed, phase, trip.t, made)
            engine.resume(scenario(exp, cp, seed, trip.t))
            return Stepped(cp, engine, trip)
        if change is not None:
            make(session, log, cp, change, seed, phase)
            made.add((change[1], change[2]))
            engine.resume(scenario(exp, cp, seed, None))
    return Stepped(cp, engine, None)


def _simulate_to(engine: Engine, watch: StopWatch, view: View, until: float) -> Trip | None:
    """Simulate the seconds before ``until``; the first stop condition to trip, if any."""
    while engine.now < min(until, engine.seconds):
        second = engine.now
        if second >= watch.seconds:  # no stop condition left to watch
            advance(engine, until, view)
            return None
        engine.advance(second + 1, view)
        stop.honour("while simulating customer traffic")
        trip = watch.check(engine.so_far(), second)
        if trip is not None:
            return trip
    return None


def _end_running(
    session: AwsSession,
    log: RollbackLog,
    exp: Experiment,
    cp: ControlPlane,
    seed: int,
    phase: Callable[[str], None],
    cut_at: float,
    made: set[tuple[str, int]],
) -> None:
    """End, at the trip, every step that was injected and is still running."""
    phase(f"stop condition tripped at t={cut_at:g} s: ending the method there")
    ends: list[Change] = [
        c
        for c in schedule(exp, cut_at)
        if c[1] == "end" and ("inject", c[2]) in made and ("end", c[2]) not in made
    ]
    for change in ends:
        make(session, log, cp, change, seed, phase, cut_at)
