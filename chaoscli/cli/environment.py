"""The process's streams and variables, read once by ``main`` and handed to every command.

Commands print through ``env.stdout``/``env.stderr`` and read variables from ``env.environ``,
so that a test (or another caller) can run them against any terminal and environment.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TextIO

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

FILE_WIDTH = 80  # columns when the output is a file or a pipe


@dataclass(frozen=True)
class Environment:
    """Where output goes and what the environment says: colour, width, terminal or not."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    inp: TextIO = field(default_factory=lambda: sys.stdin)
    args: tuple[str, ...] = ()  # the command line after the program's name

    @property
    def command(self) -> str | None:
        """The command line as a shell would take it again (None when not known)."""
        return shlex.join(["chaoscli", *self.args]) if self.args else None

    @property
    def colour(self) -> bool:
        """Colour unless NO_COLOR is set (https://no-color.org), as rich decides it too."""
        return not self.environ.get("NO_COLOR")

    def isatty(self, stderr: bool = False) -> bool:
        """Whether that stream is a terminal (a spinner or a live view makes sense there)."""
        stream = self.err if stderr else self.out
        return bool(getattr(stream, "isatty", lambda: False)())

    def interactive(self) -> bool:
        """Whether a person can answer a question: stdin is a terminal."""
        return bool(getattr(self.inp, "isatty", lambda: False)())

    def width(self, stderr: bool = False) -> int | None:
        """The terminal's width (None: rich asks it), or 80 columns in a file or a pipe."""
        return None if self.isatty(stderr) else FILE_WIDTH

    def console(self, stderr: bool = False) -> Console:
        """A rich console on stdout or stderr with this environment's width and colour."""
        return Console(
            file=self.err if stderr else self.out,
            width=self.width(stderr),
            no_color=not self.colour,
            _environ=dict(self.environ),
        )

    @cached_property
    def stdout(self) -> Console:
        """The console for results."""
        return self.console()

    @cached_property
    def stderr(self) -> Console:
        """The console for progress and errors."""
        return self.console(stderr=True)


def spinner(env: Environment) -> Progress:
    """A spinner with elapsed time on stderr, shown only on a terminal, gone when done."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=env.stderr,
        transient=True,
        disable=not env.isatty(stderr=True),
    )


def env_of(ctx: typer.Context) -> Environment:
    """The environment ``main`` put into the command's context (this process's otherwise)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Environment):
        root.obj = Environment()
    return root.obj
