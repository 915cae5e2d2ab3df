"""``chaoscli assess``: read a stack chaoscli did not build, then break its copy in the model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chaoscli.assess.assessment import assess as assess_stack
from chaoscli.assess.imported import read_file
from chaoscli.assess.inputs import load_inputs
from chaoscli.assess.render import WRITERS, terminal, write
from chaoscli.aws.foreign import discover_foreign
from chaoscli.aws.profiles import profile_region
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.cli.access import AccountOpt, AllowRealOpt, EndpointOpt, RoleOpt, announce
from chaoscli.cli.app import ExitStatus, app
from chaoscli.cli.environment import env_of, spinner
from chaoscli.errors import SpecError

DEFAULT_REGION = "us-east-1"


def _pairs(option: str, given: list[str]) -> dict[str, str]:
    """``key=value`` options as a mapping; anything else is bad input."""
    out: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(option, "", f"{item!r} is not key=value")
        out[key] = value
    return out


def _tags(given: list[str]) -> dict[str, str]:
    """The ``--tag`` options as a mapping."""
    return _pairs("--tag", given)


@app.command()
def assess(
    ctx: typer.Context,
    load_balancer: Annotated[
        str | None,
        typer.Option(
            "--load-balancer", help="The stack's Application Load Balancer: its name or ARN."
        ),
    ] = None,
    topology_from: Annotated[
        Path | None,
        typer.Option(
            "--topology-from",
            help="Assess the stack a CloudFormation template or a Terraform state (`terraform "
            "show -json`) describes, built in in-process moto or a loopback --endpoint-url.",
        ),
    ] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option("--parameter", help="A template parameter: Key=Value (repeatable)."),
    ] = None,
    db_instance: Annotated[
        list[str] | None,
        typer.Option(
            "--db-instance",
            help="The stack's RDS primary (default: the one sharing --tag or the load "
            "balancer's tags, else the one in its VPC).",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="key=value the stack's database carries (repeatable)."),
    ] = None,
    inputs: Annotated[
        Path | None,
        typer.Option(
            "--inputs", help="A YAML file of what AWS cannot tell (capacity, traffic, retries)."
        ),
    ] = None,
    capacity_rps: Annotated[
        float | None,
        typer.Option(help="Requests per second one web instance serves at full load."),
    ] = None,
    rps: Annotated[
        float | None,
        typer.Option(help="Customer requests per second (default: CloudWatch RequestCount)."),
    ] = None,
    max_attempts: Annotated[
        int | None, typer.Option(help="Attempts a client makes per request.")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="The region the stack lives in (default: the --profile's region, else us-east-1).",
            envvar="AWS_DEFAULT_REGION",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the simulation.")] = 0,
    report: Annotated[
        list[Path] | None,
        typer.Option(help="Write a report; .html .md .json or .xml (JUnit) (repeatable)."),
    ] = None,
    no_verify_fixes: Annotated[
        bool,
        typer.Option("--no-verify-fixes", help="Do not re-run each cell's fixes in the model."),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Read with this profile of your AWS config and credentials files (a real "
            "account also needs --allow-real-aws --account ID).",
        ),
    ] = None,
    endpoint_url: EndpointOpt = None,
    allow_real_aws: AllowRealOpt = False,
    account: AccountOpt = None,
    role_arn: RoleOpt = None,
) -> None:
    """Assess a stack you built: read it (Describe/List/Get only), then run each zone's power
    loss and router failure, the database failover and a 10% instance crash in the model."""
    env = env_of(ctx)
    for path in report or []:
        if path.suffix.lower() not in WRITERS:
            raise SpecError("--report", "", f"{path}: give a .md, .html, .json or .xml file")
    given, sources = load_inputs(
        inputs, {"instance_capacity_rps": capacity_rps, "rps": rps, "max_attempts": max_attempts}
    )
    access = Access(endpoint_url, allow_real_aws, account, role_arn, profile)
    dbs, tags = tuple(db_instance or ()), _tags(tag or [])
    if topology_from is not None and profile is not None:
        raise SpecError(
            "--profile", "", "--topology-from builds its own stack: it reads no profile"
        )
    region = region or (profile_region(profile) if profile else None) or DEFAULT_REGION
    if topology_from is not None:
        read = read_file(
            topology_from,
            region,
            access,
            parameters=_pairs("--parameter", parameter or []),
            load_balancer=load_balancer,
            db_ids=dbs,
            tags=tags,
        )
        found, calls, where = read.found, read.calls, read.where
    else:
        if load_balancer is None:
            raise SpecError("assess", "", "name the stack's --load-balancer, or --topology-from")
        if parameter:
            raise SpecError("--parameter", "", "only a --topology-from template takes parameters")
        with open_guarded(region, access, read_only=True, say=announce(env)) as session:
            session.refuse_changes("chaoscli assess only reads")
            found = discover_foreign(session, load_balancer, dbs, tags)
            calls, where = dict(session.calls), session.where
    with spinner(env) as progress:
        task = progress.add_task("assessing", total=None)
        result = assess_stack(
            found,
            given,
            sources,
            calls=calls,
            where=where,
            seed=seed,
            verify=not no_verify_fixes,
            phase=lambda text: progress.update(task, description=text),
        )
    env.stdout.print(terminal(result), markup=False, highlight=False, soft_wrap=True)
    for path in report or []:
        write(result, path)
        env.stdout.print(f"wrote {path}", markup=False, highlight=False)
    raise typer.Exit(ExitStatus.HELD if result.held else ExitStatus.DEVIATED)
