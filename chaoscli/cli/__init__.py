"""The command line: the only package that imports typer; errors become exit codes in
``app.main`` alone."""

from chaoscli.cli import (
    assess,  # noqa: F401  (registers `assess`)
    catalogue,  # noqa: F401  (registers `list` and `show`)
    experiments,  # noqa: F401  (registers the commands)
    export,  # noqa: F401  (registers `export iam-policy`)
    fis,  # noqa: F401  (registers `export fis`)
    leases,  # noqa: F401  (registers `janitor`)
    reports,  # noqa: F401  (registers `report`)
    stack,  # noqa: F401  (registers the commands)
    sweep,  # noqa: F401  (registers `sweep`)
)
from chaoscli.cli.app import main

__all__ = ["main"]
