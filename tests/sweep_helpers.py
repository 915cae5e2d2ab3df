"""A tiny sweep several test modules run: 4 points x 2 seeds of a two-minute az-outage on a
small stack."""

from __future__ import annotations

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
