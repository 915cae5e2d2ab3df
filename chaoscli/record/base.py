"""The base of every part of the record."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Part(BaseModel):
    """A part of the record: a journal always writes every field, so the generated schema
    requires them all, defaults included."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
