"""The grid of a sweep: axes given as ``FIELD=V1,V2,...`` or ``FIELD=A..B:STEP``, and the
points they make, each with a canonical key.

A field is a spec path as ``--set`` takes it or an experiment parameter as ``--var`` takes
it; which one is for the experiment to say (see :mod:`chaoscli.sweep.plan`).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from chaoscli.errors import SpecError
from chaoscli.experiment.yaml_guard import parse_value
from chaoscli.record.sweep import Scalar

EVERY = "every"  # as a zone parameter's value: each zone of the stack
MAX_POINTS = 100_000


@dataclass(frozen=True)
class Axis:
    """One field of the grid and the values it takes, in the order given, and where it was
    given (``--grid``, ``--find-min`` or a sweep file), for a refusal to name."""

    field: str
    values: tuple[Scalar, ...]
    given: str = dataclasses.field(default="--grid", compare=False)


def _number(text: str, item: str, flag: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise SpecError(flag, item, f"{text.strip()!r} is not a number") from None
    if not value.is_finite():
        raise SpecError(flag, item, f"{text.strip()!r} is not a finite number")
    return value


def _plain(value: Decimal) -> int | float:
    """A range value as the YAML reader would give it: an int when it is whole and was
    written as one, else a float."""
    if value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    return float(value)


def span(text: str, item: str, flag: str = "--grid") -> tuple[Scalar, ...]:
    """The values of ``A..B:STEP``: A, A+STEP, ... up to B inclusive."""
    bounds, colon, step_text = text.rpartition(":")
    a_text, dots, b_text = bounds.partition("..")
    if not colon or not dots:
        raise SpecError(flag, item, "expected A..B:STEP, e.g. 10..40:10")
    a, b, step = (_number(t, item, flag) for t in (a_text, b_text, step_text))
    if step <= 0:
        raise SpecError(flag, item, f"step {step} must be above zero")
    if b < a:
        raise SpecError(flag, item, f"empty range: {b} is below {a}")
    count = int((b - a) / step) + 1
    if count > MAX_POINTS:
        raise SpecError(flag, item, f"{count:,} values; a grid may have at most {MAX_POINTS:,}")
    return tuple(_plain(a + n * step) for n in range(count))


def parse_axis(item: str, flag: str = "--grid") -> Axis:
    """One ``--grid`` option: ``FIELD=V1,V2,...`` or ``FIELD=A..B:STEP``."""
    field, sep, text = item.partition("=")
    field = field.strip()
    if not sep or not field:
        raise SpecError(flag, item, "expected FIELD=V1,V2,... or FIELD=A..B:STEP")
    if not text.strip():
        raise SpecError(flag, field, "no values: give V1,V2,... or A..B:STEP")
    if ".." in text and ":" in text and "," not in text:
        return Axis(field, span(text, field, flag), flag)
    values: list[Scalar] = []
    for part in text.split(","):
        if not part.strip():
            raise SpecError(flag, field, f"an empty value in {text!r}")
        value = parse_value(part.strip())
        if not isinstance(value, str | int | float | bool):
            raise SpecError(flag, field, f"{part.strip()!r} is not a single value")
        values.append(value)
    return Axis(field, tuple(dict.fromkeys(values)), flag)


def check_axes(axes: list[Axis], flag: str = "--grid") -> None:
    """Refuse no axis at all, and a field given twice."""
    if not axes:
        raise SpecError(flag, "", "the grid is empty: give at least one --grid FIELD=V1,V2,...")
    seen: set[str] = set()
    for axis in axes:
        if axis.field in seen:
            raise SpecError(flag, axis.field, "given twice; list all its values in one --grid")
        seen.add(axis.field)
    count = 1
    for axis in axes:
        count *= len(axis.values)
    if count > MAX_POINTS:
        raise SpecError(flag, "", f"{count:,} points; a grid may have at most {MAX_POINTS:,}")


def product(axes: list[Axis]) -> list[dict[str, Scalar]]:
    """Every point of the grid, the first axis varying slowest."""
    return [
        dict(zip([a.field for a in axes], combo, strict=True))
        for combo in itertools.product(*(a.values for a in axes))
    ]


def point_key(point: dict[str, Scalar]) -> str:
    """A point's identity: its overrides as canonical JSON (sorted keys, no spaces)."""
    return json.dumps(point, sort_keys=True, separators=(",", ":"))
