"""Number types of the record: every figure rounded to six decimals, and a figure that could
not be measured (NaN, an infinite margin) written as null, so JSON stays portable."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field


def _rounded(value: float) -> float:
    """Six decimals: enough for any ratio the hypothesis judges, and stable across platforms."""
    return round(value, 6)


def _finite_or_none(value: object) -> object:
    """NaN and infinities are no figure: null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


Figure = Annotated[float, AfterValidator(_rounded)]
Count = Annotated[float, Field(ge=0), AfterValidator(_rounded)]
Ratio = Annotated[float, Field(ge=0, le=1), AfterValidator(_rounded)]
MaybeFigure = Annotated[Figure | None, BeforeValidator(_finite_or_none)]
MaybeCount = Annotated[Count | None, BeforeValidator(_finite_or_none)]
MaybeRatio = Annotated[Ratio | None, BeforeValidator(_finite_or_none)]
Stamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
