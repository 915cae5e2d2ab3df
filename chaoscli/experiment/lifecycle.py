"""A run's life cycle around its method: the hold on the stack, a rollback nothing interrupts,
and a last word that says truthfully whether the stack is as it was.

Whatever ends the method (success, a deviation, an error, SIGINT or SIGTERM at any phase,
provisioning included), the rollback log is replayed under a shield, the stack this run
provisioned is torn down, and what is left is read back from the log itself: nothing (the
run's error, or "rolled back") or a ``NotRestored`` that names it and the command to finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from chaoscli import stop
from chaoscli.aws.changes.log import RollbackError, RollbackLog, rollback
from chaoscli.aws.discover import discover
from chaoscli.aws.lease import release
from chaoscli.aws.session import AwsSession
from chaoscli.errors import ChaosError, Interrupted, NotRestored, Terminated
from chaoscli.experiment.compare import compare
from chaoscli.topology import Topology

Phase = Callable[[str], None]


class Outcome(Protocol):
    """The parts of a run's outcome the life cycle fills in."""

    status: str
    error: str | None
    rollback: list[str]
    restored: list[str]
    topology_before: Topology | None
    topology_after: Topology | None


@dataclass
class Hold:
    """What the life cycle needs to put a stack back: where, the log, and how far the run got."""

    session: AwsSession
    log: RollbackLog
    stack: str
    show: Phase  # the caller's phase callback (a spinner, the live view)
    now: str = "before anything changed"  # the phase under way, for the last word
    failed: list[str] = field(default_factory=list)  # undos that failed, with their reason
    undone: int = 0
    tore_down: str | None = None

    def phase(self, text: str) -> None:
        """Between phases: honour a stop request, then show the next phase."""
        stop.honour(f"while {self.now}")
        self.now = text
        self.show(text)

    def left(self) -> list[str]:
        """What the stack still differs by, read back from the log: pending changes, and a
        stack this run provisioned on a persistent endpoint that still stands."""
        out = [f"#{e.id} {e.kind}" for e in self.log.pending()]
        notes = self.log.notes()
        if notes.get("provisioned") and not notes.get("torn_down") and self.session.persistent:
            out.append(f"stack {self.stack} (provisioned by this run) still stands")
        return out


@contextmanager
def held(hold: Hold, out: Outcome) -> Iterator[None]:
    """Run the block; then roll back under a shield and end with the truth (see module)."""
    cause: BaseException | None = None
    try:
        yield
        out.status = "completed"
    except (Interrupted, Terminated, KeyboardInterrupt) as exc:
        out.status, cause = "interrupted", exc
    except ChaosError as exc:
        out.status, out.error, cause = "aborted", str(exc), exc
    except BaseException as exc:  # stop.Abandoned, or a bug: the rollback still runs
        cause = exc
    stopped_at = hold.now
    abandoned = _restore(hold, out)
    hold.now = stopped_at
    left = hold.left()
    if not left:
        hold.log.path.unlink(missing_ok=True)
        if isinstance(cause, Interrupted | Terminated | KeyboardInterrupt):
            raise _stopped(cause, hold) from None
        if cause is not None:
            raise cause
        return
    raise NotRestored(_not_restored(cause, hold, left, abandoned)) from cause


def _restore(hold: Hold, out: Outcome) -> bool:
    """Undo every logged change and release the stack, shielded; True if a third quick
    Ctrl-C left the rest."""
    log, session = hold.log, hold.session
    total = len(log.pending())

    def progress() -> str:
        return f"{total - len(log.pending())} of {total} change(s) undone"

    with stop.shielded(progress):
        try:
            hold.phase("rolling back")
            try:
                out.rollback = rollback(session, log)
            except RollbackError as exc:
                out.rollback, hold.failed = list(exc.undone), list(exc.failed)
            hold.undone = len(out.rollback)
            if out.topology_before is not None and not hold.failed:
                try:
                    out.topology_after = discover(session, hold.stack)
                    out.restored = compare(out.topology_before, out.topology_after)
                except ChaosError as exc:
                    out.restored = [f"could not re-discover the stack: {exc}"]
            provisioned = bool(log.notes().get("provisioned"))  # noted before the first create
            try:
                hold.tore_down = release(session, log, hold.stack, provisioned)
            except ChaosError as exc:
                hold.failed.append(f"tear down stack {hold.stack}: {exc}")
            if hold.tore_down:
                out.rollback.append(hold.tore_down)
        except stop.Abandoned:
            return True
    return False


def _done(hold: Hold) -> str:
    """What the rollback did, for a stopped run's last line."""
    parts = [f"{hold.undone} change(s) undone"] if hold.undone else []
    if hold.tore_down:
        parts.append(f"stack {hold.stack}, which this run provisioned, torn down")
    return "rolled back: " + " and ".join(parts) if parts else "nothing had been changed"


def _stopped(cause: BaseException, hold: Hold) -> ChaosError:
    """The stop error a cleanly stopped run ends with: 130 or 143, and what was undone."""
    where = hold.now if hold.now.startswith("before") else f"while {hold.now}"
    kind = Terminated if isinstance(cause, Terminated) else Interrupted
    word = "terminated by SIGTERM" if kind is Terminated else "interrupted"
    return kind(f"{word} {where}; {_done(hold)}")


def _not_restored(cause: BaseException | None, hold: Hold, left: list[str], abandoned: bool) -> str:
    """One line: why the run ended, what is left, and the command that finishes the job."""
    if isinstance(cause, Terminated):
        why = "terminated by SIGTERM"
    elif isinstance(cause, Interrupted | KeyboardInterrupt):
        why = "interrupted"
    elif cause is not None and not isinstance(cause, stop.Abandoned):
        why = f"{cause}"
    else:
        why = "the run ended"
    how = "rollback left unfinished at your request" if abandoned else "rollback incomplete"
    failed = f" ({'; '.join(hold.failed)})" if hold.failed else ""
    if hold.session.persistent:
        finish = f"finish with `chaoscli rollback {hold.log.path}`"
    else:
        finish = f"in-process moto ends with this process; log kept at {hold.log.path}"
    shown = ", ".join(left[:8]) + (f" and {len(left) - 8} more" if len(left) > 8 else "")
    return f"{why}; {how}: still to undo {shown}{failed}; {finish}"
