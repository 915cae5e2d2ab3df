"""Many runs of one experiment: the seeds, each run's summary and the verdict over them.

The seeds of N runs are independent streams spawned from the root seed by NumPy's
SeedSequence; one run keeps the root seed itself, so ``--runs 1`` is the plain run.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

from chaoscli.experiment.hypothesis import ProbeResult
from chaoscli.experiment.spec import Experiment
from chaoscli.record.runs import ProbeValue, Runs, RunSummary, Spread
from chaoscli.sim.measures import RunMeasures
from chaoscli.sim.recovery import Recovery
from chaoscli.sim.world import Event

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval


def engine_seeds(root: int, runs: int) -> list[int]:
    """The seed of each run: the root itself for one run, else N spawned children."""
    if runs == 1:
        return [root]
    children = np.random.SeedSequence(root).spawn(runs)
    return [int(c.generate_state(1, np.uint32)[0]) for c in children]


def seeded_targets(exp: Experiment) -> bool:
    """True when some step draws its targets from the seed (a COUNT or PERCENT selection)."""
    return any(step.selection != "ALL" for step in exp.method)


def wilson(held: int, count: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a share ``held``/``count``: sound near 0 and 1 and for
    few runs, where the normal approximation leaves [0, 1]."""
    p = held / count
    centre = (p + z * z / (2 * count)) / (1 + z * z / count)
    half = z / (1 + z * z / count) * math.sqrt(p * (1 - p) / count + z * z / (4 * count**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def _relative(gap: float, bound: float) -> float:
    return gap / abs(bound) if bound else gap


def margin(p: ProbeResult) -> float:
    """A probe's distance to its bound, relative to the bound (so that a latency in ms and an
    availability ratio compare); minus infinity when it could not be measured."""
    if math.isnan(p.value):
        return -math.inf
    t, out = p.tolerance, math.inf
    if t.min is not None:
        out = min(out, _relative(p.value - t.min, t.min))
    if t.max is not None:
        out = min(out, _relative(t.max - p.value, t.max))
    return out


@dataclass(frozen=True)
class RunFigures:
    """What the runs section keeps of one run beside its probes."""

    db_write_outage_s: float
    visible_errors: float
    recovery: Recovery

    @classmethod
    def of(cls, measures: RunMeasures) -> RunFigures:
        """The figures of a run measured in full (the first one)."""
        return cls(
            measures.db_write_unavailable_s,
            measures.whole.metrics.visible_errors,
            measures.recovery,
        )


def summary(
    seed: int,
    probes: list[ProbeResult],
    figures: RunFigures,
    stopped_at: float | None,
    events: list[Event],
) -> RunSummary:
    """One run's compact figures for the runs section; ``events`` are its control plane's."""
    held = stopped_at is None and all(p.ok for p in probes)
    return RunSummary(
        seed=seed,
        held=held,
        faults=[e.message for e in events if e.kind == "fault"],
        stopped_at_s=stopped_at,
        probes=[
            ProbeValue(probe=p.probe, window=p.window, value=p.value, ok=p.ok, margin=margin(p))  # type: ignore[arg-type]
            for p in probes
        ],
        db_write_outage_s=figures.db_write_outage_s,
        visible_errors=figures.visible_errors,
        customer_recovery_s=figures.recovery.customer_recovery_s,
        worst_margin=min((margin(p) for p in probes), default=math.inf),
    )


def _spread(values: list[float | None]) -> Spread:
    have = [v for v in values if v is not None]
    if not have:
        return Spread(min=None, median=None, max=None)
    return Spread(min=min(have), median=statistics.median(have), max=max(have))


def enough_held(held: int, count: int, must_hold: float) -> bool:
    """At least the declared share of the runs held."""
    return held >= must_hold * count - 1e-9


def section(runs: list[RunSummary], root: int, must_hold: float, per_seed: bool) -> Runs:
    """The runs section: share held with its interval, the worst run and the spreads."""
    held = sum(r.held for r in runs)

    def rank(n: int) -> tuple[list[float], int]:
        margins = (p.margin for p in runs[n].probes)
        return sorted(-math.inf if m is None else m for m in margins), n

    return Runs(
        count=len(runs),
        root_seed=root,
        held=held,
        share_held=held / len(runs),
        interval=wilson(held, len(runs)),
        must_hold=must_hold,
        targets="per seed" if per_seed else "once",
        worst=min(range(len(runs)), key=rank),
        spread={
            "db_write_outage_s": _spread([r.db_write_outage_s for r in runs]),
            "visible_errors": _spread([r.visible_errors for r in runs]),
            "customer_recovery_s": _spread([r.customer_recovery_s for r in runs]),
        },
        runs=runs,
    )
