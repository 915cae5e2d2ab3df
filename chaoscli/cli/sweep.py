"""``chaoscli sweep``: one experiment over a grid of overrides and seeds, on a local process
pool or a Dask cluster; every run appended to DIR/rows.jsonl as it ends."""

from __future__ import annotations

import json
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
from chaoscli.errors import ChaosError
from chaoscli.experiment.passes import cores
from chaoscli.sweep import plan as sweep_plan
from chaoscli.sweep.campaign import Target, target
from chaoscli.sweep.executors import executor_for
from chaoscli.sweep.grid import Axis, parse_axis
from chaoscli.sweep.run import Swept
from chaoscli.sweep.run import sweep as run_sweep


def _bar(env: Environment) -> Progress:
    """A progress bar with ETA on stderr, shown only on a terminal."""
    return Progress(
        TextColumn("sweeping"),
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


def _axes(found: Target, grid: list[str]) -> list[Axis]:
    """The campaign's axes, then the command line's (which replace a field given in both)."""
    given = [parse_axis(item) for item in grid]
    fields = {a.field for a in given}
    base = found.campaign.axes(found.source) if found.campaign else []
    return [a for a in base if a.field not in fields] + given


def _overrides(found: Target, set_: list[str], var: list[str]) -> tuple[list[str], list[str]]:
    c = found.campaign
    sets = [f"{k}={json.dumps(v)}" for k, v in c.set.items()] if c else []
    vars_ = [f"{k}={json.dumps(v)}" for k, v in c.var.items()] if c else []
    return sets + set_, vars_ + var


@app.command()
def sweep(
    ctx: typer.Context,
    experiment: Annotated[
        str, typer.Argument(help="Experiment or campaign: a shipped name or a YAML file.")
    ],
    grid: Annotated[
        list[str] | None,
        typer.Option(
            help="FIELD=V1,V2,... or FIELD=A..B:STEP; a spec path or a parameter; `every` for "
            "a zone parameter: each zone of the stack (repeatable)."
        ),
    ] = None,
    runs: Annotated[
        int | None, typer.Option(min=1, help="Seeds per point (campaign's, else 1).")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Root seed; each run's seed derives from it and its point."),
    ] = None,
    must_hold: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Share of runs a point must hold (default 0.95)."),
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
        int | None, typer.Option(min=1, help="Processes of the local pool (default: one per core).")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Keep the runs already in DIR/rows.jsonl; run the rest."),
    ] = False,
) -> None:
    """Judge an experiment over a grid of overrides and seeds, each run kept as it ends.

    The grid is given with --grid or in a campaign file (campaigns/*.yaml); every run is
    appended to DIR/rows.jsonl as it ends, so Ctrl-C keeps them and --resume runs the rest.
    """
    env = env_of(ctx)
    found = target(experiment)
    c = found.campaign
    sets, vars_ = _overrides(found, set_ or [], var or [])
    plan = sweep_plan.build(
        found.experiment,
        _axes(found, grid or []),
        sets,
        vars_,
        runs or (c.runs if c else 1),
        seed if seed is not None else (c.seed if c else 0),
        must_hold if must_hold is not None else (c.must_hold if c else 0.95),
    )
    folder = out or Path(f"sweep-{Path(found.source or experiment).stem}")
    pool = executor_for(executor, workers or min(cores(), plan.total))
    with _bar(env) as bar:
        task = bar.add_task("sweep", total=plan.total)
        swept = run_sweep(
            plan, folder, pool, resume, lambda done, total: bar.update(task, completed=done)
        )
    raise typer.Exit(_said(swept, plan, folder, env))


def _said(swept: Swept, plan: sweep_plan.SweepPlan, folder: Path, env: Environment) -> int:
    """What the sweep found, and its exit status: 3 when some runs failed."""
    held = sum(r.run.held for r in swept.rows)
    env.stdout.print(
        f"{len(swept.rows)} run(s) of {len(plan.points)} point(s): {held} held; "
        f"every run in {folder / 'rows.jsonl'}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for item in swept.failed:
        seeds = ", ".join(str(n) for n, _ in item.task.seeds)
        env.stderr.print(
            f"chaoscli: run {seeds} of {item.task.key} failed: {item.error}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return ExitStatus.ABORTED if swept.failed else ExitStatus.HELD


__all__ = ["ChaosError", "sweep"]
