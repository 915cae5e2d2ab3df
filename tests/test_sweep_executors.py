"""The local pool's promise about a worker that dies: its task runs once more, and a task
whose worker dies again is reported as failed, not dropped; the other tasks are unharmed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chaoscli.record.sweep import SweepRow
from chaoscli.sweep.executors import Finished, LocalPool
from chaoscli.sweep.worker import Task


def dies_once_per_marker(task: Task) -> list[SweepRow]:
    """Kill this worker the first time a task is seen (a marker file in the folder its key
    names remembers it), unless the key says it is a healthy one; every time for "always"."""
    kind, _, folder = task.key.partition(":")
    marker = Path(folder) / kind
    if kind.startswith("healthy"):
        return []
    if kind == "always" or not marker.exists():
        marker.touch()
        os._exit(1)
    return []


def _drain(pool: LocalPool) -> list[Finished]:
    out: list[Finished] = []
    while pool.pending():
        out += pool.collect(0.1)
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dead_worker_s_task_is_retried_once_then_reported(workers: int, tmp_path: Path) -> None:
    tasks = [
        Task(f"{kind}:{tmp_path}", {}, None, ((0, 1),))  # type: ignore[arg-type]
        for kind in ("healthy-1", "once", "always", "healthy-2")
    ]
    pool = LocalPool(workers, dies_once_per_marker)
    try:
        pool.start(tasks)
        done = {f.task.key.partition(":")[0]: f for f in _drain(pool)}
    finally:
        pool.close()
    assert set(done) == {"healthy-1", "once", "always", "healthy-2"}
    assert done["once"].error is None
    assert done["always"].error == "its worker process died, twice"
    assert done["healthy-1"].error is None and done["healthy-2"].error is None
