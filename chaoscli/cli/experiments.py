"""``chaoscli run``, ``list`` and ``validate``: the experiment commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from chaoscli.cli import reports
from chaoscli.cli.app import EXIT_DEVIATED, EXIT_HELD, app, console
from chaoscli.errors import SpecError
from chaoscli.experiment import journal as journal_mod
from chaoscli.experiment.loader import available, load
from chaoscli.experiment.runner import run as run_experiment
from chaoscli.report.markdown import render as render_markdown
from chaoscli.report.terminal import print_summary


@app.command()
def run(
    experiment: Annotated[
        str | None, typer.Argument(help="Experiment name (see `list`) or YAML file.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulation; same seed, same journal.")] = 0,
    journal: Annotated[Path | None, typer.Option(help="Write the JSON journal here.")] = None,
    report: Annotated[
        list[Path] | None,
        typer.Option(help="Write a report; .html .md .json or .xml (JUnit) (repeatable)."),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Run every shipped experiment; fail on a surprise.")
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a spec field: dotted.path=value (repeatable)."),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="Set an experiment parameter: name=value (repeatable)."),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            help="A moto server or LocalStack, e.g. http://127.0.0.1:5000.",
            envvar="AWS_ENDPOINT_URL",
        ),
    ] = None,
    rollback_log: Annotated[
        Path | None, typer.Option(help="Where to keep the rollback log while the run lasts.")
    ] = None,
) -> None:
    """Run an experiment: provision, break, simulate, judge, roll back."""
    reports.check_paths(report or [])
    if all_ or experiment is None:
        if not all_:
            raise SpecError("run", "", "name an experiment, or pass --all")

        def one(name: str) -> dict[str, Any] | None:
            """Run one shipped experiment with this command's options; its journal."""
            done = run_experiment(
                load(name, set_ or [], var or []),
                seed=seed,
                endpoint_url=endpoint_url,
                rollback_path=rollback_log,
            )
            return journal_mod.build(done)

        raise typer.Exit(reports.run_all(one, report or [], journal))
    loaded = load(experiment, set_ or [], var or [])
    out = console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task("starting", total=None)
        outcome = run_experiment(
            loaded,
            seed=seed,
            endpoint_url=endpoint_url,
            rollback_path=rollback_log,
            phase=lambda text: progress.update(task, description=text),
        )
    data = journal_mod.build(outcome)
    if journal is not None:
        journal_mod.write(data, journal)
    reports.write_reports(data, report or [])
    reports.step_summary(render_markdown(data))
    print_summary(data, out)
    raise typer.Exit(EXIT_DEVIATED if outcome.deviated else EXIT_HELD)


@app.command("list")
def list_() -> None:
    """List the shipped experiments."""
    out = console()
    for name, path in available().items():
        exp = load(str(path)).experiment
        line = exp.description.split(". ")[0].strip()
        out.print(f"[bold]{name:<16}[/bold] {exp.title}\n{'':16} {line}", highlight=False)


@app.command()
def validate(experiment: Annotated[str, typer.Argument(help="Experiment name or file.")]) -> None:
    """Check an experiment file without touching anything."""
    loaded = load(experiment)
    console().print(f"{loaded.source}: valid ({len(loaded.experiment.method)} step(s))")
