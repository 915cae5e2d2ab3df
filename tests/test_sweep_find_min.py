"""``--find-min`` bisects one field over the executor; a direct ``chaoscli run`` on either
side of the boundary it finds confirms it: the value found holds, the one below deviates."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoscli.sweep.rows import ROWS, read
from tests.helpers import chaoscli

FIELD = "topology.instances_per_az"
SMALL = [
    "--set",
    "traffic.duration_s=120",
    "--set",
    "traffic.rps=20000",
    "--set",
    "engine.samples_per_s=500",
    "--set",
    "hypothesis.windows=[during]",
    "--var",
    "at_s=30",
    "--var",
    "duration_s=60",
]


def test_the_boundary_found_is_confirmed_by_a_run_on_either_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["--find-min", f"{FIELD}=1..6:1", "--runs", "4", "--must-hold", "0.5"]
    assert chaoscli(monkeypatch, "sweep", "az-outage", *args, *SMALL, "--out", str(out)) == 0
    said = " ".join(capsys.readouterr().out.split())
    rows = read(out / ROWS)
    tried = sorted({r.point[FIELD] for r in rows})
    assert len(tried) < 6  # bisected, not gridded
    held = [n for n in tried if all(r.run.held for r in rows if r.point[FIELD] == n)]
    found = min(held)
    assert f"{FIELD}: {found} is the smallest value that holds; {found - 1} falls short" in said
    for value, status in ((found, 0), (found - 1, 1)):
        seed = next(r.seed for r in rows if r.point[FIELD] == value)
        direct = ["run", "az-outage", "--no-verify-fixes", "--seed", str(seed), *SMALL]
        assert chaoscli(monkeypatch, *direct, "--set", f"{FIELD}={value}") == status
