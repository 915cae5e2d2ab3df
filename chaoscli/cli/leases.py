"""``--break-lease`` and ``janitor``: what an SRE does about a stack a dead command left behind.

Every command that changes a stack holds its lease (``chaoscli.aws.stack_lease``); a killed
command's lease expires, and ``--break-lease`` breaks it explicitly. The janitor lists and
cleans what dead runs left on the stacks no live command holds.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from chaoscli.aws.janitor import clean, survey
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.cli.access import (
    AccountOpt,
    AllowRealOpt,
    EndpointOpt,
    RoleOpt,
    announce,
    not_in_process,
)
from chaoscli.cli.app import app
from chaoscli.cli.environment import env_of

BreakLeaseOpt = Annotated[
    bool,
    typer.Option(
        "--break-lease",
        help="Break the stack's lease if it has expired (its holder was killed), or act on a "
        "stack whose changes an earlier run left in place (--rollback-strategy); a live lease "
        "is never broken.",
    ),
]


@app.command()
def janitor(
    ctx: typer.Context,
    stack: Annotated[
        str | None, typer.Option(help="Only this stack (default: every chaoscli stack).")
    ] = None,
    region: Annotated[str, typer.Option(help="The AWS region to look in.")] = "ap-south-1",
    yes: Annotated[bool, typer.Option("--yes", help="Clean without asking (for CI).")] = False,
    endpoint_url: EndpointOpt = None,
    allow_real_aws: AllowRealOpt = False,
    account: AccountOpt = None,
    role_arn: RoleOpt = None,
) -> None:
    """List stale leases and fault leftovers of dead runs by stack; clean them after a yes."""
    access = Access(endpoint_url, allow_real_aws, account, role_arn)
    not_in_process(
        access,
        "janitor",
        "needs --endpoint-url or AWS_ENDPOINT_URL (or --allow-real-aws --account ID): "
        "in-process moto starts empty, so nothing can be left there",
    )
    env = env_of(ctx)
    out = env.stdout
    with open_guarded(region, access, say=announce(env)) as session:
        stacks = survey(session, stack)
        if not stacks:
            out.print(f"no chaoscli stack at {session.where}", highlight=False)
            return
        table = Table(title=f"chaoscli stacks at {session.where}")
        for column in ("stack", "what", "resource", "detail"):
            table.add_column(column, overflow="fold")
        for one in stacks:
            if one.live is not None:
                table.add_row(one.stack, "in use", one.vpc_id, f"{one.live.words()}: left alone")
            elif not one.leftovers:
                table.add_row(one.stack, "clean", one.vpc_id, "nothing left behind")
            for item in one.leftovers:
                table.add_row(one.stack, item.kind, item.resource, item.detail)
        out.print(table)
        count = sum(len(one.leftovers) for one in stacks)
        if count == 0:
            out.print("nothing to clean")
            return
        if not yes and not typer.confirm(f"Clean these {count} leftover(s)?", default=False):
            out.print("nothing changed")
            return
        for line in clean(session, stacks):
            out.print(line, markup=False, highlight=False)
