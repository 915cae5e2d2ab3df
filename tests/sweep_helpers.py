"""A tiny sweep several test modules run: 4 points x 2 seeds of a two-minute az-outage on a
small stack."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from chaoscli.record.sweep import SweepRow
from chaoscli.sweep.rows import ROWS, read

TINY = (
    "az-outage",
    "--grid",
    "topology.instances_per_az=2,3",
    "--grid",
    "az=ap-south-1a,ap-south-1b",
    "--runs",
    "2",
    "--seed",
    "7",
    "--set",
    "traffic.duration_s=120",
    "--set",
    "traffic.rps=20000",
    "--set",
    "engine.samples_per_s=500",
    "--var",
    "at_s=30",
    "--var",
    "duration_s=60",
)
TINY_RUNS = 8


def table(folder: Path) -> list[str]:
    """Every row of a sweep's folder as JSON, in (point, seed index) order."""
    rows: list[SweepRow] = read(folder / ROWS)
    return [r.model_dump_json() for r in sorted(rows, key=lambda r: (r.key, r.seed_index))]


def interrupted_after_first_run(args: list[str], out: Path) -> tuple[int, str]:
    """``chaoscli sweep ARGS --out OUT`` in its own process, sent SIGINT once a first run
    is kept: its exit code and stderr."""
    rows = out / ROWS
    cmd = [sys.executable, "-m", "chaoscli", "sweep", *args, "--out", str(out)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (rows.exists() and rows.read_bytes().count(b"\n") >= 1):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err
