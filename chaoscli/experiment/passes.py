"""Engine passes: an experiment simulated for one seed over a control plane already driven.

The extra runs of ``--runs N`` are such passes. A pass touches no AWS API, so when the
fault's targets do not depend on the seed the passes can run in worker processes, one
core each; a pass that a stop condition cuts short comes back as its trip, for the caller
to cut the method through the control plane and simulate that seed again.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context

from chaoscli import stop
from chaoscli.aws.cloudwatch import Alarm
from chaoscli.experiment.build import scenario_for
from chaoscli.experiment.faults import shaped_traffic
from chaoscli.experiment.hypothesis import ProbeResult, check, recovery_rule
from chaoscli.experiment.many import RunFigures, summary
from chaoscli.experiment.method import ControlPlane, method_span
from chaoscli.experiment.spec import Experiment
from chaoscli.experiment.stop_conditions import StopWatch, Trip
from chaoscli.record.runs import RunSummary
from chaoscli.sim.cloudwatch_series import CloudWatchSeries
from chaoscli.sim.engine import Engine, RunResult, SecondStats
from chaoscli.sim.measures import customers_recovery
from chaoscli.sim.metrics import WindowMetrics, visible_errors, window
from chaoscli.sim.scenario import Scenario
from chaoscli.topology import LoadBalancer

HONOUR_EVERY_S = 60  # simulated seconds between two looks for a stop request


def fault_windows(exp: Experiment, cut_at: float | None = None) -> dict[str, tuple[float, float]]:
    """The before, during and after windows in virtual seconds (the method cut at ``cut_at``)."""
    end = exp.traffic.duration_s
    span = method_span(exp, cut_at)
    if span is None:
        return {"before": (0.0, end)}
    start, stop = span
    # a customer who arrived less than a customer timeout before the fault may still be
    # waiting when it strikes: the steady state before it ends that much earlier
    settled = max(0.0, start - exp.clients.customer_timeout_s)
    out = {"before": (0.0, settled), "during": (start, stop)}
    if stop < end:
        out["after"] = (stop, end)
    return {k: v for k, v in out.items() if v[1] > v[0]}


def scenario(exp: Experiment, cp: ControlPlane, seed: int, cut_at: float | None) -> Scenario:
    """What the engine simulates: the control plane's snapshots and the method's traffic."""
    sc = scenario_for(exp, cp.snapshots, cp.actions, seed)
    windows = tuple(fault_windows(exp, cut_at).values())
    return replace(sc, traffic=shaped_traffic(sc.traffic, exp.method, cut_at), windows=windows)


def until_trip(
    engine: Engine, watch: StopWatch, view: Callable[[SecondStats], None] | None
) -> Trip | None:
    """Simulate second by second while the method runs; stop at the first trip, if any."""
    for second in range(watch.seconds):
        engine.advance(second + 1, view)
        stop.honour("while simulating customer traffic")
        trip = watch.check(engine.so_far(), second)
        if trip is not None:
            return trip
    return None


def advance(
    engine: Engine, until_s: float, view: Callable[[SecondStats], None] | None = None
) -> None:
    """Simulate up to ``until_s``, honouring a stop request at least once per simulated
    minute (a fraction of a second of wall time)."""
    while engine.now < min(until_s, engine.seconds):
        engine.advance(min(until_s, engine.now + HONOUR_EVERY_S), view)
        stop.honour("while simulating customer traffic")


def judged(
    exp: Experiment, result: RunResult, cut_at: float | None
) -> tuple[dict[str, WindowMetrics], list[ProbeResult]]:
    """A finished run's fault windows (ended at ``cut_at`` when a stop condition cut the
    method) and the hypothesis checked over them: the same for every kind of pass."""
    patience = exp.hypothesis.patience_s
    windows = {
        name: window(result, a, b, patience) for name, (a, b) in fault_windows(exp, cut_at).items()
    }
    return windows, check(exp.hypothesis, windows)


def finish(
    exp: Experiment, engine: Engine, seed: int, cut_at: float | None, cp: ControlPlane
) -> RunSummary:
    """Simulate the rest of the run and keep what the runs section needs of it."""
    advance(engine, exp.traffic.duration_s)
    result = engine.result()
    windows, probes = judged(exp, result, cut_at)
    rule, ttl = recovery_rule(exp.hypothesis), engine.scenario.model.dns_ttl_s
    figures = RunFigures(
        result.world.db_write_unavailable_s,
        visible_errors(result, 0, result.seconds),
        customers_recovery(result, windows, rule, ttl),
    )
    return summary(seed, probes, figures, cut_at, cp.events)


@dataclass(frozen=True)
class Shared:
    """What every pass of a run shares: the experiment, its control plane and stop alarms."""

    exp: Experiment
    cp: ControlPlane
    alarms: dict[str, Alarm]
    lb: LoadBalancer | None


def engine_pass(shared: Shared, seed: int) -> RunSummary | Trip:
    """The run for ``seed``: its summary, or the trip of a stop condition that cut it."""
    exp = shared.exp
    engine = Engine(scenario(exp, shared.cp, seed, None))
    watch = StopWatch(exp, shared.alarms, shared.lb, CloudWatchSeries())
    trip = until_trip(engine, watch, None)
    if trip is not None:
        return trip
    return finish(exp, engine, seed, None, shared.cp)


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_SHARED: Shared | None = None


def _adopt(shared: Shared) -> None:
    """A worker's start: keep the shared inputs; Ctrl-C is the parent's to handle."""
    global _SHARED
    _SHARED = shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _in_worker(seed: int) -> RunSummary | Trip:
    assert _SHARED is not None
    return engine_pass(_SHARED, seed)


class Ahead:
    """Passes started in worker processes as soon as the control plane is driven, so that
    they run while this process simulates and judges the first run; without a second core
    (or asked for one worker) nothing starts and every seed is left to the caller.

    A pass depends on its inputs and seed alone, so where it runs changes no figure.
    """

    def __init__(self, shared: Shared, seeds: list[int], workers: int) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[RunSummary | Trip]] = []
        if workers >= 2 and seeds:
            self.pool = ProcessPoolExecutor(
                min(workers, len(seeds)),
                mp_context=get_context("fork"),
                initializer=_adopt,
                initargs=(shared,),
            )
            self.futures = [self.pool.submit(_in_worker, seed) for seed in seeds]

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def get(self, n: int) -> RunSummary | Trip | None:
        """The ``n``-th seed's pass (None: not started here, or its worker died: the caller
        simulates it)."""
        if not self.futures:
            return None
        try:
            return self.futures[n].result()
        except BrokenExecutor:
            return None
