"""The local executor: one worker process per core, each fed by the sweep itself.

Each worker is a process pool of its own (forkserver: safe with the parent's threads), so
the sweep chooses which worker runs which task: a worker keeps the stack it built, and
:class:`~chaoscli.sweep.queue.StackQueue` gives it that stack's tasks while there are any.
A worker that dies takes only its own task with it: that task runs once more, then it is
reported as failed.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from multiprocessing.context import BaseContext

from chaoscli.record.sweep import SweepRow
from chaoscli.sweep.finished import ATTEMPTS, Finished, one_line
from chaoscli.sweep.queue import StackQueue
from chaoscli.sweep.worker import Task, run_task

Work = Callable[[Task], list[SweepRow]]


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


class _Lane:
    """One worker process, the stack it last served and the task it runs."""

    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.stack: str | None = None
        self.running: tuple[Future[list[SweepRow]], Task, int] | None = None

    def open(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(1, mp_context=_context(), initializer=_quiet_worker)
        return self.pool

    def start(self) -> None:
        """Start the worker process now (it is otherwise started by its first task)."""
        self.open().submit(os.getpid).result()

    def restart(self) -> None:
        """Its process died: the next task gets a new one, which holds no stack."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool, self.stack = None, None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class LocalPool:
    """A process per core on this machine, each kept on one stack as long as it can be."""

    name = "local"

    def __init__(self, workers: int, work: Work = run_task) -> None:
        self.work = work
        self._lanes = [_Lane() for _ in range(max(1, workers))]
        self._queue = StackQueue()
        self._starting: threading.Thread | None = None

    def warm(self) -> None:
        """Start the worker processes in the background (the sweep validates its grid
        meanwhile); the first task waits for them."""
        if self._starting is None:
            self._starting = threading.Thread(target=self._start_lanes, daemon=True)
            self._starting.start()

    def _start_lanes(self) -> None:
        for lane in self._lanes:
            try:
                lane.start()
            except Exception:  # its first task starts it again, and says what is wrong
                lane.restart()

    def _ready(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None

    def start(self, tasks: list[Task]) -> None:
        for task in tasks:
            self._queue.add(task, 1)
        self._ready()
        self._feed()

    def pending(self) -> int:
        return len(self._queue) + sum(lane.running is not None for lane in self._lanes)

    def _feed(self) -> None:
        """Give each free worker its next task: its own stack's first, so that a worker
        that could go on with its stack is not sent to another."""
        free = [lane for lane in self._lanes if lane.running is None]
        free.sort(key=lambda lane: lane.stack is None)
        for lane in free:
            serving = Counter(
                other.stack for other in self._lanes if other.running and other.stack is not None
            )
            found = self._queue.take(lane.stack, serving)
            if found is None:
                continue
            task, attempt = found
            lane.stack = task.stack
            lane.running = (lane.open().submit(self.work, task), task, attempt)

    def collect(self, wait_s: float) -> list[Finished]:
        """The tasks that finished within ``wait_s`` seconds (perhaps none)."""
        running = {lane.running[0]: lane for lane in self._lanes if lane.running}
        done, _ = wait(list(running), timeout=wait_s, return_when=FIRST_COMPLETED)
        out: list[Finished] = []
        for future in done:
            lane = running[future]
            assert lane.running is not None
            _, task, attempt = lane.running
            lane.running = None
            try:
                out.append(Finished(task, future.result()))
            except BrokenExecutor:
                lane.restart()
                if attempt >= ATTEMPTS:
                    out.append(Finished(task, [], "its worker process died, twice"))
                else:
                    self._queue.add(task, attempt + 1, first=True)
            except Exception as exc:
                out.append(Finished(task, [], one_line(exc)))
        self._feed()
        return out

    def stop(self) -> list[Finished]:
        """Drop what has not started; the tasks already running, once they end."""
        self._queue.clear()
        out = []
        for lane in self._lanes:
            if lane.running is None:
                continue
            future, task, _ = lane.running
            lane.running = None
            wait([future])
            if not future.cancelled() and future.exception() is None:
                out.append(Finished(task, future.result()))
        return out

    def close(self) -> None:
        self._ready()
        for lane in self._lanes:
            lane.close()
