"""When a run rolls back, with Chaos Toolkit's names (``--rollback-strategy``).

``always`` (the default) rolls back every run. ``never`` leaves what is still in place at the
end of the method, whatever happened, and says how to undo it. ``deviated`` rolls back only a
run whose hypothesis did not hold, as Chaos Toolkit's does, except that a run that never
reached a verdict (interrupted or aborted) is rolled back too: a stop must be safe, and with
no verdict there is no reason to keep the faults.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from chaoscli.aws.changes.log import RollbackLog


class RollbackStrategy(StrEnum):
    """Chaos Toolkit's rollback strategies, minus its ``default`` (ours is ``always``)."""

    ALWAYS = "always"
    NEVER = "never"
    DEVIATED = "deviated"

    def rolls_back(self, status: str, deviated: bool) -> bool:
        """Whether a run that ended with ``status`` (and ``deviated``) is rolled back."""
        if self is RollbackStrategy.NEVER:
            return False
        if self is RollbackStrategy.DEVIATED:
            return deviated or status != "completed"
        return True


class Keeps(Protocol):
    """The parts of a run's outcome that say what a strategy left in place."""

    kept: list[str]
    kept_why: str
    kept_log: str | None


def keep(out: Keeps, strategy: RollbackStrategy, log: RollbackLog, persistent: bool) -> None:
    """Record on ``out`` the changes left in place and the log that undoes them (None where
    in-process moto's state ends with the process)."""
    out.kept = [f"#{e.id} {e.kind}" for e in log.pending()]
    out.kept_why = f"--rollback-strategy {strategy}"
    out.kept_log = str(log.path) if persistent else None
