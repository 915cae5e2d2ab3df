"""What field-by-field validation cannot see: fields judged against each other and against the
stack the experiment asks for (its region's zones, its size, its declared alarms).

``loader.load`` runs ``check`` after pydantic, for ``validate`` and ``run`` alike, so both
refuse the same file with the same line before anything is changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from chaoscli.aws.regions import known_regions, stack_zones, zones_of
from chaoscli.experiment.faults import FAULTS, StackShape
from chaoscli.experiment.spec import Experiment
from chaoscli.record.probes import CATALOGUE
from chaoscli.sim.limits import limit_problems

Loc = tuple[str | int, ...]
# probes whose value is a difference, so a bound below zero means something
SIGNED_PROBES = ("p99_increase_ms",)
COUNT = re.compile(r"^COUNT\((\d+)\)$")


class Refusal(Exception):
    """A field that does not fit: where it is in the document, and what is wrong, in a line."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def check(exp: Experiment) -> None:
    """Raise the first ``Refusal`` the experiment earns, or return."""
    for refusal in refusals(exp):
        raise refusal


def refusals(exp: Experiment) -> Iterator[Refusal]:
    """Every refusal, in the order of the file's sections."""
    yield from _region(exp)
    yield from _tolerances(exp)
    yield from _method(exp)
    yield from _stop_conditions(exp)
    yield from _alarms(exp)
    yield from _engine_limits(exp)


def shape_of(exp: Experiment) -> StackShape:
    """The stack the experiment provisions, as a fault's checks see it."""
    t = exp.topology
    return StackShape(
        t.azs,
        t.instances_per_az,
        t.database.multi_az,
        t.database.read_replicas,
        zones=tuple((zones_of(t.region) or [])[: t.azs]),
        by_zone=tuple(t.instances_by_zone or ()),
    )


def _region(exp: Experiment) -> Iterator[Refusal]:
    """A region chaoscli knows, with enough zones for the stack."""
    t = exp.topology
    zones = zones_of(t.region)
    if zones is None:
        yield Refusal(
            ("topology", "region"),
            f"unknown region {t.region!r} (one of {', '.join(known_regions())})",
        )
    elif len(zones) < t.azs:
        yield Refusal(
            ("topology", "azs"),
            f"{t.azs} zones asked for, but {t.region} has {len(zones)} ({', '.join(zones)})",
        )


def _zone(exp: Experiment, az: str) -> str | None:
    """Why ``az`` is not one of the stack's zones, or None when it is (or cannot be told)."""
    t = exp.topology
    ours = stack_zones(t.region, t.azs)
    if ours is None or az in ours:
        return None
    if az in (zones_of(t.region) or []):
        return (
            f"{az} is not one of the stack's {t.azs} zone(s) ({', '.join(ours)}): a stack "
            f"takes the region's first topology.azs zones"
        )
    return f"{az} is not a zone of {t.region} ({', '.join(zones_of(t.region) or [])})"


def _tolerances(exp: Experiment) -> Iterator[Refusal]:
    """Ratios in [0, 1], amounts not below zero, min not above max."""
    for probe in CATALOGUE:
        tol = exp.hypothesis.tolerance(probe.name)
        for side in ("min", "max"):
            value = getattr(tol, side)
            if value is None:
                continue
            loc: Loc = ("hypothesis", probe.name, side)
            if probe.ratio and not 0 <= value <= 1:
                yield Refusal(loc, f"{value:g} is not a ratio in [0, 1], e.g. 0.999 for 99.9%")
            elif not probe.ratio and probe.name not in SIGNED_PROBES and value < 0:
                yield Refusal(loc, f"{value:g} is below zero: {probe.name} never is")
        if tol.min is not None and tol.max is not None and tol.min > tol.max:
            yield Refusal(
                ("hypothesis", probe.name),
                f"min {tol.min:g} is above max {tol.max:g}: no value could hold",
            )


def _method(exp: Experiment) -> Iterator[Refusal]:
    """Faults the stack can take, in the stack's zones, on targets the stack has."""
    shape = shape_of(exp)
    for n, step in enumerate(exp.method):
        kind = FAULTS.get(step.fault)
        if kind is not None:
            why = kind.needs(shape)
            if why:
                yield Refusal(("method", n, "fault"), why)
        if step.az is not None:
            why = _zone(exp, step.az)
            if why:
                yield Refusal(("method", n, "az"), why)
        count = COUNT.match(step.selection)
        if kind is not None and kind.targets is not None and count is not None:
            have, what = kind.targets(step, shape)
            if int(count.group(1)) > have:
                yield Refusal(
                    ("method", n, "selection"),
                    f"{step.selection} asks for more targets than the {have} {what}; AWS FIS "
                    "runs COUNT(n) on n targets and documents no fallback to fewer, so "
                    "chaoscli refuses (lower n, or use PERCENT(n))",
                )


def _stop_conditions(exp: Experiment) -> Iterator[Refusal]:
    """Named alarms declared; thresholds a metric can cross."""
    declared = {a.name for a in exp.alarms}
    for n, cond in enumerate(exp.stop_conditions):
        if cond.alarm is not None and cond.alarm not in declared:
            yield Refusal(
                ("stop_conditions", n, "alarm"),
                f"{cond.alarm} is not declared under alarms (declare it there: an alarm the "
                "account already has is used as it is)",
            )
        if cond.above is None:
            continue
        loc: Loc = ("stop_conditions", n, "above")
        if cond.metric is not None and cond.metric.endswith("ratio"):
            if not 0 <= cond.above < 1:
                yield Refusal(
                    loc, f"{cond.above:g} is not a ratio in [0, 1), e.g. 0.05 for 5% of requests"
                )
        elif cond.above < 0:
            yield Refusal(loc, f"{cond.above:g} is below zero; a latency cannot be")


def _alarms(exp: Experiment) -> Iterator[Refusal]:
    """An alarm's zone is one of the stack's."""
    for n, alarm in enumerate(exp.alarms):
        if alarm.az is not None:
            why = _zone(exp, alarm.az)
            if why:
                yield Refusal(("alarms", n, "az"), why)


def _engine_limits(exp: Experiment) -> Iterator[Refusal]:
    """What the engine cannot finish in bounded memory and time (``chaoscli.sim.limits``),
    named by the field to change and the limit."""
    p99_over_s = max(
        (c.over_s for c in exp.stop_conditions if c.metric == "p99_latency_ms"), default=0.0
    )
    problems = limit_problems(
        exp.traffic.duration_s,
        exp.engine.samples_per_s,
        exp.engine.tick_s,
        exp.clients.customer_timeout_s,
        p99_over_s,
        len(exp.method),
    )
    for field, sentence in problems:
        yield Refusal(tuple(field.split(".")), f"{sentence}: the engine's limit")
