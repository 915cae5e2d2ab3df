"""The runs section of the record: a verdict over many seeds of the same experiment.

Each run keeps a compact summary (its seed, whether it held, each probe's value per window,
the random parts); the section adds the share that held with its 95% Wilson interval, the
worst run and the spread of the random parts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chaoscli.record.base import Part
from chaoscli.record.figures import Count, MaybeCount, MaybeFigure, Ratio


class ProbeValue(Part):
    """One probe's value in one window of one run, and its distance to the bound relative to
    the bound (negative when it failed)."""

    probe: str
    window: Literal["before", "during", "after"]
    value: MaybeFigure
    ok: bool
    margin: MaybeFigure


class RunSummary(Part):
    """One run of many: its seed, its verdict and the figures that vary from seed to seed.

    ``worst_margin`` is the run's smallest probe margin (negative when a probe failed); the
    worst run has the smallest, ties broken by the next smallest margins.
    """

    seed: int = Field(ge=0)
    held: bool
    faults: list[str]  # what the method injected for this run (its targets, by id)
    stopped_at_s: MaybeCount
    probes: list[ProbeValue]
    db_write_outage_s: Count
    visible_errors: Count
    customer_recovery_s: MaybeCount
    worst_margin: MaybeFigure


class Spread(Part):
    """The smallest, median and largest value of one figure over the runs."""

    min: MaybeFigure
    median: MaybeFigure
    max: MaybeFigure


class Runs(Part):
    """The verdict over many runs: held only when at least ``must_hold`` of them held.

    ``targets`` says whether the fault's targets were drawn once ("once": they do not depend
    on the seed, so the control plane was driven once) or drawn and injected again for each
    seed ("per seed"). The record's other sections show the first run.
    """

    count: int = Field(ge=1)
    root_seed: int = Field(ge=0)
    held: int = Field(ge=0)
    share_held: Ratio
    interval: tuple[Ratio, Ratio]
    must_hold: Ratio
    targets: Literal["once", "per seed"]
    worst: int = Field(ge=0)  # index of the worst run in ``runs``
    spread: dict[str, Spread]
    runs: list[RunSummary]
