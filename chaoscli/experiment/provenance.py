"""Where a run came from, read at its edge: the wall-clock times it began and ended, the
experiment file's digest, the overrides it ran with and where its AWS calls went.

The wall clock is read here and by nothing the simulation runs: the record keeps these times
out of every determinism comparison (see :func:`chaoscli.record.model.comparable`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from chaoscli import __version__


def now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


def stamp(at: datetime) -> str:
    """A wall-clock time as ISO 8601 in UTC, to the second."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def file_sha256(source: str) -> str | None:
    """The SHA-256 of the experiment file as read now; None when it cannot be read."""
    try:
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()
    except OSError:
        return None


def version() -> str:
    """chaoscli's installed version (the package's metadata, else the source's own)."""
    try:
        return metadata.version("chaoscli")
    except metadata.PackageNotFoundError:
        return __version__


def overrides(sets: tuple[str, ...], vars_: tuple[str, ...]) -> list[str]:
    """The ``--set`` and ``--var`` a run was loaded with, as a command line gives them."""
    return [f"--set {s}" for s in sets] + [f"--var {v}" for v in vars_]


@dataclass
class Edge:
    """What the run's edge read: when it began and ended, the file's digest, the endpoint,
    and the command line (which only the CLI knows, so it fills that in)."""

    started_at: datetime | None = None
    ended_at: datetime | None = None
    experiment_sha256: str | None = None
    endpoint: str | None = None  # in-process, endpoint or aws
    endpoint_url: str | None = None
    command: str | None = None

    def begin(self, source: str) -> None:
        """The run begins: the wall clock and the file's digest, unless already read."""
        if self.started_at is None:
            self.started_at = now()
            self.experiment_sha256 = file_sha256(source)

    def end(self) -> None:
        """The run has ended, rollback included."""
        self.ended_at = now()
