"""Run each fault in each zone against the model's copy of a stack, and find its weak point.

Every run provisions the copy in in-process moto (whatever the environment points at), so
the stack that was read gets no call at all; the shipped experiments supply the faults and
the hypothesis, the overrides from ``derive`` the stack's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chaoscli.assess.derive import Shape
from chaoscli.assess.model import Cell, WeakPoint
from chaoscli.aws.session import neutral_environment
from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.record import Record
from chaoscli.record.findings import Finding

Phase = Callable[[str], None]

# Fixes to what the stack already has come before additions it lacks (an order queue, ...).
_STACK_PATHS = (
    "topology.database.",
    "topology.health_check.",
    "topology.load_balancer.",
    "topology.instances_per_az",
    "topology.instances_by_zone",
    "topology.autoscaling.",
)

# How a fix to the model reads as a change to the stack itself.
_STACK_WORDS = {
    "topology.database.multi_az": "RDS MultiAZ",
    "topology.database.read_replicas": "RDS read replicas",
    "topology.instances_per_az": "web instances per zone (Auto Scaling desired and minimum)",
    "topology.instances_by_zone": "web instances in each zone (its Auto Scaling group's "
    "desired and minimum)",
    "topology.load_balancer.cross_zone": "target group attribute load_balancing.cross_zone.enabled",
    "topology.health_check.interval_s": "target group HealthCheckIntervalSeconds",
    "topology.health_check.timeout_s": "target group HealthCheckTimeoutSeconds",
    "topology.health_check.unhealthy_threshold": "target group UnhealthyThresholdCount",
    "topology.health_check.healthy_threshold": "target group HealthyThresholdCount",
    "topology.order_queue.enabled": "a durable order queue (SQS) between web and database",
}


@dataclass(frozen=True)
class Fault:
    """One row group of the matrix: a shipped experiment, and whether it runs per zone."""

    name: str
    experiment: str
    per_zone: bool
    extra: tuple[str, ...] = ()
    needs_standby: bool = False


FAULTS = (
    Fault("zone power loss", "az-outage", True),
    Fault("router failure", "router-failure", True),
    Fault("database failover", "rds-failover", False, needs_standby=True),
    Fault("10% instance crash", "instance-crash", False, ("selection=PERCENT(10)",)),
)


def run_matrix(
    shape: Shape,
    seed: int,
    phase: Phase = lambda _: None,
    verify: bool = True,
    faults: tuple[Fault, ...] = FAULTS,
) -> tuple[list[Cell], WeakPoint | None]:
    """Every fault in every zone, each top fix re-run (when ``verify``), and the weak point
    with its fix re-run."""
    cells: list[Cell] = []
    runs = Runs(shape, seed, phase)
    with neutral_environment():
        for fault in faults:
            zones: list[str | None] = list(shape.zones) if fault.per_zone else [None]
            for zone in zones:
                model_zone = shape.zones.get(zone) if zone else None
                if fault.needs_standby and not shape.multi_az:
                    cells.append(_not_run(fault, "the primary has no standby to fail over to"))
                    continue
                phase(f"{fault.name}{f' in {zone}' if zone else ''}")
                record = runs(fault, model_zone)
                cell = _cell(fault, zone, model_zone, record, shape)
                if verify and cell.fix_set:
                    phase(f"re-running {cell.fault}{f' in {zone}' if zone else ''} with its fix")
                    cell = _proven(cell, runs(fault, model_zone, _fix_args(cell)))
                cells.append(cell)
        weak = _weak_point(cells, shape, runs, faults, phase)
    return cells, weak


class Runs:
    """The model's runs of one assessment, each made once: the weak point's re-run with its
    cell's fix is the very run that proved that fix (same experiment, overrides, parameters
    and seed), so it is not made twice."""

    def __init__(self, shape: Shape, seed: int, phase: Phase) -> None:
        self.shape, self.seed, self.phase = shape, seed, phase
        self.done: dict[tuple[str, ...], Record] = {}

    def __call__(
        self, fault: Fault, model_zone: str | None, extra_sets: tuple[str, ...] = ()
    ) -> Record:
        """One shipped experiment against the model's copy, with ``extra_sets`` applied."""
        sets = [*self.shape.sets, *extra_sets]
        vars_ = _vars(fault, self.shape, model_zone)
        key = (fault.experiment, *sets, "--var", *vars_)
        if key not in self.done:
            loaded = load(fault.experiment, sets, vars_)
            outcome = run(loaded, seed=self.seed, phase=self.phase)
            self.done[key] = journal.build(outcome)
        return self.done[key]


def _fix_args(cell: Cell) -> tuple[str, ...]:
    """A cell's fix as ``--set`` arguments."""
    return tuple(f"{k}={v}" for k, v in cell.fix_set.items())


def _proven(cell: Cell, again: Record) -> Cell:
    """The cell with what re-running its fault with its fix showed."""
    m = again.metrics
    return cell.model_copy(
        update={
            "fix_proven": "did not hold" if again.deviated else "held",
            "fix_visible_errors": int(m.visible_errors) if m else None,
        }
    )


def _vars(fault: Fault, shape: Shape, model_zone: str | None) -> list[str]:
    """The experiment's parameters: zone, timing and selection."""
    out = [f"at_s={shape.at_s:g}", f"duration_s={shape.duration_s:g}", *fault.extra]
    if model_zone is not None:
        out.append(f"az={model_zone}")
    return out


def _ranked(findings: list[Finding], writes_lost: bool) -> list[Finding]:
    """Findings with a fix: where the fault cost every write for its whole length, the
    database's first (orders are what the shop lives on); then causes, fixes to what the
    stack has before additions it lacks, in the record's order."""

    def database(f: Finding) -> bool:
        return f.fix is not None and any(p.startswith("topology.database.") for p in f.fix.set)

    def ours(f: Finding) -> bool:
        return f.fix is not None and all(p.startswith(_STACK_PATHS) for p in f.fix.set)

    with_fix = [
        f
        for f in findings
        if f.fix is not None
        and f.fix.set
        and (f.severity == "cause" or (writes_lost and database(f)))
    ]
    return sorted(with_fix, key=lambda f: (not (writes_lost and database(f)), not ours(f)))


def writes_lost(db_write_unavailable_s: float, duration_s: float) -> bool:
    """The database took no write for the whole fault: its loss, not a failover."""
    return db_write_unavailable_s >= duration_s - 1


def _value(value: object) -> str:
    """A setting's value as the stack's templates write it (booleans in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _fix_words(finding: Finding) -> str:
    """The fix in the stack's words where the model's setting has a name there."""
    assert finding.fix is not None
    parts = [
        f"{_STACK_WORDS.get(path, path)} = {_value(value)}"
        for path, value in finding.fix.set.items()
    ]
    return f"{finding.fix.words} ({'; '.join(parts)})"


def _cell(
    fault: Fault, zone: str | None, model_zone: str | None, record: Record, shape: Shape
) -> Cell:
    """A record as one cell of the matrix."""
    m = record.metrics
    lost = writes_lost(float(m.db_write_unavailable_s) if m else 0.0, shape.duration_s)
    ranked = _ranked(record.findings, lost) if record.deviated else []
    top = ranked[0] if ranked else None
    return Cell(
        fault=fault.name,
        experiment=fault.experiment,
        zone=zone,
        model_zone=model_zone,
        held=not record.deviated,
        visible_errors=int(m.visible_errors) if m else 0,
        availability=float(m.availability) if m else 0.0,
        worst_second=float(m.worst_second_success_ratio) if m else 0.0,
        recovery_s=float(m.customer_recovery_s)
        if m and m.customer_recovery_s is not None
        else None,
        recovery=m.recovery.status if m else "no_fault",
        db_write_unavailable_s=float(m.db_write_unavailable_s) if m else 0.0,
        zone_back_s=zone_back_s(record, model_zone, shape.at_s + shape.duration_s)
        if model_zone
        else None,
        top_finding=top.title if top else None,
        fix=_fix_words(top) if top else None,
        fix_set={
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in top.fix.set.items()
        }
        if top and top.fix
        else {},
        fix_proven="not re-run" if top else None,
    )


def zone_back_s(record: Record, model_zone: str, end_s: float) -> float | None:
    """Seconds from the fault's end until the zone served customers again (None: not by
    the run's end): what sets a power loss apart from a router failure once it is over,
    as powered-off instances boot before they serve."""
    for second in record.timeline:
        if second.t >= end_s and second.served.get(model_zone, 0) > 0:
            return float(second.t - end_s)
    return None


def _not_run(fault: Fault, why: str) -> Cell:
    """A cell the stack's shape rules out."""
    return Cell(
        fault=fault.name,
        experiment=fault.experiment,
        zone=None,
        model_zone=None,
        held=None,
        not_run=why,
        visible_errors=0,
        availability=1.0,
        worst_second=1.0,
        recovery_s=None,
        recovery="no_fault",
        db_write_unavailable_s=0.0,
        top_finding=None,
        fix=None,
        fix_proven=None,
    )


def _weak_point(
    cells: list[Cell], shape: Shape, runs: Runs, faults: tuple[Fault, ...], phase: Phase
) -> WeakPoint | None:
    """The deviated cell with most visible errors; its top cause re-run with its fix (the
    run that proved the fix, when it was proven)."""
    deviated = [c for c in cells if c.held is False and c.fix_set]
    if not deviated:
        return None
    cell = max(
        deviated,
        key=lambda c: (writes_lost(c.db_write_unavailable_s, shape.duration_s), c.visible_errors),
    )
    fault = next(f for f in faults if f.name == cell.fault)
    phase(f"re-running {cell.fault} with the fix applied")
    again = runs(fault, cell.model_zone, _fix_args(cell))
    after = again.metrics
    after_errors = int(after.visible_errors) if after else None
    after_writes = float(after.db_write_unavailable_s) if after else None
    lost = writes_lost(cell.db_write_unavailable_s, shape.duration_s)
    where = f" in {cell.zone}" if cell.zone else ""
    why = (
        f"the database took no write for the whole {shape.duration_s:g} s of the {cell.fault}"
        f"{where}: its primary has no standby outside that zone"
        if lost
        else f"{cell.visible_errors:,} visible errors in the {cell.fault}{where}"
    )
    return WeakPoint(
        cell=f"{cell.fault}{where}",
        why=why,
        finding=cell.top_finding or "",
        fix=cell.fix or "",
        fix_set=cell.fix_set,
        before_visible_errors=cell.visible_errors,
        after_visible_errors=after_errors,
        before_db_write_unavailable_s=cell.db_write_unavailable_s,
        after_db_write_unavailable_s=after_writes,
        after_held=not again.deviated,
        gone=(
            after_writes is not None and not writes_lost(after_writes, shape.duration_s)
            if writes_lost(cell.db_write_unavailable_s, shape.duration_s)
            else after_errors is not None and after_errors < cell.visible_errors
        ),
    )
