"""Where a sweep's tasks run: a local process pool (the default) or a Dask cluster.

Both run :func:`chaoscli.sweep.worker.run_task` on the same tasks and hand back each as it
finishes; a task whose worker died is run once more, then reported as failed. Neither
decides a figure: every seed comes with its task.
"""

from __future__ import annotations

from typing import Protocol

from chaoscli.errors import SpecError
from chaoscli.sweep.dask_cluster import DaskCluster
from chaoscli.sweep.finished import Finished
from chaoscli.sweep.local_pool import LocalPool
from chaoscli.sweep.worker import Task


class Executor(Protocol):
    """What the sweep asks of an executor."""

    name: str

    def warm(self) -> None: ...
    def start(self, tasks: list[Task]) -> None: ...
    def collect(self, wait_s: float) -> list[Finished]: ...
    def pending(self) -> int: ...
    def stop(self) -> list[Finished]: ...
    def close(self) -> None: ...


def executor_for(spec: str, workers: int) -> Executor:
    """``local`` or ``dask://HOST:PORT``; anything else is refused."""
    if spec == "local":
        return LocalPool(workers)
    if spec.startswith("dask://") and ":" in spec.removeprefix("dask://"):
        return DaskCluster(spec)
    raise SpecError("--executor", spec, "expected local or dask://HOST:PORT")


__all__ = ["DaskCluster", "Executor", "Finished", "LocalPool", "executor_for"]
