"""A stack from a file: a CloudFormation template or a Terraform state, built in a sandbox.

What the file describes is created, so only in-process moto or an endpoint on this machine's
loopback may receive it; a real account is refused before any call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from chaoscli.aws.cloudformation import create_stack
from chaoscli.aws.session import AwsSession, is_loopback
from chaoscli.aws.terraform import build_state
from chaoscli.errors import GuardError, SpecError


@dataclass(frozen=True)
class Imported:
    """What a file became: its kind, its load balancers' names, what the model leaves out."""

    kind: str  # "CloudFormation template" or "Terraform state"
    load_balancers: tuple[str, ...]
    not_modelled: tuple[str, ...]


def is_terraform_state(path: Path) -> bool:
    """A JSON document with ``values`` or ``format_version``, as ``terraform show -json``
    writes it (a JSON template has ``Resources`` instead)."""
    if path.suffix.lower() != ".json":
        return False
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return True  # read_state says what is wrong with it
    return isinstance(doc, dict) and ("values" in doc or "format_version" in doc)


def import_file(
    session: AwsSession, path: Path, parameters: dict[str, str] | None = None
) -> Imported:
    """Build the file's stack where ``session`` points: in-process moto or a loopback endpoint."""
    if session.mode == "aws" or (session.endpoint_url and not is_loopback(session.endpoint_url)):
        raise GuardError(
            f"--topology-from builds what {path.name} describes, so only into in-process moto "
            f"or an endpoint on loopback, not {session.where}"
        )
    if not path.is_file():
        raise SpecError(str(path), "", "no such file")
    if is_terraform_state(path):
        if parameters:
            raise SpecError("--parameter", "", "a Terraform state takes no parameters")
        built = build_state(session, path)
        return Imported(
            "Terraform state", tuple(sorted(built.load_balancers)), tuple(built.not_modelled)
        )
    stack = "".join(c if c.isalnum() else "-" for c in path.stem)[:100].strip("-") or "imported"
    created = create_stack(session, path, stack, parameters or {})
    return Imported("CloudFormation template", created.load_balancers, created.not_modelled)
