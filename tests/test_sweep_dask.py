"""A real Dask cluster (a LocalCluster of two worker processes on loopback, started here)
gives the table of the local pool: every seed comes with its task, not from where it ran;
Ctrl-C keeps what finished and leaves nothing running for the sweep on the cluster."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoscli.sweep.rows import ROWS, read
from tests.helpers import chaoscli
from tests.sweep_helpers import TINY, table

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
    cmd = [sys.executable, "-m", "chaoscli", "sweep", *runs, "--executor", scheduler]
    proc = subprocess.Popen([*cmd, "--out", str(tmp_path)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (rows.exists() and rows.read_bytes().count(b"\n") >= 1):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert 1 <= len(read(rows)) < 4 * 8
    deadline = time.monotonic() + 30
    while _tasks_on(scheduler):  # the sweep's tasks were cancelled, its client closed
        assert time.monotonic() < deadline
        time.sleep(0.2)
