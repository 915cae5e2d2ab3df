"""A sweep's plan: the experiment, the points of its grid, each validated as ``run`` would
validate it, and the seeds of every run.

Every point is loaded with its overrides before anything runs, so a value outside a field's
range is refused with ``run``'s own line (naming the grid field) and nothing is run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chaoscli.aws.regions import stack_zones
from chaoscli.errors import SpecError
from chaoscli.experiment.build import plan_for
from chaoscli.experiment.loader import Loaded, load, resolve
from chaoscli.experiment.yaml_guard import compose_and_construct
from chaoscli.record.sweep import Scalar
from chaoscli.sweep.grid import EVERY, Axis, check_axes, point_key, product
from chaoscli.sweep.seeds import run_seed


@dataclass(frozen=True)
class Point:
    """One point of the grid: its overrides, its key, and the experiment it makes."""

    key: str
    values: dict[str, Scalar]
    loaded: Loaded


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep runs: its points, ``runs`` seeds each, from ``root_seed``."""

    source: str
    axes: tuple[Axis, ...]
    points: tuple[Point, ...]
    runs: int
    root_seed: int
    must_hold: float

    def seeds(self, point: Point) -> list[tuple[int, int]]:
        """(seed index, seed) of every run of ``point``."""
        return [(n, run_seed(self.root_seed, point.key, n)) for n in range(self.runs)]

    @property
    def total(self) -> int:
        """How many runs the sweep makes in all."""
        return len(self.points) * self.runs


def _as_text(value: Scalar) -> str:
    """A value as ``--set`` and ``--var`` read it back (JSON is YAML)."""
    return json.dumps(value)


def _zonal(source: str, names: set[str]) -> set[str]:
    """The parameters among ``names`` that some step or alarm takes as its zone."""
    _, raw = compose_and_construct(resolve(source).read_text(encoding="utf-8"))
    found: set[str] = set()
    for section in ("method", "alarms"):
        for item in (raw or {}).get(section) or []:
            az = item.get("az") if isinstance(item, dict) else None
            for name in names:
                if az == f"${{{name}}}":
                    found.add(name)
    return found


@dataclass(frozen=True)
class _Base:
    """The experiment and the overrides every point shares."""

    source: str
    sets: tuple[str, ...]
    vars: tuple[str, ...]
    params: frozenset[str]
    given: tuple[tuple[str, str], ...] = ()  # (field, where it was given) of each axis

    def load(self, values: dict[str, Scalar]) -> Loaded:
        """The experiment at one point, refused with a line that names the grid field."""
        sets = [*self.sets] + [
            f"{f}={_as_text(v)}" for f, v in values.items() if f not in self.params
        ]
        vars_ = [*self.vars] + [f"{f}={_as_text(v)}" for f, v in values.items() if f in self.params]
        try:
            return load(self.source, sets, vars_)
        except SpecError as exc:
            raise _named(exc, values, dict(self.given)) from None


def _named(exc: SpecError, values: dict[str, Scalar], given: dict[str, str]) -> SpecError:
    """``exc`` said of the grid when one of its fields put the value there: of the option
    that gave the field, or of the sweep file's ``grid``."""
    if exc.source not in ("--set", "--var"):
        return exc
    for f, v in values.items():
        if exc.field == f or exc.field.startswith(f"{f}.") or f.startswith(f"{exc.field}."):
            where = given.get(f, "--grid")
            field = exc.field if where.startswith("--") else f"grid.{exc.field}"
            return SpecError(where, field, f"{exc.message} (at {f}={_as_text(v)})")
    return exc


def _expand_every(
    base: _Base, point: dict[str, Scalar], zonal: set[str]
) -> list[dict[str, Scalar]]:
    """A point whose zone field says ``every``: one point per zone of its stack."""
    every = [f for f, v in point.items() if v == EVERY and (f in zonal or f.endswith(".az"))]
    if not every:
        return [point]
    rest = {f: v for f, v in point.items() if f not in every}
    t = base.load(rest).experiment.topology
    zones = stack_zones(t.region, t.azs) or []
    return [{**point, **dict.fromkeys(every, zone)} for zone in zones]


def build(
    source: str,
    axes: list[Axis],
    sets: list[str],
    vars_: list[str],
    runs: int,
    root_seed: int,
    must_hold: float,
) -> SweepPlan:
    """Validate every point of the grid; the plan, or the first refusal as a SpecError."""
    check_axes(axes)
    if runs < 1:
        raise SpecError("--runs", "", f"{runs} runs; a point needs at least one")
    first = load(source, sets, vars_)
    params = frozenset(first.experiment.parameters)
    given = tuple((a.field, a.given) for a in axes)
    base = _Base(first.source, tuple(sets), tuple(vars_), params, given)
    zonal = _zonal(first.source, {a.field for a in axes if a.field in params})
    points: list[Point] = []
    seen: set[str] = set()
    for combo in product(axes):
        for values in _expand_every(base, combo, zonal):
            key = point_key(values)
            if key in seen:
                continue
            seen.add(key)
            points.append(Point(key, values, base.load(values)))
    return SweepPlan(first.source, tuple(axes), tuple(points), runs, root_seed, must_hold)


def topology_key(loaded: Loaded) -> str:
    """What a provisioned stack depends on: the plan it is built from (a model number under
    ``topology``, such as an instance's capacity, provisions the same stack)."""
    return repr(plan_for(loaded.experiment))


def group_by_topology(points: list[Any]) -> list[Any]:
    """``points`` (each with a ``loaded``) ordered so that those sharing a stack are adjacent,
    first appearance first: a worker then provisions a stack once for a run of tasks."""
    order: dict[str, int] = {}
    for p in points:
        order.setdefault(topology_key(p.loaded), len(order))
    return sorted(points, key=lambda p: order[topology_key(p.loaded)])
