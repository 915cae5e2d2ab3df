"""The task every executor runs: some runs of one point, in whatever process it lands.

A worker keeps one provisioned stack (the last topology it served) and the control planes
driven on it; nothing it keeps changes a figure, only how much work a task repeats.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass

from chaoscli.experiment.loader import Loaded
from chaoscli.record.sweep import Scalar, SweepRow
from chaoscli.sweep.judge import judge
from chaoscli.sweep.plan import topology_key
from chaoscli.sweep.stack import Stack


@dataclass(frozen=True)
class Task:
    """Runs of one point to make: its key, its overrides, its experiment, (index, seed)s,
    and the stack it needs (its topology key: tasks with the same one share a stack)."""

    key: str
    point: dict[str, Scalar]
    loaded: Loaded
    seeds: tuple[tuple[int, int], ...]
    stack: str = ""


_LOCK = threading.Lock()  # a Dask worker may run tasks in threads; the stack is one
_STACK: Stack | None = None


def _stack_for(loaded: Loaded) -> Stack:
    """The stack of the task's topology: the one kept, or a new one in place of it."""
    global _STACK
    if _STACK is not None and _STACK.key == topology_key(loaded):
        return _STACK
    if _STACK is not None:
        old, _STACK = _STACK, None
        old.close()
    _STACK = Stack(loaded)
    return _STACK


@atexit.register
def _close() -> None:
    """End the kept stack's moto before the interpreter starts to tear itself down."""
    global _STACK
    if _STACK is not None:
        old, _STACK = _STACK, None
        old.close()


def ready() -> None:
    """Nothing: a worker that runs it has imported this module, and so the sweep's."""


def run_task(task: Task) -> list[SweepRow]:
    """Every run of ``task``, judged; one row each."""
    with _LOCK:
        stack = _stack_for(task.loaded)
        stack.check(task.loaded)
        alarms = stack.alarms(task.loaded)
        try:
            rows = []
            for index, seed in task.seeds:
                run, cause = judge(
                    task.loaded,
                    stack.before,
                    lambda s, cut: stack.plane(task.loaded, s, cut),
                    alarms,
                    seed,
                )
                rows.append(
                    SweepRow(
                        key=task.key,
                        point=task.point,
                        seed_index=index,
                        seed=seed,
                        run=run,
                        cause=cause,
                    )
                )
            return rows
        finally:
            if alarms:
                stack.forget_alarms()
