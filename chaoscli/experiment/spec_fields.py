"""The ground every experiment-file model stands on: strict models and fields the model
assumes, each with its unit and source for the README's model table."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Base: unknown fields are errors, so a typo never passes silently; numbers are finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def assumed(
    description: str,
    unit: str,
    source: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A field the model assumes: its meaning, unit and source, for the README's model table.

    ``source`` names the AWS documentation page a user can look up, a measurement, or says
    "assumed"; ``gt``, ``ge`` and ``le`` are pydantic's bounds.
    """
    return Field(
        description=description,
        json_schema_extra={"unit": unit, "source": source},
        gt=gt,
        ge=ge,
        le=le,
    )
