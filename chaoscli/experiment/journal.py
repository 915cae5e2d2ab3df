"""The journal: the run record built from an outcome, and written as JSON that the same seed
reproduces exactly, but for its wall-clock ``start`` and ``end``.

Building copies figures the simulation measured (see :mod:`chaoscli.sim.measures`) into the
typed record; it computes none. Every time but ``start`` and ``end`` is virtual (seconds since
the run's virtual start, stamped from a fixed epoch); those two are the wall-clock times the
run's edge read (see :mod:`chaoscli.experiment.provenance`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chaoscli.experiment import provenance
from chaoscli.experiment.faults import FAULTS
from chaoscli.experiment.findings import propose
from chaoscli.experiment.hypothesis import ProbeResult
from chaoscli.experiment.many import section
from chaoscli.experiment.runner import Outcome
from chaoscli.record.model import (
    ActionActivity,
    ActionRun,
    Event,
    FaultWords,
    Hypothesis,
    OrderQueue,
    PrimaryZone,
    ProbeActivity,
    ProbeRun,
    ProbeVerdict,
    Provenance,
    Provider,
    Record,
    Recovery,
    RollbackRun,
    RunMetrics,
    Second,
    SteadyState,
    SteadyStates,
    Stop,
    Tolerance,
    Window,
    judged,
)
from chaoscli.record.setup import ExperimentAsRun
from chaoscli.record.topology import Topologies, TopologySummary
from chaoscli.record.write import write_atomic
from chaoscli.sim.measures import RunMeasures, Seconds, WindowMeasures
from chaoscli.sim.metrics import WindowMetrics
from chaoscli.sim.resolution import SCALARS, ZONAL, Timeline, fold
from chaoscli.topology import Topology

VIRTUAL_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def stamp(t: float) -> str:
    """A virtual time as an ISO 8601 timestamp, so tools that expect dates can parse it."""
    return (VIRTUAL_EPOCH + timedelta(seconds=float(t))).isoformat()


def topology_summary(topo: Topology | None) -> TopologySummary | None:
    """The parts of a discovered topology a reader of the report needs."""
    if topo is None:
        return None
    lb, db = topo.load_balancer, topo.database
    return TopologySummary.model_validate(
        {
            "stack": topo.stack,
            "region": topo.region,
            "azs": list(topo.azs),
            "instances_per_az": {az: len(topo.instances_in(az)) for az in topo.azs},
            "running_per_az": {
                az: sum(i.state == "running" for i in topo.instances_in(az)) for az in topo.azs
            },
            "load_balancer": None
            if lb is None
            else {
                "name": lb.name,
                "azs": list(lb.azs),
                "cross_zone": lb.cross_zone,
                "algorithm": lb.algorithm,
                "deregistration_delay_s": lb.deregistration_delay_s,
                "health_check": asdict(lb.health_check),
            },
            "database": None
            if db is None
            else {
                "primary": db.primary.id,
                "primary_az": db.primary.az,
                "multi_az": db.multi_az,
                "standby_az": db.standby_az,
                "replicas": {r.id: r.az for r in db.replicas},
            },
            "backup_bucket": topo.backup_bucket,
        }
    )


def _window(wm: WindowMeasures) -> Window:
    """One window's metrics, with error causes, its slow tail and its peaks."""
    return Window.model_validate(
        {
            **asdict(wm.metrics),
            "visible_error_causes": wm.visible_error_causes,
            "slow_tail_retried_share": wm.slow_tail_retried_share,
            "peak_offered_rps": wm.peak_offered_rps,
            "peak_utilisation": wm.peak_utilisation,
        }
    )


def _metrics(m: RunMeasures) -> RunMetrics:
    """Whole-run figures."""
    whole: WindowMetrics = m.whole.metrics
    return RunMetrics(
        requests=whole.requests,
        visible_errors=whole.visible_errors,
        availability=whole.availability,
        availability_ci95=list(whole.availability_ci),
        worst_second_success_ratio=whole.worst_second_success_ratio,
        worst_second_at_s=whole.worst_second_at_s,
        p99_latency_ms=whole.p99_latency_ms,
        p99_latency_ci95_ms=list(whole.p99_latency_ci_ms),
        hidden_errors=whole.retried_hidden,
        retry_amplification=whole.retry_amplification,
        slow_requests=whole.slow_requests,
        slow_request_ratio=whole.slow_request_ratio,
        customer_recovery_s=m.recovery.customer_recovery_s,
        recovery=Recovery.model_validate(asdict(m.recovery)),
        reroute_s=m.reroute_s,
        db_write_unavailable_s=m.db_write_unavailable_s,
        db_primary_az=PrimaryZone(**m.db_primary_az),
        peak_utilisation=m.whole.peak_utilisation,
        peak_offered_rps=m.whole.peak_offered_rps,
        visible_error_causes=m.whole.visible_error_causes,
        orders=whole.orders,
        orders_acked=whole.orders_acked,
        order_success_ratio=whole.order_success_ratio,
        lost_orders=whole.lost_orders,
        order_queue=OrderQueue(**asdict(m.order_queue)),
    )


def _values(k: int, cols: dict[str, Any]) -> dict[str, Any]:
    """Entry ``k``'s figures from one kind of columns (see :func:`_columns`)."""
    return {name: col[k] for name, col in cols.items() if not name.startswith("z:")} | {
        zonal: {az: zone[k] for az, zone in cols[f"z:{zonal}"]} for zonal in ZONAL
    }


def _columns(tl: Timeline, which: str) -> dict[str, Any]:
    """Every series of one kind (mean, low or high) as plain lists."""
    cols: dict[str, Any] = {name: getattr(tl.series[name], which).tolist() for name in SCALARS}
    cols["db_writable"] = [bool(v) for v in cols["db_writable"]]
    for zonal in ZONAL:
        rows = getattr(tl.series[zonal], which).tolist()
        cols[f"z:{zonal}"] = list(zip(tl.azs, rows, strict=True))
    return cols


def _timeline(sec: Seconds, faults: list[tuple[float, float]]) -> list[Second]:
    """The measured series as timeline entries: every second of a run of an hour or less;
    in a longer one, every second of its first hour and around each fault, and elsewhere
    whole minutes with each series' lowest and highest second (see
    :mod:`chaoscli.sim.resolution`)."""
    tl = fold(sec, faults)
    mean, low, high = (_columns(tl, which) for which in ("mean", "low", "high"))
    out = []
    for k, (t, span) in enumerate(zip(tl.t.tolist(), tl.span_s.tolist(), strict=True)):
        entry: dict[str, Any] = {"t": t, "span_s": span, **_values(k, mean)}
        if span > 1:
            entry["low"] = _values(k, low)
            entry["high"] = _values(k, high)
        out.append(Second.model_validate(entry))
    return out


def _fault_spans(out: Outcome) -> list[tuple[float, float]]:
    """Each method step's (start, end) as it ran: a stop condition ends every step still in
    place at its trip."""
    cut = float(out.stopped["t"]) if out.stopped else None
    spans = []
    for step in out.loaded.experiment.method:
        at = float(step.at_s or 0.0)
        end = at + float(step.duration_s)
        spans.append((at, end if cut is None else min(end, max(cut, at))))
    return spans


def _tolerance(p: ProbeResult) -> Tolerance:
    """The probe's bound as the record holds it."""
    return Tolerance(min=p.tolerance.min, max=p.tolerance.max)


def _probe_run(p: ProbeResult, wm: WindowMetrics | None) -> ProbeRun:
    """One probe in Chaos Toolkit's activity-result shape."""
    start, end = (wm.start_s, wm.end_s) if wm else (0.0, 0.0)
    return ProbeRun(
        activity=ProbeActivity(name=p.probe, window=p.window, tolerance=_tolerance(p)),  # type: ignore[arg-type]
        output=p.value,
        status="succeeded",
        tolerance_met=p.ok,
        start=stamp(start),
        end=stamp(end),
        duration=end - start,
    )


def _steady_states(out: Outcome) -> SteadyStates:
    """Before, during and after: did the steady state hold in each window the run had."""
    states: dict[str, SteadyState | None] = {}
    for name in ("before", "during", "after"):
        probes = [p for p in out.probes if p.window == name]
        states[name] = (
            SteadyState(
                steady_state_met=all(p.ok for p in probes),
                probes=[_probe_run(p, out.windows.get(name)) for p in probes],
            )
            if probes
            else None
        )
    return SteadyStates.model_validate(states)


def _run(out: Outcome) -> list[ActionRun]:
    """The method's faults as Chaos Toolkit action results, in virtual time."""
    exp = out.loaded.experiment
    end_of_traffic = exp.traffic.duration_s
    acts = []
    cut = float(out.stopped["t"]) if out.stopped else None
    for step in exp.method:
        at = float(step.at_s or 0.0)
        stop = min(end_of_traffic, at + step.duration_s)
        if cut is not None:  # a stop condition ended every step still in place
            stop = min(stop, max(cut, at))
        output = [e.message for e in out.events if e.kind == "fault" and e.t == at]
        output += [e.message for e in out.events if e.kind == "rollback" and e.t == stop]
        acts.append(
            ActionRun(
                activity=ActionActivity(
                    name=step.fault, provider=Provider(fault=step.fault, az=step.az)
                ),
                output=output,
                status="succeeded" if judged(out.status, cut is not None, out.error) else "failed",
                start=stamp(at),
                end=stamp(stop),
                duration=stop - at,
            )
        )
    return acts


def _verdict(p: ProbeResult) -> ProbeVerdict:
    """One probe's verdict as the hypothesis section holds it."""
    return ProbeVerdict(
        probe=p.probe,
        window=p.window,  # type: ignore[arg-type]
        value=p.value,
        tolerance=_tolerance(p),
        bound=p.bound,
        margin=p.margin,
        ok=p.ok,
        ci95=list(p.ci) if p.ci else None,
    )


def _fault_words(out: Outcome) -> dict[str, FaultWords]:
    """Each method fault's own words for the findings, copied from its module."""
    kinds = {s.fault: FAULTS.get(s.fault) for s in out.loaded.experiment.method}
    return {
        name: FaultWords(words=kind.words, causes=dict(kind.cause_words))
        for name, kind in kinds.items()
        if kind is not None
    }


def build(out: Outcome) -> Record:
    """The typed record of a run, with its findings and the fix each proposes (not yet
    re-run: see :mod:`chaoscli.experiment.fixes`)."""
    record = _record(out)
    record.findings = propose(record, out.loaded.experiment)
    return record


def _provenance(out: Outcome) -> Provenance:
    """Where the run came from: command line, overrides, file digest and endpoint."""
    edge, loaded = out.edge, out.loaded
    return Provenance(
        command=edge.command,
        overrides=provenance.overrides(loaded.sets, loaded.vars),
        experiment_sha256=edge.experiment_sha256,
        endpoint=edge.endpoint,  # type: ignore[arg-type]
        endpoint_url=edge.endpoint_url,
    )


def _wall(at: datetime | None, virtual: float) -> str:
    """A wall-clock time the run's edge read; the virtual stamp for an outcome that has none
    (one assembled by hand, not run)."""
    return provenance.stamp(at) if at is not None else stamp(virtual)


def _record(out: Outcome) -> Record:
    """The typed record of a run, without findings."""
    exp = out.loaded.experiment
    m = out.measures
    duration = float(out.result.seconds) if out.result is not None else 0.0
    return Record(
        chaoscli_version=provenance.version(),
        title=exp.title,
        source=out.loaded.source,
        experiment=ExperimentAsRun.model_validate(out.loaded.document),
        seed=out.seed,
        status=out.status,  # type: ignore[arg-type]
        deviated=out.deviated,
        error=out.error,
        stopped=Stop.model_validate(out.stopped) if out.stopped else None,
        start=_wall(out.edge.started_at, 0),
        end=_wall(out.edge.ended_at, duration),
        duration=duration,
        provenance=_provenance(out),
        steady_states=_steady_states(out),
        run=_run(out),
        faults=_fault_words(out),
        rollbacks=[
            RollbackRun(output=line, t=t)
            # each fault undone when its step ends, then whatever was left at the end
            for t, line in [(e.t, e.message) for e in out.events if e.kind == "rollback"]
            + [(duration, line) for line in out.rollback]
        ],
        topology=Topologies(
            before=topology_summary(out.topology_before),
            after=topology_summary(out.topology_after),
        ),
        hypothesis=Hypothesis(
            title=exp.hypothesis.title,
            held=not out.deviated,
            probes=[_verdict(p) for p in out.probes],
        ),
        metrics=_metrics(m) if m else None,
        windows={k: _window(v) for k, v in m.windows.items()} if m else {},  # type: ignore[misc]
        events=[Event(t=e.t, kind=e.kind, message=e.message) for e in out.events],
        rollback_check=out.restored,
        timeline=_timeline(m.seconds, _fault_spans(out)) if m else [],
        runs=section(out.runs, out.seed, exp.hypothesis.runs_must_hold, out.per_seed)
        if len(out.runs) > 1
        else None,
    )


def text(record: Record) -> str:
    """The journal as indented JSON."""
    return json.dumps(record.dump(), indent=1) + "\n"


def write(record: Record, path: Path) -> None:
    """Write the journal as indented JSON, whole or not at all (the old file stays intact)."""
    write_atomic(path, text(record))
