"""The typer app and ``main``: the one place where errors become exit codes.

0 held, 1 deviated, 2 invalid input, 3 aborted (after rollback), 130 interrupted (after
rollback), 143 terminated by SIGTERM (after rollback). Commands live in sibling modules.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from chaoscli.errors import ChaosError

EXIT_HELD, EXIT_DEVIATED, EXIT_INVALID, EXIT_ABORTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Break a multi-zone AWS web shop in moto and measure whether customers would notice.",
)


def console(stderr: bool = False) -> Console:
    """A rich console: 80 columns when not a terminal, no colour under NO_COLOR (rich's rule)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 80)


def main() -> None:
    """Entry point: run the app and turn errors into exit codes with one clear line."""
    err = Console(stderr=True)
    try:
        rc = app(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except ChaosError as exc:
        err.print(f"chaoscli: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("chaoscli: interrupted; the stack was rolled back", highlight=False)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # usage errors from typer's own copy of click, and the like
        if type(exc).__name__ == "Abort":
            err.print("chaoscli: interrupted; the stack was rolled back")
            sys.exit(EXIT_INTERRUPTED)
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(EXIT_INVALID)
        if os.environ.get("CHAOSCLI_DEBUG"):
            raise
        err.print(
            f"chaoscli: internal error: {type(exc).__name__}: {exc} "
            "(set CHAOSCLI_DEBUG=1 for a traceback)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_ABORTED)
