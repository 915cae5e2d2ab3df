"""``chaoscli sweep``: one experiment over a grid of overrides and seeds, on a local process
pool or a Dask cluster; every run appended to DIR/rows.jsonl as it ends, then the answers."""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chaoscli.cli.access import SetOpt, VarOpt
from chaoscli.cli.app import ExitStatus, app
from chaoscli.cli.environment import Environment, env_of
from chaoscli.errors import SpecError
from chaoscli.experiment.passes import cores
from chaoscli.record.sweep import SweepRow, TaskFailure
from chaoscli.report.sweep_files import write_reports
from chaoscli.report.sweep_terminal import print_find_min, print_summary
from chaoscli.sweep import plan as sweep_plan
from chaoscli.sweep.answers import answer
from chaoscli.sweep.campaign import Target, target
from chaoscli.sweep.executors import Executor, Finished, executor_for
from chaoscli.sweep.find import Found, search
from chaoscli.sweep.grid import Axis, parse_axis
from chaoscli.sweep.run import earlier
from chaoscli.sweep.run import sweep as run_sweep

GridOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="FIELD=V1,V2,... or FIELD=A..B:STEP; a spec path or a parameter; `every` for a "
        "zone parameter: each zone of the stack (repeatable)."
    ),
]
FindMinOpt = Annotated[
    str | None,
    typer.Option(
        "--find-min",
        help="FIELD=A..B:STEP: bisect this field for its smallest value that holds, at each "
        "point of the rest of the grid, instead of gridding it.",
    ),
]


def _bar(env: Environment) -> Progress:
    """A progress bar with ETA on stderr, shown only on a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=env.stderr,
        transient=True,
        disable=not env.isatty(stderr=True),
    )


def _axes(found: Target, grid: list[str], bisected: Axis | None) -> list[Axis]:
    """The campaign's axes, then the command line's (which replace a field given in both);
    the bisected field last."""
    given = [parse_axis(item) for item in grid]
    if bisected is not None and any(a.field == bisected.field for a in given):
        raise SpecError(
            "--find-min", bisected.field, "also given to --grid: bisect the field or grid it"
        )
    fields = {a.field for a in given} | ({bisected.field} if bisected else set())
    base = found.campaign.axes(found.source) if found.campaign else []
    axes = [a for a in base if a.field not in fields] + [a for a in given if a.field in fields]
    if bisected is not None:
        axes = [a for a in axes if a.field != bisected.field] + [bisected]
    return axes


def _bisected(found: Target, given: str | None) -> Axis | None:
    """The field ``--find-min`` (or the campaign's find_min) bisects: ascending numbers."""
    spec = given or (found.campaign.find_min if found.campaign else None)
    if spec is None:
        return None
    axis = parse_axis(spec, "--find-min")
    numbers = [v for v in axis.values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(axis.values) or sorted(set(numbers)) != numbers:
        raise SpecError("--find-min", axis.field, "needs numbers in ascending order, e.g. 1..10:1")
    return axis


def _overrides(found: Target, set_: list[str], var: list[str]) -> tuple[list[str], list[str]]:
    c = found.campaign
    sets = [f"{k}={json.dumps(v)}" for k, v in c.set.items()] if c else []
    vars_ = [f"{k}={json.dumps(v)}" for k, v in c.var.items()] if c else []
    return sets + set_, vars_ + var


@dataclass
class _Sweeping:
    """One command's sweeping: its folder and executor, the plans run so far and their
    failures; the first plan honours --resume, later ones (bisection probes) add to it."""

    folder: Path
    executor: Executor
    resume: bool
    env: Environment
    failed: list[Finished] = field(default_factory=list)
    ran: bool = False  # a plan has run: later ones are bisection probes

    def run(self, plan: sweep_plan.SweepPlan) -> list[SweepRow]:
        def progress(done: int, total: int) -> None:
            if self.resume and not self.ran:  # said once, of what the folder held
                self.ran = True
                self.env.stderr.print(
                    f"resuming {self.folder}: {done:,} of {total:,} runs already done, "
                    f"{total - done:,} to run"
                )
            bar.update(task, completed=done)

        with _bar(self.env) as bar:
            what = "sweeping" if len(plan.points) > 1 else plan.points[0].key
            task = bar.add_task(what, total=plan.total)
            swept = run_sweep(plan, self.folder, self.executor, self.resume, progress)
        self.ran = True
        self.resume = True
        self.failed += swept.failed
        return swept.rows


@app.command()
def sweep(
    ctx: typer.Context,
    experiment: Annotated[
        str, typer.Argument(help="Experiment or campaign: a shipped name or a YAML file.")
    ],
    grid: GridOpt = None,
    runs: Annotated[
        int | None, typer.Option(min=1, help="Seeds per point (campaign's, else 1).")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Root seed; each run's seed derives from it and its point."),
    ] = None,
    must_hold: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Share of runs a point must hold, above 0 (default 0.95)."
        ),
    ] = None,
    set_: SetOpt = None,
    var: VarOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for rows.jsonl and the reports (default: sweep-NAME)."),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(help="local (a process pool over this machine's cores) or dask://HOST:PORT."),
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes of the local pool (default: one per core)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Keep the runs already in DIR/rows.jsonl; run the rest."),
    ] = False,
    find_min: FindMinOpt = None,
) -> None:
    """Judge an experiment over a grid of overrides and seeds, each run kept as it ends.

    The grid is given with --grid or in a campaign file (campaigns/*.yaml); every run is
    appended to DIR/rows.jsonl as it ends, so Ctrl-C keeps them and --resume runs the rest.
    """
    env = env_of(ctx)
    if must_hold is not None and must_hold <= 0:
        raise SpecError("--must-hold", f"{must_hold:g}", "must be above 0 (and at most 1)")
    found = target(experiment)
    c = found.campaign
    sets, vars_ = _overrides(found, set_ or [], var or [])
    bisected = _bisected(found, find_min)
    axes = _axes(found, grid or [], bisected)
    folder = out or Path(f"sweep-{Path(found.source or experiment).stem}")
    _check_folder(folder)
    pool = executor_for(executor, workers or cores())
    results: list[Found] = []
    with closing(pool):
        pool.warm()  # the workers start while every point is validated
        plan = sweep_plan.build(
            found.experiment,
            axes,
            sets,
            vars_,
            runs or (c.runs if c else 1),
            seed if seed is not None else (c.seed if c else 0),
            must_hold if must_hold is not None else (c.must_hold if c else 0.95),
        )
        doing = _Sweeping(folder, pool, resume, env)
        if bisected is None:
            rows = doing.run(plan)
        else:
            results = search(plan, bisected, doing.run)
            rows = earlier(plan, folder, resume=True)
    raise typer.Exit(_answered(plan, rows, doing.failed, results, bisected, folder, env))


def _check_folder(folder: Path) -> None:
    """--out must be a folder, or a path where one can be made: not a file, nor below one."""
    for path in [folder, *folder.parents]:
        if path.exists():
            if not path.is_dir():
                what = "is a file" if path.is_file() else "exists and is not a folder"
                below = f" (below it: {folder})" if path != folder else ""
                raise SpecError("--out", str(path), f"{what}, not a folder{below}")
            return


def _failures(failed: list[Finished]) -> list[TaskFailure]:
    return [
        TaskFailure(key=f.task.key, point=f.task.point, seed_index=n, seed=s, error=f.error or "")
        for f in failed
        for n, s in f.task.seeds
    ]


def _answered(
    plan: sweep_plan.SweepPlan,
    rows: list[SweepRow],
    failed: list[Finished],
    results: list[Found],
    bisected: Axis | None,
    folder: Path,
    env: Environment,
) -> int:
    """The answers printed and written beside the rows; exit 3 when some runs failed."""
    axes = [a.field for a in plan.axes]
    if bisected is not None:
        axes = [bisected.field, *(a for a in axes if a != bisected.field)]
    answers = answer(
        rows,
        axes,
        plan.must_hold,
        planned=[p.values for p in plan.points] if bisected is None else [],
        runs_per_point=plan.runs,
        failures=_failures(failed),
        title=plan.points[0].loaded.experiment.title,
        root_seed=plan.root_seed,
    )
    written = write_reports(folder, answers, rows)
    print_summary(answers, env.stdout)
    for item in results:
        where = ", ".join(f"{k}={v}" for k, v in item.at.items())
        name = f"{bisected.field} at {where}" if bisected and where else axes[0]
        print_find_min(item.result, name, env.stdout)
    env.stdout.print(
        f"every run: {folder / 'rows.jsonl'}; reports: "
        + ", ".join(p.name for p in written if p.name != "rows.jsonl"),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for task in failed:
        seeds = ", ".join(str(n) for n, _ in task.task.seeds)
        env.stderr.print(
            f"chaoscli: run {seeds} of {task.task.key} failed: {task.error}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return ExitStatus.ABORTED if failed else ExitStatus.HELD
