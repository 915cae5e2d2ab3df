"""Sweep benchmarks: a 200-point sweep on the local pool, and one worker against two on a
Dask LocalCluster, with each worker's peak memory.

The points are the 10-minute az-outage at 200,000 req/s, one seed each, over 5 stack sizes
(5 distinct topologies to provision) and 40 per-instance capacities; each sweep runs as a
user starts it (``chaoscli sweep`` in a fresh process, start-up included). The Dask pair
runs ``BENCH_DASK_POINTS`` of those points (40 by default, so that ``make bench`` stays a
few minutes). Figures are printed, never asserted: shared machines are noisy.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

POINTS = int(os.environ.get("BENCH_SWEEP_POINTS", "200"))
DASK_POINTS = int(os.environ.get("BENCH_DASK_POINTS", "40"))
SIZES = "21..25:1"  # instances per zone: 5 topologies
PR_SET_CHILD_SUBREAPER = 36  # prctl(2)


def grid(points: int) -> list[str]:
    """``points`` points: 5 stack sizes x points/5 per-instance capacities."""
    per = max(1, points // 5)
    return [
        "--grid",
        f"topology.instances_per_az={SIZES}",
        "--grid",
        f"topology.instance_capacity_rps=4000..{4000 + 50 * (per - 1)}:50",
    ]


def high_water(pid: int | str = "self") -> int:
    """A process's peak resident memory in bytes (Linux's VmHWM), 0 where it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakMemory:
    """The largest peak memory of any process below this one, read every 0.2 s while they
    live (the pool's workers are the forkserver's children, which getrusage does not see)."""

    def __init__(self, root: int) -> None:
        self.root, self.peak, self._done = root, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            try:
                kids = psutil.Process(self.root).children(recursive=True)
            except psutil.Error:
                continue
            self.peak = max([self.peak, *(high_water(k.pid) for k in kids)])

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def adopt_orphans() -> bool:
    """Make this process the reaper of its descendants' orphans (Linux), so that the CPU
    time of a pool's forkserver and workers counts among its children's; False elsewhere."""
    try:
        return ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1) == 0
    except (OSError, AttributeError):
        return False


def children_cpu() -> float:
    """User + system CPU seconds of the children (and their reaped descendants) so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def sweep(points: int, *args: str, reap: bool = False) -> tuple[float, int, float]:
    """Wall seconds of ``chaoscli sweep az-outage`` over ``points`` points, its rows, and
    the CPU seconds of every process it started (``reap``: wait for the orphans it left,
    as a subreaper must; not while a Dask cluster of this process runs)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "chaoscli", "sweep", "az-outage", *grid(points), *args]
        cpu = children_cpu()
        t = time.perf_counter()
        done = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True)
        wall = time.perf_counter() - t
        while reap:
            try:
                os.wait()
            except ChildProcessError:
                break
        if done.returncode != 0:
            raise SystemExit(f"sweep failed ({done.returncode}): {done.stderr[-2000:]}")
        return wall, (out / "rows.jsonl").read_bytes().count(b"\n"), children_cpu() - cpu


def on_dask(workers: int, points: int) -> tuple[float, float]:
    """Wall seconds of the sweep on a LocalCluster of ``workers`` processes, and the largest
    peak memory (MiB) of one of them."""
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
        wall, _, _ = sweep(points, "--executor", address)
        with Client(cluster) as client:
            peaks = client.run(high_water)
    return wall, max(peaks.values()) / 2**20


def main() -> None:
    from bench.run import machine

    print(f"sweep figures; machine: {machine()}")
    reaped = adopt_orphans()
    with PeakMemory(os.getpid()) as memory:
        wall, rows, cpu = sweep(POINTS, reap=reaped)
    used = f", {cpu:.0f} s CPU (user+sys, every process)" if reaped else ""
    print(
        f"sweep of {rows} points x 1 seed (10-min az-outage, 200,000 req/s, 5 topologies), "
        f"local pool on {os.cpu_count()} cores: {wall:.1f} s{used}, {wall / rows:.2f} s per "
        f"point, peak {memory.peak / 2**20:.0f} MiB per process  (target <= 90 s)"
    )
    one, peak_one = on_dask(1, DASK_POINTS)
    two, peak_two = on_dask(2, DASK_POINTS)
    print(
        f"Dask LocalCluster, {DASK_POINTS} of those points: 1 worker {one:.1f} s, "
        f"2 workers {two:.1f} s, ratio {two / one:.2f}  (target <= 0.6); peak memory per "
        f"worker {max(peak_one, peak_two):.0f} MiB  (target <= 1024)"
    )


if __name__ == "__main__":
    main()
