"""What every fault is given and gives back, the stack it may need, and the zone a step names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.session import AwsSession
from chaoscli.errors import SpecError
from chaoscli.experiment.faults.step import FaultStep
from chaoscli.sim.scenario import ControlAction
from chaoscli.topology import Instance, Topology


@dataclass(frozen=True)
class FaultContext:
    """One injection: the control plane, the log, the stack as last discovered, and the draw.

    ``rng`` is seeded from the run's seed and the step's position, so the same seed picks the
    same targets whatever else the method does.
    """

    session: AwsSession
    log: RollbackLog
    topo: Topology
    step: FaultStep
    t: float
    rng: np.random.Generator


@dataclass
class Injected:
    """What an injection did: lines for the timeline, and calls the model must know of."""

    messages: list[str] = field(default_factory=list)
    actions: list[ControlAction] = field(default_factory=list)


Fault = Callable[[FaultContext], Injected]


@dataclass(frozen=True)
class StackShape:
    """The stack an experiment asks for, as a fault's pre-run check needs to see it."""

    azs: int
    instances_per_az: int
    multi_az: bool
    read_replicas: int
    zones: tuple[str, ...] = ()  # the stack's zones, in order (empty: not known)
    by_zone: tuple[int, ...] = ()  # instances in each zone (empty: instances_per_az in each)

    def instances_in(self, az: str | None) -> int:
        """Instances in the zone named ``az``; when it is unnamed or unknown, the fewest any
        zone holds (a zone-less step strikes the database primary's zone)."""
        if not self.by_zone:
            return self.instances_per_az
        if az in self.zones:
            return self.by_zone[self.zones.index(az)]
        return min(self.by_zone)

    @property
    def instances(self) -> int:
        """Instances of the whole stack."""
        return sum(self.by_zone) if self.by_zone else self.azs * self.instances_per_az


def resolve_az(step: FaultStep, topo: Topology) -> str:
    """The zone a step names; by default the one holding the database primary."""
    if step.az is None:
        if topo.database is not None:
            return topo.database.primary.az
        return topo.azs[0]
    if step.az not in topo.azs:
        raise SpecError(
            "method", "az", f"{step.az} is not a zone of stack {topo.stack} ({', '.join(topo.azs)})"
        )
    return step.az


def healthy_instances(topo: Topology, az: str | None) -> list[Instance]:
    """The stack's own running instances with no fault yet, optionally in one zone.

    Untagged instances (``tagged=False``) are never candidates: a fault touches only what
    carries the stack's tag. An instance another step already stopped or marked is left to
    that step, so every change has exactly one owner and one exact undo.
    """
    return [
        i
        for i in topo.instances
        if i.tagged and i.state == "running" and not i.fault and (az is None or i.az == az)
    ]
