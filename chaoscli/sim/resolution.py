"""A long run's per-second series at two resolutions, so that its record stays small: every
second where a reader looks closely (the first hour, and around each fault), whole minutes
elsewhere, each minute with the mean of every series and its lowest and highest second, so
that no worst second is hidden by a minute's mean.

A run of an hour or less keeps every second. A 24-hour run keeps some 5,000 entries instead
of 86,400, which keeps its record, journal and report within a bounded memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chaoscli.sim.measures import Seconds

DETAIL_S = 3600
"""The first hour is kept second by second (a run this long or shorter keeps every second)."""
MINUTE_S = 60
"""Elsewhere, one entry a whole minute (from 0 s, 60 s, ...)."""
LEAD_S = 60
"""Seconds before a fault kept second by second."""
TRAIL_S = 600
"""Seconds after a fault ends kept second by second: its recovery (DNS, failback, scaling)."""


@dataclass(frozen=True)
class Folded:
    """One series per entry: its mean over the entry's seconds, its lowest and its highest
    second (zone series are (zones, entries))."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True)
class Timeline:
    """The run's series as entries: each starts at second ``t`` and covers ``span_s``."""

    azs: tuple[str, ...]
    t: np.ndarray
    span_s: np.ndarray
    series: dict[str, Folded]


SCALARS = (
    "requests",
    "visible_errors",
    "success_ratio",
    "attempts",
    "p99_latency_ms",
    "db_writable",
    "queue_depth",
    "lb_errors",
)
ZONAL = ("served", "utilisation")


def entries(seconds: int, faults: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Each entry's first second and length: one second at a time within the first hour and
    from ``LEAD_S`` before each fault (start, end) to ``TRAIL_S`` after it, rounded out to
    whole minutes; one whole minute elsewhere (the last one may be shorter)."""
    if seconds <= DETAIL_S:
        t = np.arange(seconds, dtype=np.int64)
        return t, np.ones(seconds, dtype=np.int64)
    minutes = -(-seconds // MINUTE_S)
    fine = np.zeros(minutes, dtype=bool)
    fine[: DETAIL_S // MINUTE_S] = True
    for start, end in faults:
        a = max(0, int(start - LEAD_S) // MINUTE_S)
        b = min(minutes, -(-int(np.ceil(end + TRAIL_S)) // MINUTE_S))
        fine[a:b] = True
    starts: list[np.ndarray] = []
    for m in range(minutes):
        first, last = m * MINUTE_S, min(seconds, (m + 1) * MINUTE_S)
        starts.append(np.arange(first, last) if fine[m] else np.array([first]))
    t = np.concatenate(starts).astype(np.int64)
    span = np.diff(np.append(t, seconds))
    return t, span


def _fold(values: np.ndarray, t: np.ndarray, span: np.ndarray) -> Folded:
    """Mean (NaN seconds left out), lowest and highest of ``values`` over each entry, along
    the last axis."""
    x = values.astype(float)
    known = ~np.isnan(x)
    total = np.add.reduceat(np.where(known, x, 0.0), t, axis=-1)
    count = np.add.reduceat(known.astype(float), t, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    single = span == 1
    mean = np.where(single, x[..., t], mean)  # one second: its own value, exactly
    low = np.fmin.reduceat(x, t, axis=-1)
    high = np.fmax.reduceat(x, t, axis=-1)
    return Folded(mean, low, high)


def fold(sec: Seconds, faults: Sequence[tuple[float, float]]) -> Timeline:
    """The run's series as entries (see :func:`entries`). A minute's success ratio is its
    visible errors over its requests (the minute's own ratio, not a mean of seconds); its
    database is writable only if every second was."""
    n = len(sec.requests)
    t, span = entries(n, faults)
    series: dict[str, Folded] = {}
    if n == 0:
        empty = Folded(np.zeros(0), np.zeros(0), np.zeros(0))
        return Timeline(sec.azs, t, span, dict.fromkeys((*SCALARS, *ZONAL), empty))
    for name in (*SCALARS, *ZONAL):
        series[name] = _fold(np.asarray(getattr(sec, name)), t, span)
    requests = np.add.reduceat(np.asarray(sec.requests, dtype=float), t)
    errors = np.add.reduceat(np.asarray(sec.visible_errors, dtype=float), t)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(requests > 0, 1 - errors / np.where(requests > 0, requests, 1), np.nan)
    ok = series["success_ratio"]
    ratio = np.where(span == 1, ok.mean, np.clip(ratio, 0.0, 1.0))
    series["success_ratio"] = Folded(ratio, ok.low, ok.high)
    db = series["db_writable"]
    series["db_writable"] = Folded(db.low, db.low, db.high)
    return Timeline(sec.azs, t, span, series)
