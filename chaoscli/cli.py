"""The command line. The only module that imports typer, and the one place where errors
become exit codes: 0 held, 1 deviated, 2 invalid input, 3 aborted, 130 interrupted."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from chaoscli.errors import ChaosError
from chaoscli.experiment import journal as journal_mod
from chaoscli.experiment.loader import available, load
from chaoscli.experiment.runner import run as run_experiment
from chaoscli.report.terminal import print_summary

EXIT_HELD, EXIT_DEVIATED, EXIT_INVALID, EXIT_ABORTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Break a multi-zone AWS web shop in moto and measure whether customers would notice.",
)


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, width=80 if not sys.stdout.isatty() else None)


@app.command()
def run(
    experiment: Annotated[str, typer.Argument(help="Experiment name (see `list`) or YAML file.")],
    seed: Annotated[int, typer.Option(help="Seed of the simulation; same seed, same journal.")] = 0,
    journal: Annotated[Path | None, typer.Option(help="Write the JSON journal here.")] = None,
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
    loaded = load(experiment, set_ or [], var or [])
    console = _console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=_console(stderr=True),
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
    print_summary(data, console)
    raise typer.Exit(EXIT_DEVIATED if outcome.deviated else EXIT_HELD)


@app.command("list")
def list_() -> None:
    """List the shipped experiments."""
    console = _console()
    for name, path in available().items():
        exp = load(str(path)).experiment
        line = exp.description.split(". ")[0].strip()
        console.print(f"[bold]{name:<16}[/bold] {exp.title}\n{'':16} {line}", highlight=False)


@app.command()
def validate(experiment: Annotated[str, typer.Argument(help="Experiment name or file.")]) -> None:
    """Check an experiment file without touching anything."""
    loaded = load(experiment)
    _console().print(f"{loaded.source}: valid ({len(loaded.experiment.method)} step(s))")


def main() -> None:
    """Entry point: run the app and turn errors into exit codes with one clear line."""
    err = Console(stderr=True)
    try:
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except ChaosError as exc:
        err.print(f"chaoscli: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("chaoscli: interrupted; the stack was rolled back", highlight=False)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.Abort):
            err.print("chaoscli: interrupted; the stack was rolled back")
            sys.exit(EXIT_INTERRUPTED)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(EXIT_INVALID)
        raise
