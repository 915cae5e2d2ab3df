"""``chaoscli export fis``, and the lines ``run`` and ``validate`` print for an FIS template."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated

import typer

from chaoscli.cli.access import SetOpt, VarOpt
from chaoscli.cli.catalogue import shipped_names
from chaoscli.cli.environment import Environment, env_of
from chaoscli.cli.export import export_app
from chaoscli.errors import SpecError
from chaoscli.experiment.loader import Loaded, load
from chaoscli.fis.exporting import PLACEHOLDER_ROLE, ExportRefused, export
from chaoscli.record.write import check_writable, write_atomic


@export_app.command("fis")
def fis_cmd(
    ctx: typer.Context,
    experiment: Annotated[
        str,
        typer.Argument(
            help="Experiment name (see `list`) or YAML file.", autocompletion=shipped_names
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the template here.")
    ] = None,
    set_: SetOpt = None,
    var: VarOpt = None,
    role_arn: Annotated[
        str,
        typer.Option("--role-arn", help="The IAM role FIS runs the experiment as."),
    ] = PLACEHOLDER_ROLE,
) -> None:
    """Print the AWS FIS experiment template (JSON) of EXPERIMENT's method.

    Targets by the stack's tag, ISO 8601 durations, start times as aws:fis:wait actions,
    stop conditions from its alarms. What FIS cannot do is listed on stderr.
    """
    env = env_of(ctx)
    if output is not None:
        check_writable(output)
    loaded = load(experiment, set_ or [], var or [])
    if loaded.notes:
        raise SpecError(experiment, "", "is an FIS template already: run it, or export its source")
    try:
        done = export(loaded.document, experiment, loaded.sets, loaded.vars, role_arn)
    except ExportRefused as exc:
        raise SpecError(experiment, exc.field, exc.message) from None
    for line in done.problems:
        env.stderr.print(f"chaoscli: {line}", markup=False, highlight=False, soft_wrap=True)
    if not done.template["actions"]:
        raise SpecError(experiment, "method", "no step has an FIS action: there is no template")
    text = json.dumps(done.template, indent=2) + "\n"
    if output is None:
        env.stdout.print(text, end="", markup=False, highlight=False, soft_wrap=True)
    else:
        write_atomic(output, text)
        env.stdout.print(f"wrote {output}", markup=False, highlight=False, soft_wrap=True)


def say_read(loaded: Loaded, env: Environment) -> None:
    """For an FIS template: how it was read and what the model does not run."""
    if not loaded.notes:
        return
    lines = [f"read from the AWS FIS template {Path(loaded.source).name}:"]
    lines += [
        textwrap.fill(n, 79, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)
        for n in loaded.notes
    ]
    env.stdout.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
