"""A run's life cycle around its method: the hold on the stack, a rollback nothing interrupts,
and a last word that says truthfully whether the stack is as it was.

Whatever ends the method (success, a deviation, an error, SIGINT or SIGTERM at any phase,
provisioning included), the rollback log is replayed under a shield, the stack this run
provisioned is torn down, and what is left is read back from the log itself: nothing (the
run's error, or "rolled back") or a ``NotRestored`` that names it and the command to finish.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from chaoscli import stop
from chaoscli.aws.changes.log import RollbackError, RollbackLog, rollback
from chaoscli.aws.discover import discover
from chaoscli.aws.lease import release
from chaoscli.aws.session import AwsSession
from chaoscli.errors import ChaosError, Interrupted, NotRestored, Terminated
from chaoscli.experiment.compare import compare, differs
from chaoscli.experiment.strategy import RollbackStrategy, keep
from chaoscli.topology import Topology

Phase = Callable[[str], None]
BEFORE = "before anything changed"


class Outcome(Protocol):
    """The parts of a run's outcome the life cycle fills in."""

    status: str
    error: str | None
    stopped: dict[str, Any] | None
    runs: list[Any]
    rollback: list[str]
    restored: list[str]
    topology_before: Topology | None
    topology_after: Topology | None
    kept: list[str]
    kept_why: str
    kept_log: str | None
    log_problems: list[str]

    @property
    def deviated(self) -> bool: ...


@dataclass
class Hold:
    """What the life cycle needs to put a stack back: where, the log, and how far the run got."""

    session: AwsSession
    log: RollbackLog
    stack: str
    show: Phase  # the caller's phase callback (a spinner, the live view)
    now: str = BEFORE  # the phase under way, for the last word
    failed: list[str] = field(default_factory=list)  # undos that failed, with their reason
    fixes: list[str] = field(default_factory=list)  # the aws CLI commands that do them by hand
    undone: int = 0
    tore_down: str | None = None
    strategy: RollbackStrategy = RollbackStrategy.ALWAYS  # whether the run rolls back at all

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
            out.append(f"stack {self.stack} (provisioned by this run, not torn down)")
        return out


@contextmanager
def held(hold: Hold, out: Outcome) -> Iterator[None]:
    """Run the block; then roll back under a shield and end with the truth (see module)."""
    cause: BaseException | None = None
    try:
        yield
        out.status = ended(out)
    except BaseException as exc:  # a stop, an error, stop.Abandoned or a bug: roll back
        cause = exc
        out.status = "interrupted" if _stopped(exc) else "aborted"
        if isinstance(exc, ChaosError) and not _stopped(exc):
            out.error = str(exc)
    if not hold.strategy.rolls_back(out.status, out.deviated):
        keep(out, hold.strategy, hold.log, hold.session.persistent)
        if cause is not None and _stopped(cause):
            raise stop.error(f"{_where(hold)}; not rolled back ({out.kept_why})") from None
        if cause is not None:
            raise cause
        return
    stopped_at = hold.now
    abandoned = _restore(hold, out)
    out.log_problems = list(hold.log.problems)
    hold.now = stopped_at
    left = hold.left()
    if not left:
        if not hold.tore_down:
            wrong = differs(out.restored, str(hold.log.path), hold.session.persistent)
            if wrong is not None:
                raise wrong from cause
        with contextlib.suppress(OSError):  # a read-only folder: the log lists nothing to do
            hold.log.path.unlink(missing_ok=True)
        if cause is not None and _stopped(cause):
            done = "" if hold.now == BEFORE else f"; {_done(hold)}"
            raise stop.error(f"{_where(hold)}{done}") from None
        if cause is not None:
            raise cause
        return
    raise NotRestored(_not_restored(cause, hold, left, abandoned)) from cause


def ended(out: Outcome) -> str:
    """Chaos Toolkit's word for a method that ran to its end: ``aborted`` when a stop
    condition cut it (in a single run), else ``failed`` when the hypothesis deviated, else
    ``completed``."""
    if out.stopped is not None and len(out.runs) <= 1:
        return "aborted"
    return "failed" if out.deviated else "completed"


def _stopped(exc: BaseException) -> bool:
    """Whether ``exc`` ended the block because of a stop request (whatever it became on the
    way: an undo of ``--pace``'s replay that the request cut is a failed undo, for one)."""
    return isinstance(exc, Interrupted | Terminated | KeyboardInterrupt) or (
        stop.requested() is not None and not isinstance(exc, stop.Abandoned)
    )


def _where(hold: Hold) -> str:
    return hold.now if hold.now == BEFORE else f"while {hold.now}"


def _restore(hold: Hold, out: Outcome) -> bool:
    """Undo every logged change and release the stack, shielded; True if a third quick
    Ctrl-C left the rest."""
    log, session = hold.log, hold.session
    total = len(log.pending())

    def progress() -> str:
        done = f"{total - len(log.pending())} of {total} change(s) undone"
        return f"{done}; tearing down stack {hold.stack}" if tearing else done

    tearing = False

    with stop.shielded(progress):
        try:
            hold.phase("rolling back")
            try:
                out.rollback = rollback(session, log)
            except RollbackError as exc:
                out.rollback, hold.failed = list(exc.undone), list(exc.failed)
                hold.fixes = list(exc.fixes)
            hold.undone = len(out.rollback)
            if out.topology_before is not None and not hold.failed:
                try:
                    out.topology_after = discover(session, hold.stack)
                    out.restored = compare(out.topology_before, out.topology_after)
                except ChaosError as exc:
                    out.restored = [f"could not re-discover the stack: {exc}"]
            provisioned = bool(log.notes().get("provisioned"))  # noted before the first create
            tearing = provisioned and session.persistent
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
    if parts:
        return "rolled back: " + " and ".join(parts)
    return "nothing had been changed" if hold.now == BEFORE else "nothing was left to undo"


def _not_restored(cause: BaseException | None, hold: Hold, left: list[str], abandoned: bool) -> str:
    """One line: why the run ended, what is left, and the command that finishes the job."""
    if cause is not None and _stopped(cause):
        why = str(stop.error(_where(hold)))
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
    by_hand = f"; or by hand: {'; '.join(hold.fixes)}" if hold.fixes else ""
    return f"{why}; {how}; left: {shown}{failed}; {finish}{by_hand}"
