"""Benchmarks: wall time of the engine and of whole runs, as medians of repeated runs.

Prints simulated/wall ratios, the cost ratio between 1,000,000 and 1,000 requests/s, and
peak memory. Not a test: shared machines are noisy, so figures are quoted, never asserted.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable

from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.sim.engine import Engine
from chaoscli.sim.scenario import (
    ControlAction,
    EngineParams,
    ModelParams,
    Scenario,
    Snapshot,
    TrafficProfile,
)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tests.topologies import AZS, power_loss, shop

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def median_time(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median wall time of ``fn`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def engine_az_outage(rate: float, per_az: int = 25) -> Callable[[], object]:
    """A 10-minute az-outage scenario for the bare engine."""
    base = shop(per_az=per_az)
    cap = max(5000.0, rate / (2 * per_az) * 1.25)
    sc = Scenario(
        snapshots=(Snapshot(0, base), Snapshot(120, power_loss(base, AZS[0])), Snapshot(420, base)),
        traffic=TrafficProfile.constant(rate, 600),
        model=ModelParams(instance_capacity_rps=cap),
        engine=EngineParams(seed=1),
        actions=(ControlAction(120, "db_failover"),),
    )
    return lambda: Engine(sc).run()


def main() -> None:
    """Run every benchmark and print the figures."""
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medians of {REPEAT} runs"
    )
    lo = median_time(engine_az_outage(1_000))
    hi = median_time(engine_az_outage(1_000_000))
    print(f"engine, 10-min az-outage at 1,000 req/s:      {lo:6.2f} s  (sim/wall {600 / lo:5.0f}x)")
    print(f"engine, 10-min az-outage at 1,000,000 req/s:  {hi:6.2f} s  (sim/wall {600 / hi:5.0f}x)")
    print(f"cost ratio 1,000,000 / 1,000 req/s:           {hi / lo:6.2f}x  (target <= 1.5x)")
    loaded = load(
        "az-outage",
        sets=[
            "traffic.rps=1000000",
            "topology.instances_per_az=100",
            "topology.instance_capacity_rps=7500",
        ],
    )
    full = median_time(lambda: run(loaded, seed=1), repeat=max(1, REPEAT // 2))
    print(f"chaoscli run az-outage, 300 instances, 1M req/s: {full:6.2f} s")
    big = load(
        "az-outage", sets=["topology.instances_per_az=334", "topology.database.read_replicas=2"]
    )
    big_t = median_time(lambda: run(big, seed=1), repeat=1)
    print(f"chaoscli run az-outage, 1,002 instances:      {big_t:6.2f} s  (target <= 15 s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process:                  {peak:6.0f} MiB (target <= 1024)")


if __name__ == "__main__":
    main()
