"""The rollback log: a durable record of exact undos, and the rollback that replays it.

Each change is written to the log (flushed and fsynced) before it is made, so a run killed with
``kill -9`` can still be rolled back from the file alone by ``chaoscli rollback LOG``. Each
change module registers its undos here with ``@undoes(kind)``; the log knows no change module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaoscli.aws.session import AwsSession
from chaoscli.errors import AwsError, ChaosError, SpecError

Undo = Callable[[AwsSession, dict[str, Any]], str]
_UNDOS: dict[str, Undo] = {}


def undoes(kind: str) -> Callable[[Undo], Undo]:
    """Register the decorated function as the undo of every logged change of ``kind``.

    ``kind`` is written into the log, so it never changes once released: an old log must
    still replay.
    """

    def register(fn: Undo) -> Undo:
        if _UNDOS.setdefault(kind, fn) is not fn:
            raise ValueError(f"two undos for the kind of change {kind!r}")
        return fn

    return register


def undo_kinds() -> frozenset[str]:
    """Every kind of change that has a registered undo."""
    return frozenset(_UNDOS)


@dataclass(frozen=True)
class LogEntry:
    """One recorded change: its id, what kind of undo it needs, its arguments and its step.

    ``step`` names the method step that made the change, so that the end of one step undoes
    its own changes and leaves those of overlapping steps in place.
    """

    id: int
    kind: str
    undo: dict[str, Any] = field(default_factory=dict)
    step: str | None = None


class RollbackError(AwsError):
    """Some undos failed; ``undone`` and ``failed`` say which, one line each."""

    def __init__(self, undone: list[str], failed: list[str]) -> None:
        self.undone = undone
        self.failed = failed
        super().__init__(f"could not undo {len(failed)} change(s): " + "; ".join(failed))


class RollbackLog:
    """A JSON-lines file of changes and of the undos already done; safe against kill -9."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.skipped_lines = 0
        self.step: str | None = None

    @contextmanager
    def scope(self, step: str) -> Iterator[None]:
        """Record every change made inside the block as belonging to ``step``."""
        previous, self.step = self.step, step
        try:
            yield
        finally:
            self.step = previous

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RollbackLog:
        """An existing log, for rolling back what an earlier (perhaps killed) run left behind."""
        log = cls(path)
        if not log.path.is_file():
            raise SpecError(str(path), "", "no such rollback log")
        log.pending()  # fail now, not halfway through a rollback, if the file is unreadable
        return log

    def record(self, kind: str, undo: dict[str, Any]) -> int:
        """Append a change's undo and make it durable before returning the entry's id."""
        entries, _ = self._read()
        entry_id = max((e.id for e in entries), default=0) + 1
        line: dict[str, Any] = {"op": "change", "id": entry_id, "kind": kind, "undo": undo}
        if self.step is not None:
            line["step"] = self.step
        self._append(line)
        return entry_id

    def mark_undone(self, entry_id: int) -> None:
        """Record that the entry's undo has been carried out."""
        self._append({"op": "undone", "id": entry_id})

    def pending(self, step: str | None = None) -> list[LogEntry]:
        """Entries not yet undone (only ``step``'s when given), newest first."""
        entries, undone = self._read()
        return sorted(
            (e for e in entries if e.id not in undone and (step is None or e.step == step)),
            key=lambda e: -e.id,
        )

    def note(self, **fields: Any) -> None:
        """Record facts about the run (stack, endpoint, topology before) for a later rollback."""
        self._append({"op": "note", "fields": fields})

    def notes(self) -> dict[str, Any]:
        """Every noted fact, later notes overriding earlier ones; lines a crash cut are skipped."""
        merged: dict[str, Any] = {}
        try:
            text = (
                self.path.read_text(encoding="utf-8", errors="replace")
                if self.path.exists()
                else ""
            )
        except OSError as exc:
            raise SpecError(
                str(self.path), "", f"cannot read rollback log: {exc.strerror}"
            ) from exc
        for line in text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and item.get("op") == "note":
                fields = item.get("fields")
                if isinstance(fields, dict):
                    merged.update(fields)
        return merged

    def _append(self, line: dict[str, Any]) -> None:
        """Write one line and fsync it (and the directory, the first time)."""
        line["at"] = datetime.now(UTC).isoformat(timespec="seconds")
        text = json.dumps(line, sort_keys=True) + "\n"
        created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+", encoding="utf-8") as f:
                # A line cut short by kill -9 must not swallow the next one.
                if f.tell() > 0:
                    f.seek(f.tell() - 1)
                    if f.read(1) != "\n":
                        text = "\n" + text
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            if created:
                fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise AwsError(f"cannot write rollback log {self.path}: {exc.strerror}") from exc

    def _read(self) -> tuple[list[LogEntry], set[int]]:
        """All change entries and the ids already undone, skipping lines a crash cut short."""
        if not self.path.exists():
            return [], set()
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise SpecError(
                str(self.path), "", f"cannot read rollback log: {exc.strerror}"
            ) from exc
        entries: list[LogEntry] = []
        undone: set[int] = set()
        skipped = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if item["op"] == "change":
                    step = item.get("step")
                    entries.append(
                        LogEntry(
                            int(item["id"]),
                            str(item["kind"]),
                            dict(item["undo"]),
                            None if step is None else str(step),
                        )
                    )
                elif item["op"] == "undone":
                    undone.add(int(item["id"]))
            except (ValueError, KeyError, TypeError):
                # Only a write interrupted by a crash leaves such a line. A change is logged
                # before it is made, so a cut "change" was never made; a cut "undone" only
                # means its (idempotent) undo runs again.
                skipped += 1
        self.skipped_lines = skipped
        return entries, undone


def rollback(session: AwsSession, log: RollbackLog, step: str | None = None) -> list[str]:
    """Undo every pending change (only ``step``'s when given), newest first; idempotent."""
    done: list[str] = []
    failed: list[str] = []
    for entry in log.pending(step):
        undo = _UNDOS.get(entry.kind)
        try:
            if undo is None:
                raise AwsError(f"unknown kind of change {entry.kind!r}")
            line = undo(session, entry.undo)
        except Exception as exc:  # one failed undo must not stop the others
            text = str(exc) if isinstance(exc, ChaosError) else f"{type(exc).__name__}: {exc}"
            failed.append(f"#{entry.id} {entry.kind}: {text}")
            continue
        log.mark_undone(entry.id)
        done.append(line)
    if failed:
        raise RollbackError(done, failed)
    return done
