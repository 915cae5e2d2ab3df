"""The journal's JSON Schema, generated from the record's models.

``python -m chaoscli.record.schema > chaoscli/schemas/journal.schema.json`` (or
``make schema``) regenerates the copy shipped in the package; a test keeps them equal.
"""

from __future__ import annotations

import json
from typing import Any

from chaoscli.record.model import SCHEMA_ID, Record

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def generate() -> dict[str, Any]:
    """The JSON Schema of a journal as ``Record.dump`` writes it."""
    body = Record.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "description": (
            "One run of a chaoscli experiment. Core fields follow Chaos Toolkit's journal; "
            "times are virtual. Generated from chaoscli.record; do not edit by hand."
        ),
        **body,
    }


def text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(generate(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(text(), end="")
