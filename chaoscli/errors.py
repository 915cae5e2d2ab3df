"""Errors chaoscli raises; the CLI alone turns them into exit codes."""

from __future__ import annotations


class ChaosError(Exception):
    """Base class: every error chaoscli raises on purpose is one of these."""

    exit_code = 3


class SpecError(ChaosError):
    """Invalid input (unknown experiment, bad YAML, bad value); nothing was changed."""

    exit_code = 2

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

    exit_code = 3


class GuardError(ChaosError):
    """A safety guard refused to touch an endpoint (for example a real AWS account)."""

    exit_code = 2
