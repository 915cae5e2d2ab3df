"""A real Dask cluster (a LocalCluster of two worker processes on loopback, started here)
gives the table of the local pool: every seed comes with its task, not from where it ran;
Ctrl-C keeps what finished and leaves nothing running for the sweep on the cluster."""

from __future__ import annotations

import contextlib
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaoscli.sweep.dask_cluster import CONNECT_TIMEOUT_S
from chaoscli.sweep.rows import ROWS, read
from tests.helpers import chaoscli
from tests.sweep_helpers import TINY, interrupted_after_first_run, table

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield "dask://" + cluster.scheduler_address.removeprefix("tcp://")


def test_a_dask_cluster_gives_the_table_of_the_local_pool(
    scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert chaoscli(monkeypatch, "sweep", *TINY, "--workers", "1", "--out", str(local)) == 0
    assert chaoscli(monkeypatch, "sweep", *TINY, "--executor", scheduler, "--out", str(dask)) == 0
    assert table(dask) == table(local)
    assert len(table(dask)) == 8


def _tasks_on(scheduler: str) -> int:
    """How many tasks the scheduler still holds, from any client."""
    address = "tcp://" + scheduler.removeprefix("dask://")
    with distributed.Client(address, timeout=10) as client:
        held: int = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
    return held


def test_ctrl_c_on_dask_keeps_the_finished_runs_and_leaves_nothing_on_the_cluster(
    scheduler: str, tmp_path: Path
) -> None:
    rows = tmp_path / ROWS
    runs = [*TINY[: TINY.index("--runs")], "--runs", "8", *TINY[TINY.index("--seed") :]]
    code, err = interrupted_after_first_run([*runs, "--executor", scheduler], tmp_path)
    assert code == 130, err
    assert 1 <= len(read(rows)) < 4 * 8
    deadline = time.monotonic() + 30
    while _tasks_on(scheduler):  # the sweep's tasks were cancelled, its client closed
        assert time.monotonic() < deadline
        time.sleep(0.2)


Answer = Callable[[socket.socket], None]


def _silent(conn: socket.socket) -> None:
    """A web server waiting for the end of a request line that never comes."""
    while conn.recv(4096):
        pass


def _like_http(conn: socket.socket) -> None:
    """What a web server says to a request it cannot parse, the connection kept open."""
    conn.recv(4096)
    conn.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>")


def _garbage(conn: socket.socket) -> None:
    """Bytes in no protocol at all, sent at once, the connection kept open."""
    conn.sendall(random.Random(7).randbytes(256))


@pytest.fixture
def not_a_scheduler(request: pytest.FixtureRequest) -> Iterator[tuple[str, threading.Event]]:
    """A TCP server on loopback that answers every connection with ``request.param`` and
    holds it open; its address and an event set once someone connected."""
    answer: Answer = request.param
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    connected = threading.Event()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # the server was closed
                return
            held.append(conn)
            connected.set()
            threading.Thread(target=_quietly, args=(answer, conn), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"dask://127.0.0.1:{server.getsockname()[1]}", connected
    server.close()
    for conn in held:
        conn.close()


def _quietly(answer: Answer, conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # the test closed the connection
        answer(conn)


def _sweep_on(address: str, out: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "chaoscli", "sweep", *TINY, "--executor", address]
    return subprocess.Popen([*cmd, "--out", str(out)], stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("not_a_scheduler", [_silent, _like_http, _garbage], indirect=True)
def test_a_server_that_is_not_a_scheduler_is_one_line_exit_2_within_seconds(
    not_a_scheduler: tuple[str, threading.Event], tmp_path: Path
) -> None:
    address, connected = not_a_scheduler
    out = tmp_path / "out"
    began = time.monotonic()
    proc = _sweep_on(address, out)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert time.monotonic() - began < CONNECT_TIMEOUT_S + 15
    assert connected.is_set()
    assert proc.returncode == 2, err
    assert err.count("\n") == 1, err
    where = address.removeprefix("dask://")
    assert err.startswith(f"chaoscli: --executor: {address}: {where} answered but is not a Dask")
    assert not out.exists()


@pytest.mark.parametrize("not_a_scheduler", [_silent], indirect=True)
def test_ctrl_c_while_a_server_keeps_the_handshake_waiting_exits_130_at_once(
    not_a_scheduler: tuple[str, threading.Event], tmp_path: Path
) -> None:
    address, connected = not_a_scheduler
    out = tmp_path / "out"
    proc = _sweep_on(address, out)
    try:
        assert connected.wait(30)
        time.sleep(0.5)  # the handshake is under way, waiting on the server
        proc.send_signal(signal.SIGINT)
        pressed = time.monotonic()
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert time.monotonic() - pressed < 3, err
    assert proc.returncode == 130, err
    assert "interrupted while connecting to the Dask scheduler" in err
    assert not out.exists()
