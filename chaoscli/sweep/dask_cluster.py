"""The Dask executor: the same tasks on a Dask distributed cluster, each worker fed by the
sweep so that it keeps to one stack as long as it can.

The sweep keeps a task or two on each worker (one running, one ready to start), chosen by
:class:`~chaoscli.sweep.queue.StackQueue`; a task may still run elsewhere if its worker
leaves. A stop takes the tasks that finished and cancels the rest on the cluster.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, NoReturn

from chaoscli import stop
from chaoscli.errors import SpecError
from chaoscli.sweep.finished import ATTEMPTS, Finished, one_line
from chaoscli.sweep.queue import StackQueue
from chaoscli.sweep.worker import Task, ready, run_task

CONNECT_TIMEOUT_S = 5
GRACE_S = 3  # past the connect timeout, how long the handshake may take before we give up
PER_WORKER = 2  # tasks on a worker at a time: one running, the next ready to start
WORKERS_EVERY_S = 2.0  # how often the scheduler is asked which workers it has


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
        self._client: Any = _connected(Client, address)
        self._queue = StackQueue()
        self._stacks: dict[str, str | None] = {}  # worker address -> the stack it holds
        self._running: dict[Any, tuple[str, Task]] = {}  # future -> (its worker, its task)
        self._asked_at = -WORKERS_EVERY_S
        self._warming: list[Any] = []

    def warm(self) -> None:
        """Have every worker import the sweep's modules while the grid is validated."""
        self._warming = [  # held, or the scheduler would drop them before they run
            self._client.submit(ready, pure=False, workers=[address], allow_other_workers=True)
            for address in self._workers()
        ]

    def _workers(self) -> list[str]:
        """The workers the scheduler has, asked at most every ``WORKERS_EVERY_S``."""
        now = time.monotonic()
        if now - self._asked_at >= WORKERS_EVERY_S:
            self._asked_at = now
            found = sorted(self._client.nthreads())
            self._stacks = {w: self._stacks.get(w) for w in found}
        return list(self._stacks)

    def start(self, tasks: list[Task]) -> None:
        for task in tasks:
            self._queue.add(task, 1)
        self._feed()

    def pending(self) -> int:
        return len(self._queue) + len(self._running)

    def _feed(self) -> None:
        on = Counter(worker for worker, _ in self._running.values())
        workers = self._workers()
        workers.sort(key=lambda w: self._stacks[w] is None)
        for worker in workers:
            while on[worker] < PER_WORKER:
                serving = Counter(
                    stack for w in workers if on[w] and (stack := self._stacks[w]) is not None
                )
                found = self._queue.take(self._stacks[worker], serving)
                if found is None:
                    break
                task, _ = found
                future = self._client.submit(
                    run_task,
                    task,
                    pure=False,
                    retries=ATTEMPTS - 1,
                    workers=[worker],
                    allow_other_workers=True,
                )
                self._running[future] = (worker, task)
                self._stacks[worker] = task.stack
                on[worker] += 1

    def _done(self) -> list[Finished]:
        out: list[Finished] = []
        for future in [f for f in self._running if f.done()]:
            _, task = self._running.pop(future)
            if future.status == "finished":
                out.append(Finished(task, future.result()))
            elif future.status == "cancelled":
                out.append(Finished(task, [], "cancelled on the cluster"))
            else:
                out.append(Finished(task, [], one_line(future.exception())))
        return out

    def collect(self, wait_s: float) -> list[Finished]:
        out = self._done()
        if not out:
            stop.sleep(wait_s)
            out = self._done()
        self._feed()
        return out

    def stop(self) -> list[Finished]:
        """Keep the tasks that finished; cancel every other one on the cluster."""
        self._queue.clear()
        out = [f for f in self._done() if f.error is None]
        if self._running:
            self._client.cancel(list(self._running), force=True)
            self._running.clear()
        return out

    def close(self) -> None:
        self._client.close()


def _connected(client: Any, address: str) -> Any:
    """A client of the scheduler at ``address``, or a SpecError within a few seconds.

    Distributed's timeout bounds the TCP connect, not the exchange after it: a server that
    answers but is not a scheduler can keep it waiting forever, or send bytes it reads as a
    message of exabytes. So the client is built in a daemon thread, waited for until a
    deadline or a stop request.
    """
    target = "tcp://" + address.removeprefix("dask://")
    built: list[Any] = []
    failed: list[str] = []  # why, as one line
    given_up = False
    lock = threading.Lock()
    done = threading.Event()

    def build() -> None:
        try:
            made = client(target, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except BaseException as exc:  # any failure is the address's, told in one line
            failed.append(_why(exc, address))
            done.set()
            _keep(exc)
        with lock:
            if not given_up:
                built.append(made)
                done.set()
                return
        made.close()

    threading.Thread(target=build, name="dask-connect", daemon=True).start()
    deadline = time.monotonic() + CONNECT_TIMEOUT_S + GRACE_S
    try:
        while not done.is_set() and time.monotonic() < deadline:
            stop.honour("while connecting to the Dask scheduler")
            done.wait(0.1)
        stop.honour("while connecting to the Dask scheduler")
    finally:
        with lock:
            given_up = not built
    if built:
        return built[0]
    waited = CONNECT_TIMEOUT_S + GRACE_S
    where = address.removeprefix("dask://")
    silent = f"{where} answered but is not a Dask scheduler (no handshake within {waited} s)"
    why = failed[0] if failed else silent
    raise SpecError("--executor", address, why)


def _why(exc: BaseException, address: str) -> str:
    """Nobody there (the connect timed out or was refused), or something that is not a
    scheduler (it closed the connection, or sent what is not Dask's protocol)."""
    from distributed.comm.core import CommClosedError

    if isinstance(exc, OSError | TimeoutError) and not isinstance(exc, CommClosedError):
        return f"no Dask scheduler answered within {CONNECT_TIMEOUT_S} s ({one_line(exc)})"
    where = address.removeprefix("dask://")
    if isinstance(exc, CommClosedError):
        return f"{where} answered but is not a Dask scheduler (it closed the connection)"
    what = type(exc).__name__  # e.g. a MemoryError: other bytes read as a message's size
    return f"{where} answered but is not a Dask scheduler (it speaks another protocol: {what})"


def _keep(exc: BaseException) -> NoReturn:
    """Hold a failed connection's error, and with it its half-built client, for good.

    Let go, the client would close itself, which waits on a connection that may never answer
    (twice the timeout, then a traceback on stderr); held by this daemon thread, it is
    dropped with the process instead.
    """
    while True:
        time.sleep(3600)
