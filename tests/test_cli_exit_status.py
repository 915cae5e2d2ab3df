"""Exit statuses come from one table in the CLI, and commands print through the environment
they are handed, not through the process's own streams."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chaoscli.cli import catalogue
from chaoscli.cli.app import ExitStatus, run
from chaoscli.cli.environment import Environment
from chaoscli.errors import (
    AwsError,
    GuardError,
    Interrupted,
    NotRestored,
    SpecError,
    Terminated,
)


def _env(**environ: str) -> Environment:
    """An environment writing to memory, with only these variables."""
    return Environment(environ=environ, out=io.StringIO(), err=io.StringIO())


def _raising(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """Make `chaoscli list` raise ``exc`` from inside the command."""

    def boom() -> None:
        raise exc

    monkeypatch.setattr(catalogue, "available", boom)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (SpecError("x.yaml", "traffic.rps", "must be positive"), ExitStatus.BAD_INPUT),
        (GuardError("refused"), ExitStatus.BAD_INPUT),
        (AwsError("a call failed"), ExitStatus.ABORTED),
        (NotRestored("1 change left"), ExitStatus.NOT_RESTORED),
        (Interrupted(), ExitStatus.INTERRUPTED),
        (Terminated("terminated by SIGTERM; rolled back"), ExitStatus.TERMINATED),
        (RuntimeError("bug"), ExitStatus.ABORTED),
    ],
)
def test_each_error_has_its_status_and_one_line(
    monkeypatch: pytest.MonkeyPatch, exc: Exception, status: ExitStatus
) -> None:
    """An error becomes its status and a single line on the environment's stderr."""
    _raising(monkeypatch, exc)
    env = _env()
    assert run(env, ["list"]) == status
    err = env.err.getvalue()  # type: ignore[attr-defined]
    assert err.startswith("chaoscli: ") and err.count("\n") == 1
    assert str(exc) in err
    assert env.out.getvalue() == ""  # type: ignore[attr-defined]


def test_ctrl_c_inside_a_command_is_130_with_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in a command is exit 130 and says so, claiming no rollback (typer alone would
    exit 130 silently)."""
    _raising(monkeypatch, KeyboardInterrupt())
    env = _env()
    assert run(env, ["list"]) == ExitStatus.INTERRUPTED == 130
    assert env.err.getvalue() == "chaoscli: interrupted\n"  # type: ignore[attr-defined]


def test_the_numbers_shells_and_ci_rely_on() -> None:
    """The codes are part of the interface: 0, 1, 2, 3, 4, 5, 130, 143, each in the README's
    table."""
    assert [int(s) for s in ExitStatus] == [0, 1, 2, 3, 4, 5, 130, 143]
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Exit codes") :]
    assert [int(s) for s in ExitStatus] == [
        int(line.split("|")[1]) for line in table.splitlines() if line[:3].strip("| ").isdigit()
    ]


def test_commands_print_to_the_environment_they_are_given() -> None:
    """`validate` writes to the environment's stdout, 80 columns wide when it is no terminal."""
    env = _env()
    assert run(env, ["validate", "az-outage"]) == ExitStatus.HELD
    assert "az-outage.yaml: valid" in env.out.getvalue()  # type: ignore[attr-defined]
    assert env.stdout.width == 80 and not env.isatty()


def test_no_color_turns_colour_off() -> None:
    """NO_COLOR in the environment handed down, not the process's, decides colour."""
    assert _env(NO_COLOR="1").stdout.no_color
    assert _env().colour and not _env().stdout.no_color


def test_usage_errors_are_bad_input() -> None:
    """An unknown option is a usage error: exit 2, nothing run."""
    env = _env()
    assert run(env, ["validate", "--no-such-option"]) == ExitStatus.BAD_INPUT
    assert "No such option" in env.err.getvalue()  # type: ignore[attr-defined]
