"""``--find-min FIELD=A..B:STEP``: the smallest value of one field that holds, by bisection
over the executor, at each point of the rest of the grid.

Every value of the field is validated with every other point before anything runs; each
probe of the bisection is one point run over its seeds like any other, its rows appended to
the same file, and judged held by the answers' rule (the 95% interval clears must_hold).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from chaoscli.record.sweep import Claim, FindMin, Scalar, SweepRow
from chaoscli.sweep.answers import claim
from chaoscli.sweep.bisect import find_min
from chaoscli.sweep.grid import Axis
from chaoscli.sweep.plan import Point, SweepPlan

RunPlan = Callable[[SweepPlan], list[SweepRow]]  # runs a plan, returns every row so far


@dataclass(frozen=True)
class Found:
    """What bisection found at one point of the rest of the grid (``at``)."""

    at: dict[str, Scalar]
    result: FindMin


def verdict(rows: list[SweepRow], key: str, must_hold: float) -> Claim:
    """What the answers' rule claims of the point ``key`` over its rows."""
    mine = [r for r in rows if r.key == key]
    return claim(sum(r.run.held for r in mine), len(mine), must_hold)


def search(full: SweepPlan, field: Axis, run_plan: RunPlan) -> list[Found]:
    """Bisect ``field`` at each point of ``full``'s other axes; ``full`` holds every point
    (validated), of which only the probed ones run."""
    groups: dict[str, dict[Scalar, Point]] = {}
    at: dict[str, dict[str, Scalar]] = {}
    for point in full.points:
        rest = {k: v for k, v in point.values.items() if k != field.field}
        name = repr(sorted(rest.items()))
        groups.setdefault(name, {})[point.values[field.field]] = point
        at[name] = rest
    out = []
    for name, by_value in groups.items():

        def probe(value: Scalar, by_value: dict[Scalar, Point] = by_value) -> Claim:
            point = by_value[value]
            rows = run_plan(replace(full, points=(point,)))
            return verdict(rows, point.key, full.must_hold)

        out.append(Found(at[name], find_min(list(field.values), probe)))
    return out
