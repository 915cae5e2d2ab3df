"""One step of an experiment's method, checked against the settings its fault declares.

The fault modules declare which settings each fault takes (``accept``); this module knows no
fault by name, so adding a fault never touches it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WAIT = "wait"
# FIS selection modes: every target, n of them, or n percent of them (rounded down, at least 1)
SELECTION = r"^(ALL|COUNT\([1-9][0-9]*\)|PERCENT\((100|[1-9][0-9]?)(\.[0-9]+)?\))$"
# the settings a step may carry besides fault, at_s and duration_s; each fault picks its own
SETTINGS = (
    "az",
    "mode",
    "selection",
    "tags",
    "latency_ms",
    "error_share",
    "rps",
    "ramp_s",
    "fail_back",
)


@dataclass(frozen=True)
class StepSettings:
    """What a fault reads from its step: the settings it takes, defaults, and a last check.

    ``check`` sees the whole step after the defaults are filled and raises ``ValueError``
    with the setting's name first (``"rps: ..."``) when the combination does not fit.
    """

    takes: frozenset[str]
    defaults: Mapping[str, float | str] = field(default_factory=dict)
    check: Callable[[FaultStep], None] | None = None


_ACCEPTED: dict[str, StepSettings] = {}


def accept(name: str, settings: StepSettings) -> None:
    """Let method steps name the fault ``name`` with these settings."""
    unknown = settings.takes - set(SETTINGS)
    if unknown:
        raise ValueError(f"fault {name}: no step setting {', '.join(sorted(unknown))}")
    if name in _ACCEPTED or name == WAIT:
        raise ValueError(f"fault {name} is declared twice")
    _ACCEPTED[name] = settings


def fault_names() -> list[str]:
    """Every fault a method step may name, sorted."""
    return sorted(_ACCEPTED)


class FaultStep(BaseModel):
    """One step of the method: a fault (what, where, when, how long) or a wait.

    ``at_s`` left out means "when the previous step ends" (0 for the first step); a wait
    step (``fault: wait`` or the short form ``wait_s: N``) only moves that point on.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    fault: str
    # None only until Experiment places the step after the previous one
    at_s: float = Field(default=None, ge=0)  # type: ignore[assignment]
    duration_s: Annotated[float, Field(gt=0)] = 300
    az: str | None = None
    mode: str | None = None
    selection: str = "ALL"
    tags: dict[str, str] = {}
    latency_ms: Annotated[float, Field(gt=0, le=600_000)] | None = None
    error_share: Annotated[float, Field(ge=0, le=1)] | None = None
    rps: Annotated[float, Field(gt=0, le=50_000_000)] | None = None
    ramp_s: Annotated[float, Field(ge=0)] = 60
    # After a database failover, fail back in the rollback: a second failover, so a second
    # write outage; off by default (the standby stays primary, as after a real failover).
    fail_back: bool = False

    @field_validator("fault")
    @classmethod
    def _known(cls, v: str) -> str:
        """A declared fault or ``wait``."""
        if v != WAIT and v not in _ACCEPTED:
            names = ", ".join([*fault_names(), WAIT])
            raise ValueError(f"unknown fault {v!r}: one of {names}")
        return v

    @field_validator("selection")
    @classmethod
    def _fis_mode(cls, v: str) -> str:
        """ALL, COUNT(n) or PERCENT(n), spelled as FIS spells them."""
        if not re.match(SELECTION, v):
            raise ValueError("must be ALL, COUNT(n) with n >= 1, or PERCENT(n) with 0 < n <= 100")
        return v

    @model_validator(mode="before")
    @classmethod
    def _short_wait(cls, data: object) -> object:
        """``{wait_s: 60}`` is ``{fault: wait, duration_s: 60}``."""
        if isinstance(data, dict) and "wait_s" in data and "fault" not in data:
            rest = {k: v for k, v in data.items() if k != "wait_s"}
            return {"fault": WAIT, "duration_s": data["wait_s"], **rest}
        return data

    @model_validator(mode="after")
    def _fields_fit_the_fault(self) -> FaultStep:
        """Reject settings the fault does not take; fill its defaults; run its own check."""
        settings = _ACCEPTED.get(self.fault, StepSettings(frozenset()))
        for name in SETTINGS:
            if name in self.model_fields_set and name not in settings.takes:
                raise ValueError(f"{name}: not a setting of {self.fault}")
        for name, value in settings.defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        if settings.check is not None:
            settings.check(self)
        return self

    @property
    def start_s(self) -> float:
        """When the step starts (``at_s`` once the method is resolved)."""
        return 0.0 if self.at_s is None else float(self.at_s)

    @property
    def end_s(self) -> float:
        """When the step ends."""
        return self.start_s + self.duration_s
