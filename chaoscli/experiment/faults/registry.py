"""Every fault the method can name, each registered by its own module.

A fault module builds one ``FaultKind`` (its step settings, its injection, its pre-run check
and its words for findings) and calls ``register``; the spec, the method, the runner's checks
and the findings all read it from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from chaoscli.experiment.faults.base import Fault, StackShape
from chaoscli.experiment.faults.step import FaultStep, StepSettings, accept
from chaoscli.sim.scenario import TrafficProfile

Words = tuple[str, str]  # what happened, in a clause; the change that would fix it


@dataclass(frozen=True)
class FaultKind:
    """One fault: how a step names and sets it, what it does, and how findings speak of it.

    ``inject`` makes the control-plane changes (each logged with its undo) and returns the
    lines for the timeline and the calls the model must know of (its model effect).
    ``needs`` says, before anything is created, why the stack cannot take the fault (or
    None). ``targets`` says, for a fault whose step has a ``selection``, how many targets
    that selection draws from on the stack as provisioned and what they are, e.g.
    ``(25, "instances in the step's zone")``, so ``COUNT(n)`` beyond them is refused.
    ``cause_words`` explain the failure causes only this fault brings about;
    ``words`` explain a failed probe of the fault's window that no failure cause explains.
    ``traffic`` reshapes what customers offer (a model effect no API call shows), given
    the step and where a stop condition cut the method. ``control_plane`` is False for a
    fault that changes only the model (no re-discovery).
    """

    name: str
    summary: str
    settings: StepSettings
    inject: Fault
    needs: Callable[[StackShape], str | None] = lambda _: None
    targets: Callable[[FaultStep, StackShape], tuple[int, str]] | None = None
    cause_words: Mapping[str, Words] = field(default_factory=dict)
    words: Words | None = None
    traffic: Callable[[TrafficProfile, FaultStep, float | None], TrafficProfile] | None = None
    control_plane: bool = True


FAULTS: dict[str, FaultKind] = {}


def register(kind: FaultKind) -> FaultKind:
    """Make ``kind`` a fault method steps can name."""
    accept(kind.name, kind.settings)
    FAULTS[kind.name] = kind
    return kind


def shaped_traffic(
    base: TrafficProfile, steps: Sequence[FaultStep], cut_at: float | None = None
) -> TrafficProfile:
    """The traffic customers offer once every step that reshapes it has, in method order."""
    profile = base
    for step in steps:
        kind = FAULTS.get(step.fault)
        if kind is not None and kind.traffic is not None:
            profile = kind.traffic(profile, step, cut_at)
    return profile


def cause_words() -> dict[str, Words]:
    """The findings' words for every fault-specific failure cause."""
    return {cause: w for kind in FAULTS.values() for cause, w in kind.cause_words.items()}
