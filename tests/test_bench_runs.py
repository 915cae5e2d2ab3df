"""The benchmark keeps working as the model changes: its engine scenario runs and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_the_bench_engine_scenario_runs_and_reports_its_figures() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--one", "engine-1k"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["wall"] > 0 and figures["peak_mib"] > 0
