"""The model's assumptions as a Markdown table, generated from the experiment spec's fields.

Every number the simulation assumes is a spec field carrying a unit and a source; this module
lists them so that the README's model table is printed from code and cannot go stale
(``python -m chaoscli.experiment.model_table``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from chaoscli.experiment.spec import Experiment


@dataclass(frozen=True)
class Assumption:
    """One spec field the model assumes: where it lives, its default, unit and source."""

    path: str
    info: FieldInfo
    default: Any

    @property
    def unit(self) -> str:
        """The unit, empty for a switch or a choice."""
        return str(self._extra["unit"])

    @property
    def source(self) -> str:
        """The AWS documentation page, measurement or "assumed" the default comes from."""
        return str(self._extra["source"])

    @property
    def _extra(self) -> dict[str, Any]:
        extra = self.info.json_schema_extra
        return extra if isinstance(extra, dict) else {}


def assumptions(model: type[BaseModel] = Experiment, prefix: str = "") -> Iterator[Assumption]:
    """Every field with a unit and a source, depth first, in declaration order."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        kind = info.annotation
        if isinstance(info.json_schema_extra, dict) and "source" in info.json_schema_extra:
            yield Assumption(path, info, info.get_default(call_default_factory=True))
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from assumptions(kind, f"{path}.")


def as_written(value: Any) -> str:
    """A default as it would be written in an experiment file."""
    if value is None:
        return "(none)"
    if isinstance(value, BaseModel):
        bound = value.model_dump(exclude_none=True)
        inner = ", ".join(f"{k}: {_number(v)}" for k, v in bound.items())
        return f"{{{inner}}}" if inner else "(none)"
    if isinstance(value, tuple | list):
        return json.dumps([_number(v) for v in value])
    if isinstance(value, bool):
        return str(value).lower()
    return str(_number(value))


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def markdown() -> str:
    """The model table: path, default, unit, source and meaning of every assumption."""
    rows = [
        "| Field | Default | Unit | Source | Meaning |",
        "|---|---|---|---|---|",
    ]
    for a in assumptions():
        default = as_written(a.default)
        rows.append(f"| `{a.path}` | {default} | {a.unit} | {a.source} | {a.info.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
