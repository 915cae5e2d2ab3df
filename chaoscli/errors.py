"""Errors chaoscli raises; the CLI alone turns them into exit codes (``cli.app.ExitStatus``)."""

from __future__ import annotations


class ChaosError(Exception):
    """Base class: every error chaoscli raises on purpose is one of these."""


class SpecError(ChaosError):
    """Invalid input (unknown experiment, bad YAML, bad value); nothing was changed."""

    def __init__(self, source: str, field: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.field = field
        self.message = message
        self.line = line
        where = f"{source}:{line}" if line else source
        text = f"{where}: {field}: {message}" if field else f"{where}: {message}"
        super().__init__(" ".join(text.split()))  # always one line, whatever the input held


class AwsError(ChaosError):
    """A control-plane call failed; the run was aborted and rolled back."""


class GuardError(ChaosError):
    """A safety guard refused to touch an endpoint (for example a real AWS account)."""


class Interrupted(ChaosError):
    """Ctrl-C stopped the command; a run rolled back on the way out (else it is NotRestored)."""

    def __init__(self, message: str = "interrupted") -> None:
        super().__init__(message)


class Terminated(ChaosError):
    """SIGTERM arrived; a run rolled back on the way out (else it is NotRestored)."""


class NotRestored(ChaosError):
    """The stack is not as it was before the run: an undo failed, the check after rollback
    found a difference, or a repeated signal cut the rollback short. The rollback log is
    kept; the message names it and the command that finishes the job."""
