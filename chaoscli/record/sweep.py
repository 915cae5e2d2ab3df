"""The rows of a sweep: one line per run of one grid point, appended as each run ends.

A sweep's answers (share held per point, frontier, heat map) are computed from these rows
alone, so a resumed or distributed sweep gives the same table as one that ran through.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chaoscli.record.base import Part
from chaoscli.record.figures import MaybeCount, MaybeFigure, MaybeRatio, Ratio
from chaoscli.record.runs import RunSummary

Scalar = str | int | float | bool


class SweepRow(Part):
    """One run of one grid point.

    ``point`` holds the overrides that make the point (field path → value, as ``--set``
    would take them); ``key`` is their canonical JSON, the point's identity across resumes
    and executors. ``seed`` derives from the sweep's root seed and the point alone, never
    from the order in which runs were scheduled. ``cause`` is what customers saw first when
    the run deviated (its top finding's title), ``None`` when it held.
    """

    key: str
    point: dict[str, Scalar]
    seed_index: int = Field(ge=0)
    seed: int = Field(ge=0)
    run: RunSummary
    cause: str | None = None


class TaskFailure(Part):
    """A run of a grid point that left no row: its task failed (after its retry) with
    ``error``. A run that neither left a row nor failed is unfinished (an interrupted sweep)."""

    key: str
    point: dict[str, Scalar]
    seed_index: int = Field(ge=0)
    seed: int = Field(ge=0)
    error: str


Claim = Literal["holds", "short", "unsure"]
"""What a point's runs let us claim of its share held P against ``must_hold``: "holds" when
the whole 95% interval lies at or above it, "short" when the whole interval lies below it,
"unsure" when the interval straddles it (not enough runs to tell) or there is no run."""


class ProbeSpread(Part):
    """One probe in one judged window over a point's runs: the median value, the value of the
    run nearest to (or furthest past) the bound, and in how many runs it failed."""

    probe: str
    window: Literal["before", "during", "after"]
    median: MaybeFigure
    worst: MaybeFigure
    failed: int = Field(ge=0)


class FigureSpread(Part):
    """A figure where more is worse (visible errors, seconds of outage): its median and its
    largest over the runs that measured it; ``unmeasured`` runs had no value (for the
    customers' recovery: they had not recovered by the end of the run, or saw no fault)."""

    median: MaybeCount
    worst: MaybeCount
    unmeasured: int = Field(ge=0)


class Cause(Part):
    """The most frequent first thing customers saw among a point's deviated runs.

    Runs are counted together when their causes' titles differ only in their figures
    ("Detection took 14 s", "Detection took 20 s"): ``kind`` is the title without them,
    ``example`` the full title of the first such run by seed index."""

    kind: str
    example: str
    runs: int = Field(ge=1)


class PointAnswer(Part):
    """One grid point over its seeds.

    ``planned`` runs were asked for; ``runs`` left a row; ``failed`` tasks failed and
    ``unfinished`` ones neither ran nor failed, so ``runs + failed + unfinished == planned``
    when the plan is known. The share held and its 95% Wilson interval count only the runs
    that left a row (``None`` without any).
    """

    key: str
    point: dict[str, Scalar]
    planned: int = Field(ge=0)
    runs: int = Field(ge=0)
    failed: int = Field(ge=0)
    unfinished: int = Field(ge=0)
    held: int = Field(ge=0)
    share_held: MaybeRatio
    interval: tuple[Ratio, Ratio] | None
    claim: Claim
    probes: list[ProbeSpread]
    visible_errors: FigureSpread
    db_write_outage_s: FigureSpread
    customer_recovery_s: FigureSpread
    cause: Cause | None
    worst_seed: int | None  # the seed of the run with the smallest probe margin

    @property
    def missing(self) -> int:
        """Runs asked for that left no row."""
        return self.failed + self.unfinished


class FrontierStep(Part):
    """The frontier at one value of the second axis (``at``).

    ``smallest`` is the smallest gridded value of the frontier's field from which every
    larger gridded value holds (claim "holds") at every value of the frontier's ``over``
    fields; ``below`` is the gridded value just under it, which did not. ``all_held_from``
    is weaker and said as such: the smallest value from which every run of every larger
    value held, whatever the interval allows to claim.
    ``contradictions`` lists values that hold although a larger one falls short (claim
    "short"): the observations are not monotone there.
    """

    at: dict[str, Scalar]
    largest: Scalar | None = None  # the largest value tried, and what it could claim
    largest_claim: Claim = "unsure"
    smallest: Scalar | None
    below: Scalar | None
    all_held_from: Scalar | None
    runs_at_most: int = Field(ge=0)
    contradictions: list[Scalar]


class Frontier(Part):
    """The smallest ``field`` that holds at each value of ``by``, whatever the value of each
    ``over`` field (a value holds only when it holds at all of them: any zone lost)."""

    field: str
    by: list[str]
    over: list[str] = Field(default_factory=list)
    steps: list[FrontierStep]


class SweepAnswers(Part):
    """A sweep's answers: one line per point and the frontier, with the rule they used.

    ``rule`` says in words what "holds with P ≥ must_hold" means here, so that every report
    claims exactly what was checked; ``runs_to_claim`` is the fewest runs, all held, that
    can meet it (fewer runs cannot claim it whatever they show; ``None`` when no number of
    runs can, as for a share of 100%).
    """

    title: str
    root_seed: int | None
    must_hold: Ratio
    rule: str
    runs_to_claim: int | None
    axes: list[str]
    fields: list[str]
    points: list[PointAnswer]
    frontier: Frontier | None


class FindMinProbe(Part):
    """One value ``--find-min`` tried, in the order tried, and what its runs let us claim:
    it holds (``held``), falls short, or too few runs to tell (bisection counts both of the
    last two as not holding)."""

    value: Scalar
    held: bool
    claim: Claim = "unsure"


class FindMin(Part):
    """What bisecting one field found: the smallest value that holds (``found``), the value
    just under it that does not (``below``, ``None`` when the smallest candidate holds), and
    every probe made. Bisection assumes that a larger value never holds less; ``monotone``
    is False when the probes contradict that, and ``contradictions`` gives each pair (a value
    that holds, a larger one that does not)."""

    values: list[Scalar]
    found: Scalar | None
    below: Scalar | None
    probes: list[FindMinProbe]
    monotone: bool
    contradictions: list[tuple[Scalar, Scalar]]
