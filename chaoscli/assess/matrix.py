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
from chaoscli.experiment.fixes import prove
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
    "topology.autoscaling.",
)

# How a fix to the model reads as a change to the stack itself.
_STACK_WORDS = {
    "topology.database.multi_az": "RDS MultiAZ",
    "topology.database.read_replicas": "RDS read replicas",
    "topology.instances_per_az": "web instances per zone (Auto Scaling desired and minimum)",
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
    """Every fault in every zone, and the weak point with its fix re-run."""
    cells: list[tuple[Cell, Record | None]] = []
    with neutral_environment():
        for fault in faults:
            zones: list[str | None] = list(shape.zones) if fault.per_zone else [None]
            for zone in zones:
                model_zone = shape.zones.get(zone) if zone else None
                if fault.needs_standby and not shape.multi_az:
                    cells.append(
                        (_not_run(fault, "the primary has no standby to fail over to"), None)
                    )
                    continue
                phase(f"{fault.name}{f' in {zone}' if zone else ''}")
                record = _one(fault, shape, model_zone, seed, verify, phase)
                cells.append((_cell(fault, zone, model_zone, record, shape), record))
        weak = _weak_point(cells, shape, seed, phase)
    return [c for c, _ in cells], weak


def _vars(fault: Fault, shape: Shape, model_zone: str | None) -> list[str]:
    """The experiment's parameters: zone, timing and selection."""
    out = [f"at_s={shape.at_s:g}", f"duration_s={shape.duration_s:g}", *fault.extra]
    if model_zone is not None:
        out.append(f"az={model_zone}")
    return out


def _one(
    fault: Fault,
    shape: Shape,
    model_zone: str | None,
    seed: int,
    verify: bool,
    phase: Phase,
    extra_sets: tuple[str, ...] = (),
) -> Record:
    """One shipped experiment against the model's copy, with its fixes re-run if asked."""
    loaded = load(fault.experiment, [*shape.sets, *extra_sets], _vars(fault, shape, model_zone))
    outcome = run(loaded, seed=seed, phase=phase)
    record = journal.build(outcome)
    return prove(record, loaded, seed, 1, phase, verify=verify)


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
    proven = None
    if top is not None and top.fix is not None:
        result = top.fix.result
        proven = "not re-run" if result is None else ("held" if result.held else "did not hold")
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
        top_finding=top.title if top else None,
        fix=_fix_words(top) if top else None,
        fix_set={
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in top.fix.set.items()
        }
        if top and top.fix
        else {},
        fix_proven=proven,
    )


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
    cells: list[tuple[Cell, Record | None]], shape: Shape, seed: int, phase: Phase
) -> WeakPoint | None:
    """The deviated cell with most visible errors; its top cause re-run with its fix."""
    deviated = [(c, r) for c, r in cells if c.held is False and c.fix_set]
    if not deviated:
        return None
    cell, _ = max(
        deviated,
        key=lambda cr: (
            writes_lost(cr[0].db_write_unavailable_s, shape.duration_s),
            cr[0].visible_errors,
        ),
    )
    fault = next(f for f in FAULTS if f.name == cell.fault)
    phase(f"re-running {cell.fault} with the fix applied")
    fix_sets = tuple(f"{k}={v}" for k, v in cell.fix_set.items())
    again = _one(fault, shape, cell.model_zone, seed, False, phase, fix_sets)
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
