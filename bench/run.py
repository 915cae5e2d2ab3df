"""Benchmarks: wall time and peak memory of the engine and of whole runs, as medians.

First the whole default run as a user starts it (``chaoscli run az-outage`` in a fresh
process, start-up included), the same with ``--runs 20`` and the ratio of the two, and the
number of AWS API calls a run makes; then the engine alone and larger runs. With ``--long``
(``make bench-long``), a one-hour and a 24-hour az-outage at 1,000,000 req/s, each the whole
``chaoscli run`` command writing its JSON journal and HTML report, whose peak memory must stay
within 1 GiB and whose time must grow linearly with the length; the journal's and report's
sizes are printed beside them. Each scenario runs in its own process (so its peak memory is
its own), several times (the 24-hour one ``BENCH_LONG_REPEAT`` times, once by default); the
figures are printed, never asserted: shared machines are noisy.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
LONG_REPEAT = int(os.environ.get("BENCH_LONG_REPEAT", "1"))
PEAK = ["traffic.rps=1000000", "topology.instance_capacity_rps=20000"]
SCENARIOS: dict[str, tuple[str, list[str]]] = {
    "engine-1k": ("engine", ["1000"]),
    "engine-1M": ("engine", ["1000000"]),
    "run-1k": ("run", ["traffic.rps=1000", "topology.instance_capacity_rps=20000"]),
    "run-1M": ("run", PEAK),
    "run-1000-instances": ("run", ["topology.instances_per_az=334"]),
}
LONG: dict[str, list[str]] = {
    "az-outage-1M-1h": [*PEAK, "traffic.duration_s=3600"],
    "az-outage-1M-24h": [*PEAK, "traffic.duration_s=86400"],
}
SIMULATED_S = {name: 600.0 for name in SCENARIOS} | {
    "az-outage-1M-1h": 3600.0,
    "az-outage-1M-24h": 86400.0,
}


def one(kind: str, args: list[str]) -> float:
    """Time one scenario in this process; returns wall seconds."""
    if kind == "engine":
        from chaoscli.sim.engine import Engine
        from chaoscli.sim.scenario import (
            ControlAction,
            EngineParams,
            ModelParams,
            Scenario,
            Snapshot,
            TrafficProfile,
        )
        from tests.topologies import AZS, power_off, shop

        rate = float(args[0])
        base = shop(per_az=25)
        sc = Scenario(
            snapshots=(
                Snapshot(0, base),
                Snapshot(120, power_off(base, AZS[0])),
                Snapshot(420, base),
            ),
            traffic=TrafficProfile.constant(rate, 600, 0.01),
            model=ModelParams(instance_capacity_rps=max(5000.0, rate / 40)),
            engine=EngineParams(seed=1),
            actions=(ControlAction(120, "db_failover"),),
        )
        t = time.perf_counter()
        Engine(sc).run()
        return time.perf_counter() - t
    from chaoscli.experiment.journal import build
    from chaoscli.experiment.loader import load
    from chaoscli.experiment.runner import run
    from chaoscli.report.html import render

    t = time.perf_counter()
    journal = build(run(load("az-outage", args), seed=1))
    journal.model_dump_json()  # the journal as written
    render(journal)
    return time.perf_counter() - t


def whole_command(extra: list[str]) -> tuple[float, float]:
    """Median wall seconds and CPU seconds (its worker processes included) of ``chaoscli run
    az-outage`` with ``extra`` arguments, each in a fresh process from interpreter start to
    exit."""
    walls, cpus = [], []
    for _ in range(REPEAT):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "chaoscli", "run", "az-outage", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def api_calls() -> dict[str, int]:
    """The API calls of the default az-outage run, by operation (in a fresh process)."""
    out = subprocess.run(
        [sys.executable, __file__, "--calls"], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def count_calls() -> dict[str, int]:
    """Run the default az-outage as ``chaoscli run`` does, on a session that counts calls."""
    from chaoscli.aws.session import open_session
    from chaoscli.experiment.journal import build
    from chaoscli.experiment.loader import load
    from chaoscli.experiment.runner import run

    loaded = load("az-outage")
    with open_session(loaded.experiment.topology.region) as session:
        build(run(loaded, seed=0, aws=session))
    return dict(session.calls)


def measure(name: str, repeat: int = REPEAT) -> tuple[float, float]:
    """Median wall seconds and the largest peak memory (MiB) over ``repeat`` fresh processes."""
    walls, peaks = [], []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        walls.append(data["wall"])
        peaks.append(data["peak_mib"])
    return statistics.median(walls), max(peaks)


def whole_long(sets: list[str]) -> dict[str, float]:
    """``chaoscli run az-outage`` with ``sets``, writing its journal and HTML report, in a
    fresh process: wall seconds, that process's peak resident memory (MiB, from its own
    rusage) and the sizes of the journal and the report (MiB)."""
    with tempfile.TemporaryDirectory() as folder:
        journal, report = Path(folder) / "j.json", Path(folder) / "r.html"
        args = [a for s in sets for a in ("--set", s)]
        cmd = [sys.executable, "-m", "chaoscli", "run", "az-outage", *args]
        cmd += ["--journal", str(journal), "--report", str(report)]
        t = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited {child.returncode}")
        return {
            "wall": wall,
            "peak_mib": usage.ru_maxrss / 1024,
            "journal_mib": journal.stat().st_size / 2**20,
            "report_mib": report.stat().st_size / 2**20,
        }


def measure_long(name: str, repeat: int) -> dict[str, float]:
    """A long scenario over ``repeat`` runs: median wall, largest peak, the sizes written."""
    runs = [whole_long(LONG[name]) for _ in range(repeat)]
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "peak_mib": max(r["peak_mib"] for r in runs),
        "journal_mib": runs[-1]["journal_mib"],
        "report_mib": runs[-1]["report_mib"],
    }


def machine() -> str:
    """The machine the figures were measured on: CPU model, cores, memory, Python."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB memory"
    except (ValueError, OSError, AttributeError):
        memory = ""
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{model} ({platform.machine()}), {os.cpu_count()} cores{memory}{load}; "
        f"Python {platform.python_version()}"
    )


def long_runs() -> None:
    """The one-hour and the 24-hour az-outage at 1,000,000 req/s, each the whole command
    writing its journal and HTML report: time, peak memory and the sizes written."""
    print("whole `chaoscli run az-outage` at 1,000,000 req/s with --journal and --report (html):")
    r = {name: measure_long(name, REPEAT if name.endswith("1h") else LONG_REPEAT) for name in LONG}
    for name, f in r.items():
        sim, wall = SIMULATED_S[name], f["wall"]
        print(
            f"  {name:<20} {wall:7.1f} s  sim/wall {sim / wall:6.0f}x  "
            f"{wall / (sim / 3600):6.1f} s per simulated hour  peak {f['peak_mib']:5.0f} MiB  "
            f"journal {f['journal_mib']:5.1f} MiB  report {f['report_mib']:4.1f} MiB"
        )
    hour, day = r["az-outage-1M-1h"], r["az-outage-1M-24h"]
    print(f"24 h / 1 h wall: {day['wall'] / hour['wall']:.1f}x  (linear: 24x)")
    print(
        f"24-hour az-outage at 1,000,000 req/s, journal and report written, peak memory: "
        f"{day['peak_mib']:.0f} MiB  (target <= 1024)"
    )


def main() -> None:
    """Run every scenario and print the figures against the targets."""
    print(f"machine: {machine()}; median of {REPEAT} fresh processes each")
    if sys.argv[1:] == ["--long"]:
        long_runs()
        return
    one_wall, one_cpu = whole_command([])
    many_wall, many_cpu = whole_command(["--runs", "20"])
    calls = api_calls()
    print(
        f"whole default run (chaoscli run az-outage): {one_wall:.2f} s wall, {one_cpu:.2f} s CPU"
        "  (target <= 4 s)"
    )
    top = ", ".join(f"{op} {n}" for op, n in sorted(calls.items(), key=lambda x: -x[1])[:4])
    print(f"  API calls: {sum(calls.values())} ({top}, ...)")
    r = {name: measure(name) for name in SCENARIOS}
    for name, (wall, peak) in r.items():
        sim = SIMULATED_S[name]
        print(f"  {name:<20} {wall:7.2f} s  sim/wall {sim / wall:6.0f}x  peak {peak:5.0f} MiB")
    print(
        f"engine cost 1,000,000 / 1,000 req/s:     {r['engine-1M'][0] / r['engine-1k'][0]:.2f}x"
        "  (target <= 1.5x)"
    )
    print(f"whole run cost 1,000,000 / 1,000 req/s:  {r['run-1M'][0] / r['run-1k'][0]:.2f}x")
    print(
        f"10-min az-outage at 1M req/s, whole run: {r['run-1M'][0]:.2f} s"
        f"  (target <= 6 s, sim/wall >= 100)"
    )
    print(
        f"1,002 instances, provision+simulate+report: {r['run-1000-instances'][0]:.2f} s"
        "  (target <= 15 s)"
    )
    print(
        f"chaoscli run az-outage --runs 20: {many_wall:.2f} s wall, {many_cpu:.2f} s CPU; "
        f"{many_wall / one_wall:.2f}x one run's wall ({one_wall:.2f} s), "
        f"{many_cpu / one_cpu:.2f}x its CPU  (target <= 3x)"
    )
    print(f"largest peak memory: {max(p for _, p in r.values()):.0f} MiB  (target <= 1024)")
    print("the one-hour and 24-hour runs: make bench-long (about ten minutes)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--calls"]:
        print(json.dumps(count_calls()))
    elif len(sys.argv) == 3 and sys.argv[1] == "--one":
        kind, args = SCENARIOS[sys.argv[2]]
        wall = one(kind, args)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"wall": wall, "peak_mib": peak}))
    else:
        main()
