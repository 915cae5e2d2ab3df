"""An assessment as plain data: the stack read, the inputs, one cell per fault and zone, and
the weak point with its fix re-assessed. The JSON report is this model; the other reports
are made from it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Part(BaseModel):
    """Base: fields are as declared, nothing else."""

    model_config = ConfigDict(extra="forbid")


class Input(Part):
    """One number AWS cannot tell, its value and where it came from."""

    name: str
    value: str
    source: str


class StackSeen(Part):
    """What discovery read, in the stack's own names."""

    load_balancer: str
    region: str
    zones: list[str]
    instances_per_zone: dict[str, int]
    instance_types: dict[str, int]
    auto_scaling_groups: list[str]
    database: str | None
    database_engine: str | None
    multi_az: bool | None
    primary_zone: str | None
    read_replicas: list[str]
    cross_zone: bool
    health_check: str
    calls: dict[str, int]  # "service Operation" -> count: every call discovery made


class Cell(Part):
    """One fault in one zone, run in the model."""

    fault: str  # zone power loss, router failure, database failover, instance crash
    experiment: str  # the shipped experiment that ran it
    zone: str | None  # in the stack's names; None for a fault not bound to a zone
    model_zone: str | None
    held: bool | None  # None: not run (``not_run`` says why)
    not_run: str | None = None
    visible_errors: int
    availability: float
    worst_second: float
    recovery_s: float | None
    recovery: str  # recovered / not_recovered / no_fault / no_baseline
    db_write_unavailable_s: float
    # seconds from the fault's end until the zone served customers again (None: not by the
    # run's end, or a fault not bound to a zone)
    zone_back_s: float | None = None
    top_finding: str | None
    fix: str | None  # the change, in the stack's words where there is one
    fix_set: dict[str, str] = Field(default_factory=dict)
    fix_proven: str | None  # held / did not hold / not re-run
    fix_visible_errors: int | None = None  # what the re-run with the fix showed


class WeakPoint(Part):
    """The worst cell's cause, its fix, and the fault re-run with the fix applied."""

    cell: str
    why: str  # what the fault cost, in the stack's names
    finding: str
    fix: str
    fix_set: dict[str, str]
    before_visible_errors: int
    after_visible_errors: int | None = None
    before_db_write_unavailable_s: float
    after_db_write_unavailable_s: float | None = None
    after_held: bool | None = None
    gone: bool | None = None  # the fault no longer costs what the finding said


class Assessment(Part):
    """Everything ``chaoscli assess`` found."""

    title: str
    stack: StackSeen
    inputs: list[Input]
    approximations: list[str]
    not_modelled: list[str]
    cells: list[Cell]
    weak_point: WeakPoint | None
    seed: int
    read_only: str  # what discovery did at the endpoint, in one sentence

    @property
    def held(self) -> bool:
        """Every fault in every zone held."""
        return all(c.held is not False for c in self.cells)
