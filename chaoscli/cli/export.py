"""``chaoscli export iam-policy``: what an experiment needs, for an SRE to grant and no more."""

from __future__ import annotations

from typing import Annotated

import typer

from chaoscli.aws.iam_policy import policy_json
from chaoscli.cli.access import SetOpt, VarOpt
from chaoscli.cli.app import app
from chaoscli.cli.environment import env_of, spinner
from chaoscli.experiment.loader import load
from chaoscli.experiment.permissions import iam_policy

export_app = typer.Typer(
    help="Export what an experiment needs (an IAM policy) or does (an AWS FIS template)."
)
app.add_typer(export_app, name="export")


@export_app.command("iam-policy")
def iam_policy_cmd(
    ctx: typer.Context,
    experiment: Annotated[str, typer.Argument(help="Experiment name (see `list`) or YAML file.")],
    set_: SetOpt = None,
    var: VarOpt = None,
    stack_exists: Annotated[
        bool,
        typer.Option(
            "--stack-exists",
            help="The stack is there already (`chaoscli up`): leave out provisioning and teardown.",
        ),
    ] = False,
) -> None:
    """Print the minimal IAM policy (JSON) a run of EXPERIMENT needs, from the calls it makes."""
    env = env_of(ctx)
    loaded = load(experiment, set_ or [], var or [])
    with spinner(env) as progress:
        progress.add_task("running the experiment in-process to see its calls", total=None)
        document = iam_policy(loaded, stack_exists=stack_exists)
    env.stdout.print(policy_json(document), markup=False, highlight=False, soft_wrap=True)
