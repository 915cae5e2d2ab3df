"""The rows of a sweep: one line per run of one grid point, appended as each run ends.

A sweep's answers (share held per point, frontier, heat map) are computed from these rows
alone, so a resumed or distributed sweep gives the same table as one that ran through.
"""

from __future__ import annotations

from pydantic import Field

from chaoscli.record.base import Part
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
