"""A campaign's traffic spike: no AWS call, a change to the rate customers offer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from chaoscli.experiment.faults.base import FaultContext, Injected
from chaoscli.experiment.faults.registry import FaultKind, register
from chaoscli.experiment.faults.step import FaultStep, StepSettings
from chaoscli.sim.scenario import TrafficProfile

NAME = "traffic-spike"


def traffic_spike(ctx: FaultContext) -> Injected:
    """Announce the ramp; the model's traffic profile is shaped by ``with_spikes``."""
    step = ctx.step
    return Injected(
        [f"traffic ramps to {step.rps:,.0f} requests/s over {step.ramp_s:g} s (campaign starts)"]
    )


def _rate(points: Sequence[tuple[float, float]], t: float) -> float:
    """The piecewise-linear rate at ``t``."""
    ts, rs = zip(*points, strict=True)
    return float(np.interp(t, ts, rs))


def with_spike(base: TrafficProfile, step: FaultStep, cut_at: float | None) -> TrafficProfile:
    """The profile with the spike's ramp up, plateau and ramp down laid over it.

    A spike ramps from the rate at its start to ``rps`` in ``ramp_s``, holds, and ramps back
    to the rate at its end; a method stopped at ``cut_at`` stops the load at once.
    """
    points = list(base.points)
    a, b = step.start_s, step.end_s
    if step.rps is not None and (cut_at is None or a < cut_at):
        shape = [(a, _rate(points, a)), (a + step.ramp_s, step.rps)]
        shape += [(b - step.ramp_s, step.rps), (b, _rate(points, b))]
        if cut_at is not None and cut_at < b:
            kept = [p for p in shape if p[0] < cut_at]
            shape = [*kept, (cut_at, _rate(shape, cut_at)), (cut_at, _rate(points, cut_at))]
            b = cut_at
        points = sorted([p for p in points if p[0] < a or p[0] > b] + shape, key=lambda p: p[0])
    return replace(base, points=tuple(points))


def _fits(step: FaultStep) -> None:
    """A campaign rate to ramp to, and ramps that fit in the step."""
    if step.rps is None:
        raise ValueError("rps: a traffic-spike needs the campaign rate it ramps to")
    if 2 * step.ramp_s > step.duration_s:
        raise ValueError(
            f"ramp_s: ramping up and down ({2 * step.ramp_s:g} s) does not fit in "
            f"duration_s ({step.duration_s:g} s)"
        )


register(
    FaultKind(
        NAME,
        "customer traffic ramps to a campaign's rate, holds, and ramps back",
        StepSettings(frozenset({"rps", "ramp_s"}), check=_fits),
        traffic_spike,
        traffic=with_spike,
        control_plane=False,
    )
)
