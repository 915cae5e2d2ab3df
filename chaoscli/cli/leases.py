"""``--break-lease`` and ``janitor``: what an SRE does about a stack a dead command left behind.

Every command that changes a stack holds its lease (``chaoscli.aws.stack_lease``); a killed
command's lease expires, and ``--break-lease`` breaks it explicitly. The janitor lists and
cleans what dead runs left on the stacks no live command holds.
"""

from __future__ import annotations

from typing import Annotated

import typer

BreakLeaseOpt = Annotated[
    bool,
    typer.Option(
        "--break-lease",
        help="Break the stack's lease if it has expired (its holder was killed); "
        "a live lease is never broken.",
    ),
]
