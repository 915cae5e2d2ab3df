"""What an executor hands back for each task: its rows, or why it has none."""

from __future__ import annotations

from dataclasses import dataclass

from chaoscli.record.sweep import SweepRow
from chaoscli.sweep.worker import Task

ATTEMPTS = 2  # a task whose worker dies is run once more


@dataclass(frozen=True)
class Finished:
    """A task that ended: its rows, or why it has none."""

    task: Task
    rows: list[SweepRow]
    error: str | None = None


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and message."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())
