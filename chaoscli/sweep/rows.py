"""DIR/rows.jsonl: every finished run of a sweep, one JSON line each, appended as it ends.

Each line is written whole in one write, flushed and synced before the next, so a sweep
killed at any moment leaves at most a torn last line; reading drops it, and ``--resume``
runs that seed again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from chaoscli.errors import SpecError
from chaoscli.record.sweep import SweepRow

ROWS = "rows.jsonl"


def read(path: Path) -> list[SweepRow]:
    """The rows in ``path`` (none when it does not exist); a torn last line is dropped, a
    damaged line elsewhere is refused with its number."""
    if not path.exists():
        return []
    complete = path.read_bytes().split(b"\n")[:-1]  # after the last newline: torn, or nothing
    rows: list[SweepRow] = []
    for n, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            rows.append(SweepRow.model_validate_json(line))
        except ValidationError:
            raise SpecError(str(path), "", "not a sweep row", line=n) from None
    return rows


class RowFile:
    """The append-only rows file of one sweep's output folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ROWS
        folder.mkdir(parents=True, exist_ok=True)
        self._trim()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _trim(self) -> None:
        """Cut a torn last line, so that the next row starts on a line of its own."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def append(self, rows: Iterable[SweepRow]) -> None:
        """Write each row as one line, made durable before the next."""
        for row in rows:
            line = memoryview((row.model_dump_json() + "\n").encode())
            while line:
                line = line[os.write(self._fd, line) :]
            os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> RowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
