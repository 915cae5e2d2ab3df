"""Reading a journal back into the record, upgrading one an older chaoscli wrote.

Schema 1 (no ``schema_version``) lacked the peaks per window and over the run; they are
taken from its own per-second timeline. Anything else that does not fit the record is
refused in one line naming the first field that is wrong.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaoscli.errors import SpecError
from chaoscli.record.model import SCHEMA_ID, SCHEMA_VERSION, Record

SCHEMA_1 = "https://chaoscli.dev/schemas/journal-1.json"


def _first_problem(exc: ValidationError) -> str:
    """The first validation error as ``field.path: message``."""
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"]) or "journal"
    return f"{where}: {err['msg']} ({exc.error_count()} problem(s))"


def _peaks(timeline: list[dict[str, Any]], a: float, b: float) -> tuple[float, float | None]:
    """Peak offered load and peak utilisation over the seconds [a, b) of a timeline."""
    seconds = [s for s in timeline if a <= s.get("t", -1) < b]
    offered = max((s.get("requests") or 0.0 for s in seconds), default=0.0)
    busy = [v for s in seconds for v in (s.get("utilisation") or {}).values() if v is not None]
    return offered, (max(busy) if busy else None)


def upgrade_1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 to 2: add the peaks, taken from the journal's own timeline."""
    new = copy.deepcopy(data)
    timeline = new.get("timeline") or []
    for w in (new.get("windows") or {}).values():
        if isinstance(w, dict):
            offered, busy = _peaks(timeline, w.get("start_s", 0), w.get("end_s", 0))
            w.setdefault("peak_offered_rps", offered)
            w.setdefault("peak_utilisation", busy)
    metrics = new.get("metrics")
    if isinstance(metrics, dict) and metrics:
        metrics.setdefault("peak_offered_rps", _peaks(timeline, 0, float("inf"))[0])
    if metrics == {}:
        new["metrics"] = None
    new["$schema"] = SCHEMA_ID
    new["schema_version"] = SCHEMA_VERSION
    return new


def from_json(data: Any, source: str = "journal") -> Record:
    """A record from a journal's parsed JSON, upgraded when it is older; a SpecError (one
    line, exit code 2) when it is no chaoscli journal or cannot be read."""
    if not isinstance(data, dict) or "hypothesis" not in data:
        raise SpecError(source, "", "not a chaoscli journal")
    version = data.get("schema_version")
    if version is None:
        if data.get("$schema", SCHEMA_1) != SCHEMA_1:
            raise SpecError(source, "schema_version", "missing, and $schema names no known schema")
        data, version = upgrade_1(data), 1
    elif not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SpecError(
            source,
            "schema_version",
            f"journal schema {version} is newer than this chaoscli reads "
            f"({SCHEMA_VERSION}); upgrade chaoscli",
        )
    try:
        return Record.model_validate(data)
    except ValidationError as exc:
        older = "an older journal" if version < SCHEMA_VERSION else "a journal"
        raise SpecError(
            source,
            "",
            f"{older} this chaoscli cannot read: {_first_problem(exc)}; run the experiment "
            "again to write a new one",
        ) from None


def read(path: Path) -> Record:
    """A journal from disk as a record, upgraded when an older chaoscli wrote it; a one-line
    SpecError when it is missing, no JSON, or no journal this chaoscli can read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(str(path), "", "no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "", f"not a JSON journal ({exc})") from None
    return from_json(data, str(path))
