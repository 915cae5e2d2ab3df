"""Where a command acts and how `run` executes there: guarded, dry, paced or with a spinner.

The endpoint, real-AWS, account and role options are declared once here and shared by `run`,
`up`, `status`, `down` and `rollback`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

import typer

from chaoscli.aws.real_aws_guard import Access, open_guarded, sandboxed
from chaoscli.aws.stack_lease import LeaseRequest
from chaoscli.cli.dry_run import preview
from chaoscli.cli.environment import Environment, spinner
from chaoscli.cli.live import LiveView
from chaoscli.errors import GuardError, SpecError
from chaoscli.experiment.loader import Loaded
from chaoscli.experiment.many import seeded_targets
from chaoscli.experiment.runner import Outcome
from chaoscli.experiment.runner import run as run_experiment
from chaoscli.experiment.strategy import RollbackStrategy

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a spec field: dotted.path=value (repeatable)."),
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option("--var", help="Set an experiment parameter: name=value (repeatable)."),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="A moto server or LocalStack, e.g. http://127.0.0.1:5000 (default: in-process moto).",
        envvar="AWS_ENDPOINT_URL",
        show_envvar=True,
    ),
]
AllowRealOpt = Annotated[
    bool,
    typer.Option(
        "--allow-real-aws",
        help="Allow changes outside loopback and in-process moto (needs --account).",
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="The AWS account id that must match STS GetCallerIdentity before anything changes.",
    ),
]

RoleOpt = Annotated[
    str | None,
    typer.Option(
        "--role-arn",
        help="Assume this IAM role (STS AssumeRole) and act with its scoped credentials only.",
    ),
]


def announce(env: Environment) -> Callable[[str], None]:
    """Where the guard says whose credentials a real-account command uses: stderr."""
    return lambda line: env.stderr.print(line, markup=False, highlight=False, soft_wrap=True)


def recorded_endpoint(notes: Mapping[str, object], given: str | None) -> str | None:
    """The endpoint a rollback log's run used; a different one given (flag or variable) is refused.

    Logs that predate these notes say nothing: then the given endpoint is used.
    """
    if "in_process" not in notes:
        return given
    recorded = notes.get("endpoint")
    where = str(recorded) if recorded else "AWS itself"
    if given is not None and given.rstrip("/") != where.rstrip("/") and not notes["in_process"]:
        raise GuardError(
            f"the log was recorded at {where}, but --endpoint-url or AWS_ENDPOINT_URL says "
            f"{given}: refusing to undo it anywhere else (unset AWS_ENDPOINT_URL, or pass "
            f"--endpoint-url {where})"
            if recorded
            else f"the log was recorded at {where}, but --endpoint-url or AWS_ENDPOINT_URL "
            f"says {given}: refusing to undo it anywhere else (unset AWS_ENDPOINT_URL)"
        )
    return str(recorded) if recorded else None


def execute(
    loaded: Loaded,
    access: Access,
    env: Environment,
    *,
    seed: int = 0,
    rollback_log: Path | None = None,
    dry_run: bool = False,
    pace: float | None = None,
    runs: int = 1,
    outcome: Outcome | None = None,
    strategy: RollbackStrategy = RollbackStrategy.ALWAYS,
    break_lease: bool = False,
) -> Outcome | None:
    """Run the experiment where ``access`` says; a dry run prints its calls and returns None.

    ``break_lease``: the run may break the stack's lease if it has expired, or act on a
    stack whose changes an earlier run left in place."""
    lease = LeaseRequest("run", break_expired=break_lease, break_kept=break_lease)
    region = loaded.experiment.topology.region
    if runs < 1:
        raise SpecError("--runs", "", f"{runs} is not a number of runs: give 1 or more")
    if pace is not None and not 0 < pace <= 100_000:
        raise SpecError("--pace", "", f"{pace:g} is not a speed between 0 and 100000")
    if not dry_run and not sandboxed(access):
        _changed_once(loaded, runs)
    if dry_run:
        if pace is not None:
            raise SpecError("--pace", "", "a dry run has nothing to watch; leave out --pace")
        preview(loaded, access, env, seed=seed, runs=runs, lease=lease)
        return None
    with open_guarded(region, access, say=announce(env)) as session:
        if pace is not None:
            with LiveView(env.stdout, loaded.experiment, pace) as view:
                return run_experiment(
                    loaded,
                    seed=seed,
                    rollback_path=rollback_log,
                    phase=view.phase,
                    on_second=view.on_second,
                    aws=session,
                    runs=runs,
                    outcome=outcome,
                    strategy=strategy,
                    lease=lease,
                )
        with spinner(env) as progress:
            task = progress.add_task("starting", total=None)
            return run_experiment(
                loaded,
                seed=seed,
                rollback_path=rollback_log,
                phase=lambda text: progress.update(task, description=text),
                aws=session,
                runs=runs,
                outcome=outcome,
                strategy=strategy,
                lease=lease,
            )


def _changed_once(loaded: Loaded, runs: int) -> None:
    """Refuse what would make a real account's faults twice, before anything is asked of it.

    On a real account each change is made once, when the model reaches its time, so a
    stop condition ends the method before its later steps (``--pace`` only slows that down).
    A second seed would need the method made again, or, where targets are drawn from the
    seed, the stack broken once per seed: a second outage.
    """
    if runs > 1:
        why = (
            f"this method draws its targets from the seed, so {runs} runs would break the "
            "real account's stack once per seed"
            if seeded_targets(loaded.experiment)
            else f"{runs} runs would make the method's faults again for a seed that trips a "
            "stop condition"
        )
        raise SpecError("--runs", "", f"{why}; give --runs 1 here (repeat it in a sandbox)")


def not_in_process(access: Access, command: str, why: str) -> None:
    """Refuse in-process moto (no endpoint, no real account) for ``command``, saying ``why``."""
    if access.endpoint() is None and not access.allow_real_aws:
        raise SpecError(command, "", why)
