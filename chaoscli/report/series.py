"""The record's timeline read back one value per second, whatever its resolution: a long
run keeps whole minutes in its quiet stretches (see :class:`chaoscli.record.model.Second`),
and a chart or sparkline asks for each second the minute's mean, its lowest or its highest
second, so that folding the seconds again never hides a worst second."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from chaoscli.record.model import Extremes, Record, Second

Which = Literal["mean", "low", "high"]
Values = Second | Extremes


def per_second(
    r: Record, value: Callable[[Values], float | None], which: Which = "mean"
) -> list[float | None]:
    """``value`` of every second of the timeline: a second's own, and over a span of many
    seconds its mean, its lowest or its highest second, repeated for each of its seconds."""
    out: list[float | None] = []
    for s in r.timeline:
        part: Values = s if which == "mean" else s.lowest if which == "low" else s.highest
        out.extend([value(part)] * s.span_s)
    return out


def seconds(r: Record) -> int:
    """How many seconds the timeline covers."""
    return sum(s.span_s for s in r.timeline)


def zones(r: Record, field: Literal["served", "utilisation"]) -> list[str]:
    """The zones a zonal series names, sorted."""
    return sorted({az for s in r.timeline for az in getattr(s, field)})


def resolution(r: Record) -> str:
    """The timeline's resolution in words: "per second", or where it is per second and
    that the rest is per minute with each minute's lowest and highest second."""
    if all(s.span_s == 1 for s in r.timeline):
        return "per second"
    fine: list[tuple[int, int]] = []
    for s in r.timeline:
        if s.span_s != 1:
            continue
        if fine and fine[-1][1] == s.t:
            fine[-1] = (fine[-1][0], s.t + 1)
        else:
            fine.append((s.t, s.t + 1))
    where = ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in fine)
    return (
        f"per second over {where} (the first hour and around each fault); per minute "
        "elsewhere: each minute's mean, with its lowest and highest second kept"
    )


def _clock(t: float) -> str:
    """Virtual seconds as h:mm:ss."""
    s = int(t)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
