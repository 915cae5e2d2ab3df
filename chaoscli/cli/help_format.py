"""Help that reads like a Unix tool's: ``--seed N``, ``EXPERIMENT``, and no type tags.

typer prints each parameter's Python type in help (``<bool>``, ``<list[Path]>``,
``<int range> [x>=0]``) and wraps arguments in ``[...]``/``{...}``; this tidies every command
of the app once, when typer builds it: flags show nothing, options a metavar, arguments
their name in capitals.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

# Metavars of options shared by several commands; any other is its name in capitals.
_METAVAR = {
    "seed": "N",
    "runs": "N",
    "pace": "X",
    "port": "PORT",
    "journal": "FILE",
    "report": "FILE",
    "output": "FILE",
    "rollback_log": "FILE",
    "set_": "PATH=VALUE",
    "var": "NAME=VALUE",
    "endpoint_url": "URL",
    "account": "ID",
    "role_arn": "ARN",
    "rollback_strategy": "STRATEGY",
    "format_": "FORMAT",
    "grid": "FIELD=VALUES",
    "must_hold": "SHARE",
    "out": "DIR",
    "workers": "N",
    "find_min": "FIELD=RANGE",
}


def tidy(command: Any) -> Any:
    """``command`` (and its subcommands) with clean metavars; idempotent."""
    if command is None or getattr(command, "_chaoscli_tidy", False):
        return command
    if command.help:
        command.help = _paragraphs(command.help)
    for param in command.params:
        _quiet(param)
    given = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = given(ctx)
        if option is not None:
            _quiet(option)
        return option

    command.get_help_option = help_option
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            tidy(sub)
    command._chaoscli_tidy = True
    return command


def _paragraphs(text: str) -> str:
    """A docstring's paragraphs each on one line, so the terminal wraps them (typer keeps the
    source's line breaks after the first paragraph); a paragraph marked ``\\b`` is kept."""
    head, cut, tail = inspect.cleandoc(text).partition("\f")
    paragraphs = [
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in head.split("\n\n")
    ]
    return "\n\n".join(paragraphs) + cut + tail


def _nothing(*_: Any, **__: Any) -> None:
    return None


def _quiet(param: Any) -> None:
    """One parameter: no type tag, no range tag, a plain metavar."""
    if isinstance(param, TyperArgument):
        if param.metavar is None:
            param.metavar = (param.name or "").upper()
        shown = param.metavar if param.required else f"[{param.metavar}]"
        param.display_type_rich = _nothing  # type: ignore[method-assign]
        param._usage_display_name = lambda: shown  # type: ignore[method-assign]
    elif isinstance(param, TyperOption):
        if param.is_flag or param.count:
            param.display_type_rich = _nothing  # type: ignore[method-assign]
        elif param.metavar is None:
            name = param.name or "value"
            param.metavar = _METAVAR.get(name, name.strip("_").upper().replace("_", "-"))
        param._get_number_range_help_str = _nothing  # type: ignore[method-assign]
