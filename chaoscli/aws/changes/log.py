"""The rollback log: a durable record of exact undos, and the rollback that replays it.

Each change is written to the log (flushed and fsynced) before it is made, so a run killed with
``kill -9`` can still be rolled back from the file alone by ``chaoscli rollback LOG``. Each
change module registers its undos here with ``@undoes(kind, fix)``, ``fix`` being the aws CLI
commands an SRE would type when the undo keeps failing; the log knows no change module.

The rollback finishes whatever happens to the file: each undo is attempted (and retried with
backoff) even when the log can no longer be written, and what is left is reported at the end.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import tenacity

from chaoscli.aws.session import AwsSession
from chaoscli.errors import AwsError, ChaosError, NotRestored, SpecError

Undo = Callable[[AwsSession, dict[str, Any]], str]
# The aws CLI commands that undo one change by hand, given its undo arguments and the
# ``aws --region R [--endpoint-url E]`` prefix of the place it was made.
Fix = Callable[[dict[str, Any], str], list[str]]
_UNDOS: dict[str, Undo] = {}
_FIXES: dict[str, Fix] = {}


def undoes(kind: str, fix: Fix) -> Callable[[Undo], Undo]:
    """Register the decorated function as the undo of every logged change of ``kind``, and
    ``fix`` as the commands that do the same by hand.

    ``kind`` is written into the log, so it never changes once released: an old log must
    still replay.
    """

    def register(fn: Undo) -> Undo:
        if _UNDOS.setdefault(kind, fn) is not fn:
            raise ValueError(f"two undos for the kind of change {kind!r}")
        _FIXES[kind] = fix
        return fn

    return register


def aws_prefix(region: str, endpoint_url: str | None) -> str:
    """``aws --region R`` (and ``--endpoint-url E``): where a manual fix must be sent."""
    words = ["aws", "--region", region]
    if endpoint_url:
        words += ["--endpoint-url", endpoint_url]
    return shlex.join(words)


def manual_fix(entry: LogEntry, aws: str) -> list[str]:
    """The aws CLI commands that undo ``entry`` by hand (empty for an unknown kind)."""
    fix = _FIXES.get(entry.kind)
    if fix is None:
        return []
    try:
        return fix(entry.undo, aws)
    except (KeyError, TypeError, ValueError):  # a log line from a damaged file
        return []


@dataclass(frozen=True)
class Retry:
    """How often a failed undo is tried again, and how long to wait in between (doubling).

    ``sleep`` is injectable so that tests never wait.
    """

    attempts: int = 3
    first_wait_s: float = 2.0
    max_wait_s: float = 10.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, fn: Callable[[], str]) -> str:
        """``fn()``, tried up to ``attempts`` times; the last failure is raised as it was."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=tenacity.wait_exponential(multiplier=self.first_wait_s, max=self.max_wait_s),
            sleep=self.sleep,
            retry=tenacity.retry_if_exception_type(Exception),
            reraise=True,
        )
        return retrying(fn)


RETRY = Retry()


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


class RollbackError(NotRestored):
    """Some undos failed even when retried; ``undone`` and ``failed`` say which, one line each,
    ``fixes`` the aws CLI commands that finish the job by hand, ``log_problems`` what could
    not be written to the log. The message is one line and names the log and its command."""

    def __init__(
        self,
        undone: list[str],
        failed: list[str],
        fixes: list[str] | None = None,
        log_problems: list[str] | None = None,
        path: Path | None = None,
    ) -> None:
        self.undone = undone
        self.failed = failed
        self.fixes = fixes or []
        self.log_problems = log_problems or []
        self.path = path
        text = f"could not undo {len(failed)} change(s): " + "; ".join(failed)
        if self.fixes:
            text += "; by hand: " + "; ".join(self.fixes)
        if path is not None:
            text += f"; the rollback log is kept: `chaoscli rollback {shlex.quote(str(path))}`"
        if self.log_problems:
            text += f"; {self.log_problems[0]}"
        super().__init__(" ".join(text.split()))


class RollbackLog:
    """A JSON-lines file of changes and of the undos already done; safe against kill -9."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.skipped_lines = 0
        self.step: str | None = None
        self.undone_unrecorded: set[int] = set()  # undone, but the log could not say so
        self.problems: list[str] = []  # what could not be written, one line each

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
        undone |= self.undone_unrecorded
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


def rollback(
    session: AwsSession, log: RollbackLog, step: str | None = None, retry: Retry | None = None
) -> list[str]:
    """Undo every pending change (only ``step``'s when given), newest first; idempotent.

    Every undo is attempted, each retried with backoff, whether or not the log can still be
    written. What could not be undone raises ``RollbackError`` with its manual fix; a log that
    could not be written is reported in ``log.problems`` (the stack is restored, the file
    still lists undone changes, and replaying them is harmless).
    """
    policy = retry or RETRY
    aws = aws_prefix(session.region, session.endpoint_url)
    done: list[str] = []
    failed: list[str] = []
    fixes: list[str] = []
    problems: list[str] = []
    for entry in log.pending(step):
        undo = _UNDOS.get(entry.kind)
        try:
            if undo is None:
                raise AwsError(f"unknown kind of change {entry.kind!r}")
            line = policy.call(partial(undo, session, entry.undo))
        except Exception as exc:  # one failed undo must not stop the others
            text = str(exc) if isinstance(exc, ChaosError) else f"{type(exc).__name__}: {exc}"
            failed.append(f"#{entry.id} {entry.kind}: {text}")
            fixes += manual_fix(entry, aws)
            continue
        done.append(line)
        log.undone_unrecorded.add(entry.id)
        try:
            log.mark_undone(entry.id)
        except AwsError as exc:
            problems.append(str(exc))
        else:
            log.undone_unrecorded.discard(entry.id)
    if problems:
        note = (
            f"could not record {len(problems)} undo(s) in the rollback log ({problems[0]}): "
            "the log still lists them, and replaying it is harmless: each undo looks before it acts"
        )
        log.problems.append(note)
    if failed:
        raise RollbackError(done, failed, fixes, log.problems[-1:] if problems else [], log.path)
    return done
