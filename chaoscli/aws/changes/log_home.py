"""Where rollback logs live: a per-user state folder, one file per run, named by run id and time.

``$XDG_STATE_HOME/chaoscli/rollback/`` (else ``~/.local/state/chaoscli/rollback/``) survives a
reboot, unlike ``/tmp``, and is the one place ``chaoscli rollback --last`` looks. A log is
deleted when its run finishes clean; the ones left are the unfinished runs, and old finished
ones (whose deletion failed) are pruned.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaoscli.aws.changes.log import RollbackLog
from chaoscli.errors import SpecError

SUFFIX = ".rollback"
PRUNE_AFTER = timedelta(days=1)


def folder(environ: dict[str, str] | None = None) -> Path:
    """The folder rollback logs go in by default (not created here)."""
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local/state")
    return Path(state) / "chaoscli" / "rollback"


def new_path(run_id: str | None = None, environ: dict[str, str] | None = None) -> Path:
    """A fresh log path for one run: ``<UTC time>-<run id>.rollback``, so names sort by age."""
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder(environ) / f"{now}-{run_id or uuid.uuid4().hex[:8]}{SUFFIX}"


@dataclass(frozen=True)
class Found:
    """A log in the folder and what it says of its run."""

    path: Path
    pending: int  # changes not undone
    stands: bool  # a stack the run provisioned and did not tear down
    in_process: bool  # the run used in-process moto: its state died with it
    alive: bool  # the process that writes it is still running on this host
    leased: bool = False  # the run's lease on the stack was never released (killed)

    @property
    def unfinished(self) -> bool:
        """Something is left to undo somewhere that outlives the run: a change, a stack it
        provisioned, or its lease, which would keep every other command off the stack until
        it expires."""
        return not self.in_process and (self.pending > 0 or self.stands or self.leased)


def note_owner(log: RollbackLog) -> None:
    """Note which process on which host writes the log, so that nobody prunes it meanwhile."""
    log.note(pid=os.getpid(), host=socket.gethostname())


def survey(where: Path | None = None) -> list[Found]:
    """Every log in the folder, newest first; unreadable files are skipped."""
    base = where or folder()
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.glob(f"*{SUFFIX}"), reverse=True):
        try:
            log = RollbackLog.load(path)
            notes = log.notes()
            pending = len(log.pending())
        except (SpecError, OSError):
            continue
        found.append(
            Found(
                path=path,
                pending=pending,
                stands=bool(notes.get("provisioned")) and not notes.get("torn_down"),
                in_process=bool(notes.get("in_process")),
                alive=_alive(notes),
                leased=bool(notes.get("lease_run")) and not notes.get("lease_released"),
            )
        )
    return found


def last_unfinished(where: Path | None = None) -> Path:
    """The newest log that still has something to undo and no live process writing it."""
    for found in survey(where):
        if found.unfinished and not found.alive:
            return found.path
    raise SpecError(
        "rollback --last", "", f"no unfinished rollback log in {where or folder()}: nothing to do"
    )


def prune(where: Path | None = None, now: datetime | None = None) -> list[Path]:
    """Delete finished logs no process writes any more (in-process runs' included) once they
    are older than ``PRUNE_AFTER``; the paths deleted."""
    moment = now or datetime.now(UTC)
    gone = []
    for found in survey(where):
        if found.unfinished or found.alive:
            continue
        try:
            age = moment - datetime.fromtimestamp(found.path.stat().st_mtime, UTC)
            if age >= PRUNE_AFTER:
                found.path.unlink()
                gone.append(found.path)
        except OSError:
            continue
    return gone


def _alive(notes: dict[str, object]) -> bool:
    """Whether the process noted as the log's writer still runs on this host."""
    pid, host = notes.get("pid"), notes.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
