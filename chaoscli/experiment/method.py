"""The method on the control plane: each step injected and ended at its virtual time.

Every step's changes are logged under the step's key, so the end of one step undoes only its
own changes while overlapping steps stay in place. The stack is re-discovered after each
change (what a fault can change); the snapshots are all the model ever sees of the control
plane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from chaoscli import stop
from chaoscli.aws.changes.log import RollbackLog, rollback
from chaoscli.aws.discover import discover, rediscover
from chaoscli.aws.session import AwsSession
from chaoscli.experiment.faults import FAULTS, WAIT, FaultContext, FaultStep, Injected
from chaoscli.experiment.spec import Experiment
from chaoscli.sim.results import SecondStats
from chaoscli.sim.scenario import ControlAction, Snapshot
from chaoscli.sim.world import Event
from chaoscli.topology import Topology

_STEP_SEED = 7  # keeps the per-step target draws apart from the simulation's own streams

# (virtual time, "inject" | "end", step index, step): one change the method makes
Change = tuple[float, str, int, FaultStep]


@dataclass
class ControlPlane:
    """What driving the method produced: snapshots, calls the model must know of, events."""

    snapshots: list[Snapshot]
    actions: list[ControlAction] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def step_key(n: int) -> str:
    """The rollback-log key of the method's step ``n``."""
    return f"step-{n}"


def undo_step(session: AwsSession, log: RollbackLog, n: int) -> list[str]:
    """Undo step ``n``'s changes, shielded: a stop request waits for this undo to finish and
    is honoured at the next call after it, rather than being taken for a failed undo."""
    with stop.shielded(lambda: f"undoing step {n}'s changes"):
        return rollback(session, log, step=step_key(n))


def schedule(exp: Experiment, cut_at: float | None = None) -> list[Change]:
    """(time, "inject" | "end", step index, step) in time order; a cut ends every step early.

    Steps that start at or after ``cut_at`` never start; those still running end at it. An
    end at the same time as an injection comes first, so a resource is free again in time.
    """
    items: list[Change] = []
    for n, step in enumerate(exp.method):
        if step.fault == WAIT:
            continue
        start, end = step.start_s, step.end_s
        if cut_at is not None:
            if start >= cut_at:
                continue
            end = min(end, cut_at)
        items.append((start, "inject", n, step))
        if end < exp.traffic.duration_s:
            items.append((end, "end", n, step))
    return sorted(items, key=lambda x: (x[0], x[1] != "end", x[2]))


def drive(
    session: AwsSession,
    log: RollbackLog,
    exp: Experiment,
    before: Topology,
    seed: int,
    phase: Callable[[str], None] = lambda _: None,
    cut_at: float | None = None,
) -> ControlPlane:
    """Inject and end every step at its time through the AWS API; discover after each."""
    cp = ControlPlane([Snapshot(0.0, before)])
    for item in schedule(exp, cut_at):
        make(session, log, cp, item, seed, phase, cut_at)
    return cp


def make(
    session: AwsSession,
    log: RollbackLog,
    cp: ControlPlane,
    change: Change,
    seed: int,
    phase: Callable[[str], None] = lambda _: None,
    cut_at: float | None = None,
) -> None:
    """Make one scheduled change (a step's injection or end) and re-discover what it changed."""
    t, kind, n, step = change
    if kind == "inject":
        phase(f"injecting {step.fault} at t={t:g} s")
        done = _inject(session, log, cp.snapshots[-1].topology, step, t, n, seed)
        cp.events += [Event(t, "fault", m) for m in done.messages]
        cp.actions += done.actions
    else:
        phase(f"ending {step.fault} at t={t:g} s")
        lines = undo_step(session, log, n)
        if cut_at is not None and t == cut_at and t < step.end_s:
            lines = [f"stopped early: {line}" for line in lines] or [f"{step.fault} stopped early"]
        cp.events += [Event(t, "rollback", m) for m in lines]
    if FAULTS[step.fault].control_plane:
        cp.snapshots.append(Snapshot(t, rediscover(session, cp.snapshots[-1].topology)))


def _inject(
    session: AwsSession,
    log: RollbackLog,
    topo: Topology,
    step: FaultStep,
    t: float,
    n: int,
    seed: int,
) -> Injected:
    """Inject step ``n`` on the topology as it is now; its targets are drawn from the seed."""
    rng = np.random.default_rng([seed, _STEP_SEED, n])
    ctx = FaultContext(session, log, topo, step, t, rng)
    with log.scope(step_key(n)):
        return FAULTS[step.fault].inject(ctx)


class LiveReplay:
    """Breaks and restores the stack again while a live view plays the simulated run.

    The model needs every snapshot before it can simulate, so ``drive`` has already made
    and undone the method's changes; for ``--pace``, the same steps (the same targets, drawn
    from the same seed) are made again as the view reaches their times, so the control plane
    a person inspects matches what the view shows. Rollback undoes whatever is left.
    """

    def __init__(
        self,
        session: AwsSession,
        log: RollbackLog,
        exp: Experiment,
        seed: int,
        cut_at: float | None = None,
    ) -> None:
        self.session, self.log, self.exp, self.seed = session, log, exp, seed
        self.items = schedule(exp, cut_at)

    def wrap(self, on_second: Callable[[SecondStats], None]) -> Callable[[SecondStats], None]:
        """The view's per-second callback, preceded by the steps due by that second."""

        def watched(stats: SecondStats) -> None:
            self.advance(stats.t + 1)
            on_second(stats)

        return watched

    def advance(self, t: float) -> None:
        """Make every step change due at or before virtual time ``t``."""
        while self.items and self.items[0][0] <= t:
            at, kind, n, step = self.items.pop(0)
            if kind == "end":
                undo_step(self.session, self.log, n)
            elif FAULTS[step.fault].control_plane:
                topo = discover(self.session, self.exp.topology.stack)
                _inject(self.session, self.log, topo, step, at, n, self.seed)


def method_span(exp: Experiment, cut_at: float | None = None) -> tuple[float, float] | None:
    """First start and last end of the method's faults (cut short at ``cut_at``), if any."""
    faults = exp.faults
    if cut_at is not None:
        faults = [s for s in faults if s.start_s < cut_at]
    if not faults:
        return None
    start = min(s.start_s for s in faults)
    stop = min(exp.traffic.duration_s, max(s.end_s for s in faults))
    if cut_at is not None:
        stop = min(stop, cut_at)
    return start, stop
