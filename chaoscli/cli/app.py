"""The typer app, ``ExitStatus`` and ``main``: the one place where errors become exit codes.

Commands live in sibling modules; they return or raise, and ``main`` alone decides the code.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import IntEnum
from importlib import metadata
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from chaoscli import __version__, stop
from chaoscli.cli.environment import Environment, env_of
from chaoscli.cli.help_format import tidy
from chaoscli.errors import (
    ChaosError,
    GuardError,
    Interrupted,
    NotRestored,
    SpecError,
    Terminated,
)


class ExitStatus(IntEnum):
    """chaoscli's exit codes, for a shell or a CI pipeline."""

    HELD = 0  # the hypothesis held
    DEVIATED = 1  # it did not (or, with --all, a verdict other than the one expected)
    BAD_INPUT = 2  # bad usage or input, or a guard refused; nothing was changed
    ABORTED = 3  # a call failed or an internal error; what was changed was rolled back
    NOT_RESTORED = 4  # the stack is not as it was: the rollback log is kept, its command printed
    NO_STACK = 5  # `status`: no stack of that name where it looked (nothing is wrong)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); rolled back
    TERMINATED = 143  # SIGTERM (128 + SIGTERM); rolled back


# The first class an error is an instance of decides its status; ChaosError catches the rest.
_STATUS_OF_ERROR: tuple[tuple[type[ChaosError], ExitStatus], ...] = (
    (NotRestored, ExitStatus.NOT_RESTORED),
    (SpecError, ExitStatus.BAD_INPUT),
    (GuardError, ExitStatus.BAD_INPUT),
    (Interrupted, ExitStatus.INTERRUPTED),
    (Terminated, ExitStatus.TERMINATED),
    (ChaosError, ExitStatus.ABORTED),
)


class _Commands(TyperGroup):
    """typer's group of commands, except that Ctrl-C reaches ``run`` as ``Interrupted``
    (typer itself would turn it into a silent exit 130), and that help shows clean metavars
    (``chaoscli.cli.help_format``)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None

    def get_command(self, ctx: Any, name: str) -> Any:
        return tidy(super().get_command(ctx, name))

    def get_params(self, ctx: Any) -> Any:
        tidy(self)
        return super().get_params(ctx)


app = typer.Typer(
    cls=_Commands,
    add_completion=True,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def version() -> str:
    """chaoscli's installed version (the package's own, when run from a source tree)."""
    try:
        return metadata.version("chaoscli")
    except metadata.PackageNotFoundError:
        return __version__


def _print_version(ctx: typer.Context, value: bool) -> None:
    if value:
        env_of(ctx).stdout.print(f"chaoscli {version()}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print chaoscli's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Break a multi-zone AWS web shop in moto and measure whether customers would notice."""


def main() -> None:
    """Entry point: run the app in this process's environment and exit with its status."""
    sys.exit(run(Environment(), sys.argv[1:]))


def run(env: Environment, args: list[str]) -> ExitStatus | int:
    """Run the app on ``args``; every error becomes one clear line on stderr and a status.

    SIGINT and SIGTERM only record a stop request meanwhile (``chaoscli.stop``); a command
    that finished before honouring one still exits 130 or 143.
    """
    env = replace(env, args=tuple(args))
    with stop.handling():
        code = _run(env, args)
        if stop.requested() and code in (ExitStatus.HELD, ExitStatus.DEVIATED):
            return _failed(env, stop.error("after the command had done its work"))
        return code


def _run(env: Environment, args: list[str]) -> ExitStatus | int:
    try:
        stop.honour("before anything changed")
        code = app(args=args, prog_name="chaoscli", standalone_mode=False, obj=env)
        return code if isinstance(code, int) else ExitStatus.HELD
    except typer.Exit as exc:
        return exc.exit_code
    except ChaosError as exc:
        return _failed(env, exc)
    except (KeyboardInterrupt, typer.Abort):  # Ctrl-C outside a command, or end of input
        return _failed(env, Interrupted())
    except stop.Abandoned:  # a third quick Ctrl-C during a rollback the command shielded
        return _failed(
            env,
            NotRestored(
                "stopped at your request with the rollback unfinished; run the same command "
                "again to finish it"
            ),
        )
    except Exception as exc:  # usage errors from typer's own copy of click, and the like
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show(file=env.err)
            return ExitStatus.BAD_INPUT
        if env.environ.get("CHAOSCLI_DEBUG"):
            raise
        env.stderr.print(
            f"chaoscli: internal error: {type(exc).__name__}: {exc} "
            "(set CHAOSCLI_DEBUG=1 for a traceback)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return ExitStatus.ABORTED


def _failed(env: Environment, exc: ChaosError) -> ExitStatus:
    """Say what went wrong in one line; the status its class maps to."""
    env.stderr.print(f"chaoscli: {exc}", highlight=False, markup=False, soft_wrap=True)
    return next(status for kind, status in _STATUS_OF_ERROR if isinstance(exc, kind))
