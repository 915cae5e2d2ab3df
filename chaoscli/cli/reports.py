"""``chaoscli report`` and the report side of ``run``: ``--report FILE``, ``--all`` and
GitHub's job summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from chaoscli import report as report_mod
from chaoscli.cli.app import ExitStatus, app
from chaoscli.cli.environment import Environment, env_of
from chaoscli.errors import ChaosError, SpecError
from chaoscli.experiment import journal as journal_mod
from chaoscli.experiment.loader import available, load
from chaoscli.record import Record, read
from chaoscli.record.write import OutputError, check_writable, write_atomic
from chaoscli.report import junit, markdown


@app.command("report")
def report(
    ctx: typer.Context,
    journal: Annotated[Path, typer.Argument(help="A journal written by `run --journal`.")],
    format_: Annotated[
        str | None,
        typer.Option("--format", "-f", help="md, html, json or junit (default: from -o, else md)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Turn a journal into a Markdown, HTML, JSON or JUnit XML report."""
    record = read_journal(journal)
    fmt = format_ or (report_mod.format_for(output) if output else "md")
    if fmt not in report_mod.FORMATS:
        raise SpecError(fmt, "", f"unknown format (use one of {', '.join(report_mod.FORMATS)})")
    text = report_mod.render(record, fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        check_writable(output)
        write_atomic(output, text)
        wrote(output, env_of(ctx))


def read_journal(path: Path) -> Record:
    """A journal from disk as a record (upgraded when older), or a one-line error naming the
    file."""
    return read(path)


def wrote(path: Path, env: Environment) -> None:
    """Say on stderr that a file was written, so a person or a CI log sees where it went."""
    env.stderr.print(f"wrote {path}", markup=False, highlight=False, soft_wrap=True)


def write_all(
    record: Record, journal: Path | None, paths: list[Path]
) -> tuple[list[Path], list[str]]:
    """Write the journal and every report, each whole or not at all: the paths written, and
    what could not be written, one line each (a full disk must not cost the others, nor the
    verdict)."""
    written: list[Path] = []
    problems = []
    if journal is not None:
        try:
            journal_mod.write(record, journal)
            written.append(journal)
        except OutputError as exc:
            problems.append(str(exc))
    for path in paths:
        try:
            report_mod.write(record, path)
            written.append(path)
        except OutputError as exc:
            problems.append(str(exc))
    return written, problems


def step_summary(text: str, env: Environment) -> None:
    """Append Markdown to GitHub's job summary when the run is inside GitHub Actions."""
    target = env.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")


def check_paths(paths: list[Path], journal: Path | None = None) -> None:
    """Reject an output path with an unknown format or that cannot be written (a file is
    created and removed in its folder), before anything runs: a long run should not end with
    nowhere to put its results."""
    for path in paths:
        report_mod.format_for(path)
    for path in [*paths, *([journal] if journal else [])]:
        check_writable(path)


def _named(path: Path, name: str) -> Path:
    """``out.html`` for experiment ``x`` becomes ``out-x.html`` when ``--all`` runs many."""
    return path.with_name(f"{path.stem}-{name}{path.suffix}")


def run_shipped(
    run_one: Callable[[str], Record | None],
    reports: list[Path],
    journal: Path | None,
    env: Environment,
    folder: dict[str, Path] | None = None,
) -> ExitStatus:
    """Run every shipped experiment; the exit code is non-zero if any verdict differs from the
    one its file declares in ``expect``."""
    check_paths(reports)
    out = env.stdout
    cases: list[junit.Case] = []
    mismatches = 0
    for name, path in (folder or available()).items():
        expect: str = load(str(path)).experiment.expect
        try:
            record = run_one(str(path))
            case = None if record is None else junit.Case(name, record, record.experiment.expect)
        except ChaosError as exc:
            case = junit.Case(name, None, expect, error=str(exc))
        if case is None:  # a dry run
            continue
        expect = case.expect or expect  # as run, after --set
        got = case.verdict
        ok = got == expect
        mismatches += not ok
        mark = "[green]ok[/green]" if ok else "[bold red]UNEXPECTED[/bold red]"
        out.print(f"{name:<24} {got:<9} (expects {expect}) {mark}", highlight=False)
        cases.append(case)
        if case.record is None:
            continue
        if journal is not None:
            journal_mod.write(case.record, _named(journal, name))
            wrote(_named(journal, name), env)
        for target in reports:
            if report_mod.format_for(target) != "junit":
                report_mod.write(case.record, _named(target, name))
                wrote(_named(target, name), env)
        step_summary(markdown.render(case.record, heading=3), env)
    for target in reports:
        if report_mod.format_for(target) == "junit":
            write_atomic(target, junit.render_many(cases))
            wrote(target, env)
    out.print(f"{len(cases) - mismatches} of {len(cases)} experiment(s) as expected")
    return ExitStatus.DEVIATED if mismatches else ExitStatus.HELD
