"""The experiment life cycle: provision, discover, inject, simulate, judge, roll back.

Control-plane changes happen through the AWS adapter at their virtual times, and the stack
is re-discovered after each one; the simulation is then built from those snapshots alone.
Rollback always runs: after success, deviation, an error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaoscli import stop
from chaoscli.aws.changes import log_home
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.determinism import seed_moto
from chaoscli.aws.discover import discover
from chaoscli.aws.lease import acquire, remember
from chaoscli.aws.network import pick_azs
from chaoscli.aws.session import AwsSession, open_session
from chaoscli.aws.stack_lease import LeaseRequest, lease_for
from chaoscli.errors import SpecError
from chaoscli.experiment import alarms as alarm_setup
from chaoscli.experiment.build import plan_for
from chaoscli.experiment.compare import compare  # noqa: F401  (re-exported for tests)
from chaoscli.experiment.hypothesis import ProbeResult, recovery_rule
from chaoscli.experiment.in_step import in_step as make_in_step
from chaoscli.experiment.lifecycle import Hold, held
from chaoscli.experiment.loader import Loaded, confirm
from chaoscli.experiment.many import (
    RunFigures,
    engine_seeds,
    enough_held,
    seeded_targets,
    summary,
)
from chaoscli.experiment.method import ControlPlane, LiveReplay, drive, undo_step
from chaoscli.experiment.passes import (
    Ahead,
    Shared,
    advance,
    cores,
    finish,
    judged,
    scenario,
    until_trip,
)
from chaoscli.experiment.provenance import Edge
from chaoscli.experiment.spec import Experiment
from chaoscli.experiment.stop_conditions import StopWatch
from chaoscli.experiment.strategy import RollbackStrategy
from chaoscli.record.runs import RunSummary
from chaoscli.sim.cloudwatch_series import CloudWatchSeries
from chaoscli.sim.engine import Engine, RunResult, SecondStats
from chaoscli.sim.measures import RunMeasures, measure
from chaoscli.sim.metrics import WindowMetrics
from chaoscli.sim.world import Event
from chaoscli.topology import Topology

Phase = Callable[[str], None]


@dataclass
class Outcome:
    """Everything a run produced, for the journal and the reports."""

    loaded: Loaded
    seed: int
    status: str = "running"
    topology_before: Topology | None = None
    topology_after: Topology | None = None
    events: list[Event] = field(default_factory=list)
    result: RunResult | None = None
    windows: dict[str, WindowMetrics] = field(default_factory=dict)
    measures: RunMeasures | None = None  # every figure the record carries, from the simulation
    probes: list[ProbeResult] = field(default_factory=list)
    rollback: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    error: str | None = None
    stopped: dict[str, Any] | None = None  # a stop condition ended the method: t, reason
    alarms: list[dict[str, Any]] = field(default_factory=list)  # CloudWatch alarms evaluated
    published_datapoints: int = 0
    runs: list[RunSummary] = field(default_factory=list)  # with --runs N > 1: every run's
    per_seed: bool = False  # the control plane was driven again for each seed
    kept: list[str] = field(default_factory=list)  # changes a rollback strategy left in place
    kept_why: str = ""
    kept_log: str | None = None  # the log that undoes them, where they outlive the process
    log_problems: list[str] = field(default_factory=list)  # writes to the log that failed
    edge: Edge = field(default_factory=Edge)  # wall-clock times, file digest, endpoint

    @property
    def deviated(self) -> bool:
        """The hypothesis did not hold: a probe failed, or a stop condition had to end the
        method (customers' errors or an SRE's alarm said stop, as AWS FIS would). Over many
        runs: fewer than the declared share of them held."""
        if len(self.runs) > 1:
            must = self.loaded.experiment.hypothesis.runs_must_hold
            return not enough_held(sum(r.held for r in self.runs), len(self.runs), must)
        return self.stopped is not None or any(not p.ok for p in self.probes)


_ONCE = (
    "a run that makes each change at its time (as on a real account) is made once; "
    "a second seed that trips a stop condition would make the faults again: give --runs 1 "
    "(repeat it in a sandbox)"
)


def _cut(
    session: AwsSession,
    log: RollbackLog,
    exp: Experiment,
    before: Topology,
    seed: int,
    phase: Phase,
    cut_at: float | None = None,
) -> ControlPlane:
    """Undo the method's steps and drive them again (for another seed, or cut at a trip)."""
    for n in range(len(exp.method)):
        undo_step(session, log, n)
    return drive(session, log, exp, before, seed, phase, cut_at)


def _another(
    session: AwsSession,
    log: RollbackLog,
    shared: Shared,
    before: Topology,
    seed: int,
    phase: Phase,
) -> RunSummary:
    """One more run with another seed, on the same control plane unless the fault draws its
    targets from the seed; a stop condition cuts the method as in the first run."""
    exp, cp = shared.exp, shared.cp
    if seeded_targets(exp):
        cp = _cut(session, log, exp, before, seed, phase)
    engine = Engine(scenario(exp, cp, seed, None))
    watch = StopWatch(exp, shared.alarms, shared.lb, CloudWatchSeries())
    trip = until_trip(engine, watch, None)
    cut_at = trip.t if trip else None
    if trip is not None:
        cp = _cut(session, log, exp, before, seed, phase, cut_at)
        engine.resume(scenario(exp, cp, seed, cut_at))
    return finish(exp, engine, seed, cut_at, cp)


def _more_runs(
    session: AwsSession,
    log: RollbackLog,
    shared: Shared,
    before: Topology,
    seeds: list[int],
    ahead: Ahead,
    phase: Phase,
) -> list[RunSummary]:
    """The runs after the first, in order: each pass started ahead in a worker process, or
    simulated here when it was not or when its cut needs the control plane."""
    out: list[RunSummary] = []
    for n, seed in enumerate(seeds):
        phase(f"simulating run {n + 2} of {len(seeds) + 1}")
        done = ahead.get(n)
        if isinstance(done, RunSummary):
            out.append(done)
        else:
            out.append(_another(session, log, shared, before, seed, phase))
    return out


def _paced(
    session: AwsSession,
    log: RollbackLog,
    exp: Experiment,
    seed: int,
    cut_at: float | None,
    on_second: Callable[[SecondStats], None] | None,
) -> Callable[[SecondStats], None] | None:
    """For a live view: undo what is still in place, then replay the method with the view."""
    if on_second is None:
        return None
    for n in range(len(exp.method)):
        undo_step(session, log, n)
    return LiveReplay(session, log, exp, seed, cut_at).wrap(on_second)


def run(
    loaded: Loaded,
    seed: int = 0,
    endpoint_url: str | None = None,
    rollback_path: Path | None = None,
    phase: Phase = lambda _: None,
    on_second: Callable[[SecondStats], None] | None = None,
    aws: AwsSession | None = None,
    runs: int = 1,
    outcome: Outcome | None = None,
    strategy: RollbackStrategy = RollbackStrategy.ALWAYS,
    lease: LeaseRequest | None = None,
    in_step: bool = False,
) -> Outcome:
    """Run one experiment end to end; the outcome says whether the hypothesis held.

    ``aws`` is a session the caller already opened (guarded, or a dry run's shadow); it is
    used instead of opening one on ``endpoint_url`` and left open. ``runs`` above one repeats
    the engine pass with that many seeds spawned from ``seed`` (the control plane is driven
    once, or once per seed when the fault draws its targets from the seed). ``outcome``, when
    given, is filled in place, so that a caller still has what a run that raised measured;
    ``strategy`` says whether the run rolls back at its end. Where the stack outlives the
    process, the run holds a lease on it (``lease``: how it may take one). ``in_step`` makes
    each change only when the model reaches its time, so a stop condition ends the method
    before its later steps are made; a run on a real account always goes so. The outcome's
    ``edge`` records when the run began and ended on the wall clock, whatever ended it.
    """
    out = outcome or Outcome(loaded=loaded, seed=seed)
    out.edge.begin(loaded.source)
    try:
        return _run(
            loaded,
            seed,
            endpoint_url,
            rollback_path,
            phase,
            on_second,
            aws,
            runs,
            out,
            strategy,
            lease,
            in_step,
        )
    finally:
        out.edge.end()


def _run(
    loaded: Loaded,
    seed: int,
    endpoint_url: str | None,
    rollback_path: Path | None,
    phase: Phase,
    on_second: Callable[[SecondStats], None] | None,
    aws: AwsSession | None,
    runs: int,
    out: Outcome,
    strategy: RollbackStrategy,
    lease: LeaseRequest | None,
    in_step: bool,
) -> Outcome:
    """:func:`run`, between the wall-clock readings of its edge."""
    exp = loaded.experiment
    if runs > 1 and (in_step or (aws is not None and aws.mode == "aws")):
        raise SpecError("--runs", "", _ONCE)
    seeds = engine_seeds(seed, runs)
    first = seeds[0]
    log_path = rollback_path or log_home.new_path()
    opened = nullcontext(aws) if aws else open_session(exp.topology.region, endpoint_url)
    with opened as session, stop.handling(), ExitStack() as stack:
        out.edge.endpoint, out.edge.endpoint_url = session.mode, session.endpoint_url
        hold = Hold(session, RollbackLog(log_path), exp.topology.stack, phase, strategy=strategy)
        holder = lease_for(session, exp.topology.stack, lease or LeaseRequest("run"))
        # after the rollback and teardown below; changes left in place keep the stack marked
        stack.callback(lambda: holder.release(keep=bool(out.kept)))
        with held(hold, out):
            phase = hold.phase
            log = hold.log
            zones = pick_azs(session, exp.topology.azs)
            if session.mocked:
                # in-process moto starts empty; a server may hold earlier runs' resources, and
                # reseeding it would draw their ids again (two NACL associations, one id).
                # Seeded after the first EC2 call, whose one-time set-up draws ids of its own.
                seed_moto(session, seed)
            preflight(session, loaded, zones)
            holder.take()  # refuses, before anything changes, if another command holds it
            holder.record_to(log)
            phase = holder.renewing(phase)
            on_second = holder.renewing(on_second) if on_second else None
            phase("provisioning the stack")
            provisioned = acquire(session, log, plan_for(exp), holder)
            phase("discovering the stack")
            before = discover(session, exp.topology.stack)
            if not provisioned:
                _check_found(before, loaded)
            out.topology_before = before
            remember(log, before)
            alarms, lines = alarm_setup.prepare(session, log, loaded, before.load_balancer)
            out.events += [Event(0.0, "alarm", m) for m in lines]
            workers = 1 if seeded_targets(exp) else cores()
            series = CloudWatchSeries()
            watch = StopWatch(exp, alarms, before.load_balancer, series)
            if in_step or session.mode == "aws":
                phase("simulating customer traffic, making each change at its time")
                stepped = make_in_step(session, log, exp, before, first, phase, watch, on_second)
                cp, engine, trip, view = stepped.cp, stepped.engine, stepped.trip, on_second
                shared = Shared(exp, cp, alarms, before.load_balancer)
                ahead = stack.enter_context(Ahead(shared, seeds[1:], workers))
            else:
                cp = drive(session, log, exp, before, first, phase)
                shared = Shared(exp, cp, alarms, before.load_balancer)
                ahead = stack.enter_context(Ahead(shared, seeds[1:], workers))
                phase("simulating customer traffic")
                engine = Engine(scenario(exp, cp, first, None))
                view = _paced(session, log, exp, first, None, on_second)
                trip = until_trip(engine, watch, view)
                if trip is not None:
                    phase(f"stop condition tripped at t={trip.t:g} s: ending the method there")
                    cp = _cut(session, log, exp, before, first, phase, trip.t)
                    engine.resume(scenario(exp, cp, first, trip.t))
                    view = on_second  # the control plane is in its final state already
            cut_at = trip.t if trip else None
            advance(engine, exp.traffic.duration_s, view)
            result = engine.result()
            if trip is not None:
                out.stopped = trip.as_dict()
                out.events.append(
                    Event(trip.t, "guard", f"stop condition tripped: {trip.reason}; method ended")
                )
            out.events += cp.events
            out.result = result
            out.events += result.world.events
            lb = before.load_balancer
            if lb is not None and alarms:
                series.update(engine.so_far(), result.seconds)
                points = series.points
                out.published_datapoints = alarm_setup.publish(
                    session, points, lb, series.minutes_done
                )
                events, out.alarms = alarm_setup.record(
                    session, log, alarms, points, lb, float(result.seconds)
                )
                out.events += events
            patience = exp.hypothesis.patience_s
            out.windows, out.probes = judged(exp, result, cut_at)
            out.measures = measure(
                result,
                out.windows,
                recovery_rule(exp.hypothesis),
                engine.scenario.model.dns_ttl_s,
                patience,
            )
            if runs > 1:
                out.per_seed = seeded_targets(exp)
                out.runs = [
                    summary(first, out.probes, RunFigures.of(out.measures), cut_at, cp.events)
                ]
                out.runs += _more_runs(session, log, shared, before, seeds[1:], ahead, phase)
    out.events.sort(key=lambda e: e.t)
    return out


def preflight(session: AwsSession, loaded: Loaded, zones: list[str]) -> None:
    """Everything a run checks before it changes anything, given the zones the endpoint
    offers (``pick_azs``): the loader's checks again, then what only the endpoint can say."""
    confirm(loaded)
    _check_zones(zones, loaded)
    alarm_setup.check_exist(session, loaded)


def _check_found(found: Topology, loaded: Loaded) -> None:
    """Refuse a stack found at the endpoint that is not the one the experiment describes.

    Nothing has been changed yet: the run would otherwise judge another topology than the
    one asked for (e.g. ``--set topology.azs=1`` against a three-zone stack left by ``up``).
    """
    t = loaded.experiment.topology
    counts = tuple(len(found.instances_in(az)) for az in found.azs)
    if len(found.azs) != t.azs or counts != t.zone_counts:
        raise SpecError(
            loaded.source,
            "topology",
            f"stack {found.stack} at this endpoint has {len(found.azs)} zone(s) with "
            f"{_per_zone(counts)}, the experiment asks for {t.azs} with "
            f"{_per_zone(t.zone_counts)}: run `chaoscli down` first, or name another "
            "topology.stack",
        )
    group = found.autoscaling
    if (
        group is not None
        and t.autoscaling.enabled
        and group.per_zone != (t.autoscaling.groups == "per_zone")
    ):
        have = "one Auto Scaling group per zone" if group.per_zone else "one Auto Scaling group"
        raise SpecError(
            loaded.source,
            "topology.autoscaling.groups",
            f"stack {found.stack} at this endpoint has {have}, the experiment asks for "
            f"{t.autoscaling.groups}: run `chaoscli down` first, or name another topology.stack",
        )


def _per_zone(counts: tuple[int, ...]) -> str:
    """Instances per zone as ``3 instance(s) each`` or ``4/3/3 instances``."""
    if len(set(counts)) <= 1:
        return f"{counts[0] if counts else 0} instance(s) each"
    return f"{'/'.join(map(str, counts))} instances"


def _check_zones(zones: list[str], loaded: Loaded) -> None:
    """Reject a step naming a zone the stack will not have, before anything is created."""
    for n, step in enumerate(loaded.experiment.method):
        if step.az is not None and step.az not in zones:
            raise SpecError(
                loaded.source, f"method.{n}.az", f"{step.az} is not one of {', '.join(zones)}"
            )
