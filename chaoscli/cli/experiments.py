"""``chaoscli run`` and ``validate``: the experiment commands."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from chaoscli import stop
from chaoscli.assess.imported import run_sets
from chaoscli.aws.changes import log_home
from chaoscli.aws.real_aws_guard import Access
from chaoscli.cli import reports
from chaoscli.cli.access import (
    AccountOpt,
    AllowRealOpt,
    EndpointOpt,
    RoleOpt,
    SetOpt,
    VarOpt,
    execute,
)
from chaoscli.cli.app import ExitStatus, app
from chaoscli.cli.catalogue import shipped_names
from chaoscli.cli.environment import Environment, env_of, spinner
from chaoscli.cli.fis import say_read
from chaoscli.cli.leases import BreakLeaseOpt
from chaoscli.errors import SpecError
from chaoscli.experiment import journal as journal_mod
from chaoscli.experiment.fixes import prove
from chaoscli.experiment.loader import Loaded, experiments_dir, load
from chaoscli.experiment.runner import Outcome
from chaoscli.experiment.strategy import RollbackStrategy
from chaoscli.record import Record
from chaoscli.record.write import OutputError, check_writable
from chaoscli.report.markdown import render as render_markdown
from chaoscli.report.terminal import print_summary


@app.command()
def run(
    ctx: typer.Context,
    experiment: Annotated[
        str | None,
        typer.Argument(
            help="Experiment name (see `list`), YAML file or AWS FIS template (JSON).",
            autocompletion=shipped_names,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed of the simulation; same seed, same journal.")
    ] = 0,
    runs: Annotated[
        int,
        typer.Option(help="Repeat the simulation with N seeds spawned from --seed; judge all."),
    ] = 1,
    journal: Annotated[Path | None, typer.Option(help="Write the JSON journal here.")] = None,
    report: Annotated[
        list[Path] | None,
        typer.Option(help="Write a report; .html .md .json or .xml (JUnit) (repeatable)."),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Run every shipped experiment; fail on a surprise.")
    ] = False,
    set_: SetOpt = None,
    var: VarOpt = None,
    endpoint_url: EndpointOpt = None,
    rollback_log: Annotated[
        Path | None,
        typer.Option(
            help="Where to keep the rollback log while the run lasts (default: a new file in "
            "the per-user state folder, chaoscli/rollback/ under XDG_STATE_HOME)."
        ),
    ] = None,
    allow_real_aws: AllowRealOpt = False,
    account: AccountOpt = None,
    role_arn: RoleOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print every AWS call the run would make; make none.")
    ] = False,
    pace: Annotated[
        float | None,
        typer.Option(help="Watch live at X times wall speed (Ctrl-C rolls back)."),
    ] = None,
    no_verify_fixes: Annotated[
        bool,
        typer.Option(
            "--no-verify-fixes",
            help="Do not re-run the findings' fixes in the model (faster, e.g. in CI).",
        ),
    ] = False,
    rollback_strategy: Annotated[
        RollbackStrategy,
        typer.Option(
            "--rollback-strategy",
            help="Chaos Toolkit's: always roll back, never (leave the faults, print how to "
            "undo them), or only when the hypothesis deviated.",
        ),
    ] = RollbackStrategy.ALWAYS,
    break_lease: BreakLeaseOpt = False,
    topology_from: Annotated[
        Path | None,
        typer.Option(
            "--topology-from",
            help="Run against the stack a CloudFormation template or a Terraform state "
            "(`terraform show -json`) describes, read back from in-process moto.",
        ),
    ] = None,
) -> None:
    """Run an experiment: provision, break, simulate, judge, roll back."""
    env = env_of(ctx)
    if topology_from is not None:
        region = env.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        set_ = [*run_sets(topology_from, region), *(set_ or [])]
    reports.check_paths(report or [], journal)
    if rollback_log is not None:
        check_writable(rollback_log)
    with contextlib.suppress(OSError):
        log_home.prune()

    def start(
        loaded: Loaded, pace: float | None = None, outcome: Outcome | None = None
    ) -> Outcome | None:
        """Execute ``loaded`` with this command's options; ``pace`` and ``outcome`` only for
        a single experiment."""
        where = Access(endpoint_url, allow_real_aws, account, role_arn)
        return execute(
            loaded,
            where,
            env,
            seed=seed,
            rollback_log=None if dry_run else _log_path(rollback_log, where, env),
            dry_run=dry_run,
            pace=pace,
            runs=runs,
            outcome=outcome,
            strategy=rollback_strategy,
            break_lease=break_lease,
        )

    if all_ and experiment is not None:
        raise SpecError("run", "--all", f"runs every shipped experiment; drop {experiment!r}")
    if all_ or experiment is None:
        if not all_:
            raise SpecError("run", "", "name an experiment, or pass --all")

        def one(name: str) -> Record | None:
            """Run one shipped experiment with this command's options; its journal."""
            loaded = load(name, set_ or [], var or [])
            done = start(loaded)
            if done is None:
                return None
            done.edge.command = env.command
            _said(done, env)
            return _proven(journal_mod.build(done), loaded, seed, runs, env, not no_verify_fixes)

        raise typer.Exit(reports.run_shipped(one, report or [], journal, env))
    loaded = load(experiment, set_ or [], var or [])
    so_far = Outcome(loaded=loaded, seed=seed)
    so_far.edge.command = env.command
    try:
        outcome = start(loaded, pace, so_far)
    except BaseException:
        _warn(so_far, env)
        if journal is not None and so_far.status != "running":
            # interrupted, aborted or not restored: what was measured and the rollback result
            with contextlib.suppress(Exception):  # the run's own error is the one to report
                journal_mod.write(journal_mod.build(so_far), journal)
        raise
    if outcome is None:  # a dry run: its calls are the output
        raise typer.Exit(ExitStatus.HELD)
    _said(outcome, env)
    data = _proven(journal_mod.build(outcome), loaded, seed, runs, env, not no_verify_fixes)
    written, unwritten = reports.write_all(data, journal, report or [])
    reports.step_summary(render_markdown(data), env)
    print_summary(data, env.stdout)
    say_read(loaded, env)
    for path in written:
        reports.wrote(path, env)
    if unwritten:
        raise OutputError("; ".join(unwritten) + " (the verdict above stands)")
    raise typer.Exit(ExitStatus.DEVIATED if outcome.deviated else ExitStatus.HELD)


def _said(outcome: Outcome, env: Environment) -> None:
    """After a run: the faults a strategy left in place, then the log's write problems."""
    _say_kept(outcome, env)
    _warn(outcome, env)


def _warn(outcome: Outcome, env: Environment) -> None:
    """What could not be written to the rollback log: every undo was still made."""
    for line in outcome.log_problems:
        env.stderr.print(
            f"chaoscli: warning: {line}", markup=False, highlight=False, soft_wrap=True
        )


def _say_kept(outcome: Outcome, env: Environment) -> None:
    """Under a strategy that left the faults in place: what is left and how to undo it."""
    if not outcome.kept:
        return
    out = env.stdout
    out.print(
        f"not rolled back ({outcome.kept_why}): {len(outcome.kept)} change(s) left in place",
        markup=False,
        highlight=False,
    )
    if outcome.kept_log is None:
        out.print("in-process moto: they end with this process", markup=False, highlight=False)
    else:
        out.print(
            f"undo them with: chaoscli rollback {outcome.kept_log}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _log_path(given: Path | None, access: Access, env: Environment) -> Path:
    """The rollback log's path: the one given, else a new one in the per-user state folder.

    Printed first where the run changes something that outlives the process (an endpoint or
    a real account), so that after a kill -9 the SRE knows what to pass to `chaoscli
    rollback`. In-process moto's state dies with the process, so there it is not printed.
    """
    path = given or log_home.new_path(environ=dict(env.environ))
    if access.endpoint() is not None or access.allow_real_aws:
        env.stdout.print(
            f"rollback log: {path} (if this run dies: chaoscli rollback {path})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return path


def _proven(
    record: Record, loaded: Loaded, seed: int, runs: int, env: Environment, verify: bool
) -> Record:
    """The record with its findings' fixes re-run in the model, a spinner on a terminal."""
    with spinner(env) as progress:
        task = progress.add_task("proving the fixes in the model", total=None)

        def shown(text: str) -> None:
            stop.honour("after the run had rolled back")  # the rest only simulates
            progress.update(task, description=text)

        return prove(
            record,
            loaded,
            seed,
            runs,
            shown,
            verify=verify,
        )


@app.command()
def validate(
    ctx: typer.Context,
    experiment: Annotated[
        str, typer.Argument(help="Experiment name, YAML file or AWS FIS template (JSON).")
    ],
    set_: SetOpt = None,
    var: VarOpt = None,
) -> None:
    """Check an experiment file without touching anything.

    Every check run makes before it changes anything, with the same --set and --var: what
    passes here, run provisions; what is refused here, run refuses with the same line.
    """
    loaded = load(experiment, set_ or [], var or [])
    shown = _shown(loaded.source)
    env_of(ctx).stdout.print(
        f"{shown}: valid ({len(loaded.experiment.method)} step(s))",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    say_read(loaded, env_of(ctx))


def _shown(source: str) -> str:
    """A file's path as given; a shipped one's under ``experiments/``, not where it is installed."""
    path = Path(source)
    if path.is_relative_to(experiments_dir()):
        return str(Path("experiments") / path.relative_to(experiments_dir()))
    return source
