"""A sweep from plan to rows: the runs not yet in DIR/rows.jsonl, handed to an executor,
each appended as it comes back; Ctrl-C keeps what finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaoscli import stop
from chaoscli.errors import Interrupted, SpecError, Terminated
from chaoscli.record.sweep import SweepRow
from chaoscli.sweep import rows as row_file
from chaoscli.sweep.executors import Executor, Finished
from chaoscli.sweep.plan import SweepPlan, group_by_topology, topology_key
from chaoscli.sweep.worker import Task

Progress = Callable[[int, int], None]  # (runs done, runs in all)
POLL_S = 0.1
SEEDS_PER_TASK = 4


@dataclass
class Swept:
    """What a sweep has: every row of its plan so far, and the tasks that failed."""

    rows: list[SweepRow]
    failed: list[Finished] = field(default_factory=list)


def tasks_for(plan: SweepPlan, done: set[tuple[str, int]]) -> list[Task]:
    """The runs not yet done, a few seeds of one point per task (a worker drives a point's
    control plane once for all of them; Ctrl-C waits for no more than a task's runs), with
    points that share a stack next to each other so that a worker's stack serves many."""
    out = []
    for point in group_by_topology(list(plan.points)):
        todo = [(n, seed) for n, seed in plan.seeds(point) if (point.key, n) not in done]
        stack = topology_key(point.loaded)
        for start in range(0, len(todo), SEEDS_PER_TASK):
            seeds = tuple(todo[start : start + SEEDS_PER_TASK])
            out.append(Task(point.key, point.values, point.loaded, seeds, stack))
    return out


def earlier(plan: SweepPlan, folder: Path, resume: bool) -> list[SweepRow]:
    """The rows a resumed sweep keeps; a sweep that would mix with another one is refused."""
    path = folder / row_file.ROWS
    if not resume:
        if path.exists() and path.stat().st_size > 0:
            raise SpecError(
                "--out",
                str(folder),
                f"{path} already holds a sweep: pass --resume to finish it, or another --out",
            )
        return []
    expected = {(p.key, n): seed for p in plan.points for n, seed in plan.seeds(p)}
    kept = []
    for row in row_file.read(path):
        seed = expected.get((row.key, row.seed_index))
        if seed is None:
            continue  # a point or seed this plan no longer has
        if seed != row.seed:
            raise SpecError(
                "--resume",
                str(path),
                f"its run {row.seed_index} of {row.key} has seed {row.seed}, this sweep "
                f"gives it {seed}: it was made with another --seed",
            )
        kept.append(row)
    return kept


def sweep(
    plan: SweepPlan,
    folder: Path,
    executor: Executor,
    resume: bool = False,
    progress: Progress = lambda done, total: None,
) -> Swept:
    """Run every run of ``plan`` not already in ``folder``'s rows; all its rows after. The
    executor is left open, for the next plan (``--find-min`` runs one per probe)."""
    kept = earlier(plan, folder, resume)
    out = Swept(rows=list(kept))
    todo = tasks_for(plan, {(r.key, r.seed_index) for r in kept})
    progress(len(out.rows), plan.total)
    with row_file.RowFile(folder) as rows:

        def take(finished: list[Finished]) -> None:
            for item in finished:
                if item.error is None:
                    rows.append(item.rows)
                    out.rows += item.rows
                else:
                    out.failed.append(item)
            progress(len(out.rows) + len(out.failed), plan.total)

        try:
            stop.honour("before the sweep started")
            executor.start(todo)
            while executor.pending():
                take(executor.collect(POLL_S))
                stop.honour(f"with {len(out.rows)} of {plan.total} runs done (kept)")
        except (Interrupted, Terminated):
            take(executor.stop())  # the runs that finished meanwhile are kept and counted
            raise stop.error(f"with {len(out.rows)} of {plan.total} runs done (kept)") from None
        except BaseException:
            take(executor.stop())
            raise
    return out
