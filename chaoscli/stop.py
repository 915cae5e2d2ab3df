"""The stop request: SIGINT and SIGTERM only record it; the run honours it at safe points.

A handler that raises lands wherever the main thread happens to be: inside a botocore
request (whose retry takes it for a network error and carries on) or halfway through an
undo. So the handlers record which signal came and return; the code asks ``honour()`` where
stopping is safe: before every AWS call, between phases and once per simulated second. While
the rollback runs it is shielded: further signals are acknowledged on stderr and change
nothing, except that a third Ctrl-C within a few seconds abandons what is left of it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from chaoscli.errors import ChaosError, Interrupted, Terminated

ABANDON_WINDOW_S = 3.0  # three Ctrl-C within this many seconds, one during a rollback, leave it
_HANDLED = (signal.SIGINT, signal.SIGTERM)
Progress = Callable[[], str]


class Abandoned(BaseException):
    """Repeated Ctrl-C left the rollback unfinished; raised before the next AWS call.

    Not an ``Exception``: a rollback's per-undo ``except Exception`` must not take it for one
    failed undo and go on with the next.
    """


@dataclass
class _State:
    signum: int | None = None  # the first signal that asked to stop
    signals: int = 0  # every signal received since
    progress: Progress | None = None  # set while a rollback runs: "3 of 12 changes undone"
    presses: list[float] = field(default_factory=list)  # recent Ctrl-C times
    abandoned: bool = False
    installed: dict[int, Any] = field(default_factory=dict)  # the handlers we replaced


_state = _State()


def _say(text: str) -> None:
    """One line on stderr, written straight to the descriptor: a signal handler must not
    re-enter a buffered stream the main thread may be writing to."""
    with suppress(OSError):
        os.write(2, f"chaoscli: {text}\n".encode(errors="replace"))


def _name(signum: int) -> str:
    return signal.Signals(signum).name


def _handler(signum: int, frame: FrameType | None) -> None:
    """Record the request; acknowledge a repeat; abandon a rollback on a third quick Ctrl-C."""
    s = _state
    s.signals += 1
    now = time.monotonic()
    if signum == signal.SIGINT:
        s.presses = [t for t in s.presses if now - t <= ABANDON_WINDOW_S] + [now]
    if s.signum is None:
        s.signum = signum
        _say(f"{_name(signum)} received: stopping at the next safe point; undoing changes")
        return
    if s.progress is None:
        _say(f"{_name(signum)} received again: already stopping; the rollback will run")
        return
    if s.abandoned:
        return
    if len(s.presses) >= 3:
        s.abandoned = True
        _say(f"rollback in progress: {s.progress()}; leaving the rest at your request")
        return
    more = 3 - len(s.presses)
    _say(
        f"rollback in progress: {s.progress()}; it finishes before chaoscli exits (press "
        f"Ctrl-C {'twice' if more == 2 else 'once'} more within {ABANDON_WINDOW_S:g} s to "
        "leave the rest, not recommended)"
    )


def install() -> None:
    """Let SIGINT and SIGTERM record a stop request (main thread only; else nothing)."""
    for signum in _HANDLED:
        if signum in _state.installed:
            continue
        try:
            _state.installed[signum] = signal.signal(signum, _handler)
        except ValueError:  # not the main thread: signals are not ours to handle
            return


def uninstall() -> None:
    """Put back the handlers ``install`` replaced and forget any request."""
    global _state
    for signum, previous in _state.installed.items():
        signal.signal(signum, previous)
    _state = _State()


@contextmanager
def handling() -> Iterator[None]:
    """Signals record a stop request for the duration of the block (a request made before,
    e.g. while modules were imported, is kept); the handlers found are put back after."""
    ours = not _state.installed
    install()
    try:
        yield
    finally:
        if ours:
            uninstall()


def withdraw() -> None:
    """Forget a request that was the expected way to end a command (``sandbox``)."""
    _state.signum = None
    _state.presses.clear()


def requested() -> int | None:
    """The signal that asked to stop, if one did."""
    return _state.signum


def abandoned() -> bool:
    """True once repeated Ctrl-C asked to leave the rollback unfinished."""
    return _state.abandoned


def error(where: str) -> ChaosError:
    """The error that ends a stopped command (``where``: e.g. "while provisioning the stack");
    Interrupted when no signal was recorded (a KeyboardInterrupt where handlers were not ours)."""
    if _state.signum == signal.SIGTERM:
        return Terminated(f"terminated by SIGTERM {where}")
    return Interrupted(f"interrupted {where}")


def honour(where: str = "") -> None:
    """Raise if a stop was requested: ``Interrupted`` or ``Terminated`` (``Abandoned`` while
    a rollback runs and the user asked to leave it). A no-op during a rollback otherwise."""
    s = _state
    if s.abandoned:
        raise Abandoned()
    if s.signum is not None and s.progress is None:
        raise error(where or "at a safe point")


@contextmanager
def shielded(progress: Progress) -> Iterator[None]:
    """Let nothing but a third quick Ctrl-C stop the block; ``progress`` is said when asked."""
    previous, _state.progress = _state.progress, progress
    try:
        yield
    finally:
        _state.progress = previous


def sleep(seconds: float, step: float = 0.1) -> None:
    """Sleep, but wake within ``step`` seconds of a stop request."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if _state.signum is not None and _state.progress is None:
            return
        time.sleep(min(step, left))
