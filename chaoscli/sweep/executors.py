"""Where a sweep's tasks run: a local process pool (the default) or a Dask cluster.

Both run :func:`chaoscli.sweep.worker.run_task` on the same tasks and hand back each as it
finishes; a task whose worker died is run once more, then reported as failed. Neither
decides a figure: every seed comes with its task.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from typing import Any, Protocol

from chaoscli import stop
from chaoscli.errors import SpecError
from chaoscli.record.sweep import SweepRow
from chaoscli.sweep.worker import Task, run_task

ATTEMPTS = 2  # a task whose worker dies is run once more
CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Finished:
    """A task that ended: its rows, or why it has none."""

    task: Task
    rows: list[SweepRow]
    error: str | None = None


class Executor(Protocol):
    """What the sweep asks of an executor."""

    name: str

    def start(self, tasks: list[Task]) -> None: ...
    def collect(self, wait_s: float) -> list[Finished]: ...
    def pending(self) -> int: ...
    def stop(self) -> list[Finished]: ...
    def close(self) -> None: ...


def _quiet_worker() -> None:
    """A worker's start: Ctrl-C is the sweep's to handle, not each worker's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _context() -> BaseContext:
    """Forkserver workers (safe with the parent's threads) that start with the task's modules
    already imported."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["chaoscli.sweep.worker"])
    return context


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


class LocalPool:
    """A process pool over this machine's cores (forkserver: safe with threads)."""

    name = "local"

    def __init__(self, workers: int, work: Callable[[Task], list[SweepRow]] = run_task) -> None:
        self.workers = max(1, workers)
        self.work = work
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future[list[SweepRow]], tuple[Task, int]] = {}
        self._waiting: deque[tuple[Task, int]] = deque()  # not handed to a worker yet

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_quiet_worker)

    def _submit(self, task: Task, attempt: int) -> None:
        self._waiting.append((task, attempt))

    def _feed(self) -> None:
        """Hand tasks to the pool, no more at a time than it has workers: a stop then waits
        only for the tasks that are running."""
        while self._waiting and len(self._futures) < self.workers:
            if self._pool is None:
                self._pool = self._new_pool()
            task, attempt = self._waiting.popleft()
            self._futures[self._pool.submit(self.work, task)] = (task, attempt)

    def start(self, tasks: list[Task]) -> None:
        for task in tasks:
            self._submit(task, 1)
        self._feed()

    def pending(self) -> int:
        return len(self._futures) + len(self._waiting)

    def collect(self, wait_s: float) -> list[Finished]:
        """The tasks that finished within ``wait_s`` seconds (perhaps none)."""
        done, _ = wait(list(self._futures), timeout=wait_s, return_when=FIRST_COMPLETED)
        out: list[Finished] = []
        broken: list[tuple[Task, int]] = []
        for future in done:
            task, attempt = self._futures.pop(future)
            try:
                out.append(Finished(task, future.result()))
            except BrokenExecutor:
                broken.append((task, attempt))
            except Exception as exc:
                out.append(Finished(task, [], _one_line(exc)))
        if broken:
            self._restart(broken, out)
        self._feed()
        return out

    def _restart(self, broken: list[tuple[Task, int]], out: list[Finished]) -> None:
        """A worker died and took the pool with it: every task it held runs again in a new
        pool; one caught in a second death runs alone, so that only the task that kills its
        worker is reported as failed."""
        old, self._pool = self._pool, None
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        retry = list(broken)
        for future in list(self._futures):  # the rest of the old pool's tasks
            retry.append(self._futures.pop(future))
        for task, attempt in retry:
            if attempt >= ATTEMPTS:
                out.append(self._alone(task))
            else:
                self._waiting.appendleft((task, attempt + 1))

    def _alone(self, task: Task) -> Finished:
        """Run ``task`` in a pool of its own, where a death is its own: once more if its
        worker dies there, then reported as failed."""
        for _ in range(ATTEMPTS):
            with ProcessPoolExecutor(1, mp_context=_context(), initializer=_quiet_worker) as one:
                try:
                    return Finished(task, one.submit(self.work, task).result())
                except BrokenExecutor:
                    continue
                except Exception as exc:
                    return Finished(task, [], _one_line(exc))
        return Finished(task, [], "its worker process died, twice")

    def stop(self) -> list[Finished]:
        """Drop what has not started; the tasks already running, once they end."""
        self._waiting.clear()
        for future in self._futures:
            future.cancel()
        running = [f for f in self._futures if not f.cancelled()]
        wait(running)
        out = []
        for future in running:
            task, _ = self._futures.pop(future)
            if future.exception() is None:
                out.append(Finished(task, future.result()))
        self._futures.clear()
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskCluster:
    """A Dask distributed scheduler at ``address`` (``dask://HOST:PORT``)."""

    name = "dask"

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise SpecError(
                "--executor",
                address,
                "Dask is not installed: pip install 'chaoscli[dask]'",
            ) from None
        target = "tcp://" + address.removeprefix("dask://")
        try:
            self._client: Any = Client(target, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise SpecError(
                "--executor",
                address,
                f"no Dask scheduler answered within {CONNECT_TIMEOUT_S} s ({_one_line(exc)})",
            ) from None
        self._futures: dict[Any, Task] = {}
        self._queue: Any = None

    def start(self, tasks: list[Task]) -> None:
        from distributed import as_completed

        futures = [
            self._client.submit(run_task, task, pure=False, retries=ATTEMPTS - 1, priority=-n)
            for n, task in enumerate(tasks)
        ]
        self._futures = dict(zip(futures, tasks, strict=True))
        self._queue = as_completed(futures)

    def pending(self) -> int:
        return len(self._futures)

    def collect(self, wait_s: float) -> list[Finished]:
        out: list[Finished] = []
        if self._queue is None:
            return out
        batch = self._queue.next_batch(block=False)
        if not batch:
            stop.sleep(wait_s)
            batch = self._queue.next_batch(block=False)
        for future in batch:
            task = self._futures.pop(future)
            if future.status == "finished":
                out.append(Finished(task, future.result()))
            else:
                out.append(Finished(task, [], _one_line(future.exception())))
        return out

    def stop(self) -> list[Finished]:
        """Cancel every task not yet finished (a cluster's running tasks are not waited for)."""
        out = [
            Finished(self._futures.pop(f), f.result())
            for f in list(self._futures)
            if f.status == "finished"
        ]
        self._client.cancel(list(self._futures))
        self._futures.clear()
        return out

    def close(self) -> None:
        self._client.close()


def executor_for(spec: str, workers: int) -> Executor:
    """``local`` or ``dask://HOST:PORT``; anything else is refused."""
    if spec == "local":
        return LocalPool(workers)
    if spec.startswith("dask://") and ":" in spec.removeprefix("dask://"):
        return DaskCluster(spec)
    raise SpecError("--executor", spec, "expected local or dask://HOST:PORT")
