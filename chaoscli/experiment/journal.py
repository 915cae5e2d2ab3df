"""The journal: a JSON record of a run that reports are made from, and that the same seed
reproduces exactly.

Its core fields follow Chaos Toolkit's journal (status, deviated, steady_states, run,
rollbacks, start, end, duration) so that tooling written for it can read ours; times are
virtual (seconds since the run's virtual start, stamped from a fixed epoch), never the wall
clock. chaoscli's own fields (metrics, windows, timeline, events, topology) sit beside them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from chaoscli import __version__
from chaoscli.experiment.runner import Outcome
from chaoscli.sim.metrics import WindowMetrics, per_second_p99, window
from chaoscli.sim.results import CAUSES
from chaoscli.topology import Topology

SCHEMA_ID = "https://chaoscli.dev/schemas/journal-1.json"
VIRTUAL_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# per-second arrays of RunResult that the timeline already carries under other names
KNOWN_SERIES = {"rate", "attempts", "served", "load", "utilisation"}


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    return value


def stamp(t: float) -> str:
    """A virtual time as an ISO 8601 timestamp, so tools that expect dates can parse it."""
    return (VIRTUAL_EPOCH + timedelta(seconds=float(t))).isoformat()


def topology_summary(topo: Topology | None) -> dict[str, Any] | None:
    """The parts of a discovered topology a reader of the report needs."""
    if topo is None:
        return None
    lb, db = topo.load_balancer, topo.database
    return {
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


def _causes(out: Outcome, a: int, b: int) -> dict[str, float]:
    """Visible errors in seconds [a, b) by why the customer's last attempt failed."""
    res = out.result
    causes = getattr(res, "causes", None)
    if res is None or causes is None:
        return {}
    s = res.samples_per_s
    weight = np.repeat(res.rate[a:b] / s, s)
    failed = ~res.ok[a * s : b * s]
    codes = causes[a * s : b * s]
    found: dict[str, float] = {}
    for code in np.unique(codes[failed]):
        name = CAUSES[int(code)] if int(code) < len(CAUSES) else f"cause {int(code)}"
        found[name] = float(weight[failed & (codes == code)].sum())
    return found


def _tail_retried(out: Outcome, a: int, b: int) -> float | None:
    """Share of the slowest 1% of successful requests in [a, b) that needed a retry."""
    res = out.result
    if res is None:
        return None
    s = res.samples_per_s
    ok = res.ok[a * s : b * s]
    lat = res.latency_s[a * s : b * s][ok]
    if lat.size == 0:
        return None
    weight = np.repeat(res.rate[a:b] / s, s)[ok]
    cut = float(np.quantile(lat, 0.99))
    slow = lat >= cut
    retried = res.retried[a * s : b * s][ok]
    total = float(weight[slow].sum())
    return float(weight[slow & retried].sum()) / total if total else None


def _window(out: Outcome, name: str, wm: WindowMetrics) -> dict[str, Any]:
    """One window's metrics, with error causes and what made its slow tail slow."""
    a, b = int(wm.start_s), int(wm.end_s)
    return {
        **wm.as_dict(),
        "visible_error_causes": _causes(out, a, b),
        "slow_tail_retried_share": _tail_retried(out, a, b),
    }


def _metrics(out: Outcome) -> dict[str, Any]:
    """Whole-run figures (empty when no traffic was simulated)."""
    res = out.result
    if res is None:
        return {}
    whole = window(res, 0, res.seconds)
    w = res.world
    return {
        "requests": whole.requests,
        "visible_errors": whole.visible_errors,
        "availability": whole.availability,
        "availability_ci95": list(whole.availability_ci),
        "worst_second_success_ratio": whole.worst_second_success_ratio,
        "worst_second_at_s": whole.worst_second_at_s,
        "p99_latency_ms": whole.p99_latency_ms,
        "p99_latency_ci95_ms": list(whole.p99_latency_ci_ms),
        "hidden_errors": whole.retried_hidden,
        "retry_amplification": whole.retry_amplification,
        "reroute_s": w.reroute_s,
        "db_write_unavailable_s": w.db_write_unavailable_s,
        "db_primary_az": dict(w.primary_az),
        "peak_utilisation": float(res.utilisation.max()) if res.utilisation.size else None,
        "visible_error_causes": _causes(out, 0, res.seconds),
        "orders": whole.orders,
        "orders_acked": whole.orders_acked,
        "order_success_ratio": whole.order_success_ratio,
        "lost_orders": whole.lost_orders,
        "order_queue": {
            "enabled": w.order_queue,
            "max_depth": float(res.ledger.queue_depth.max()) if res.seconds else 0.0,
            "longest_commit_delay_s": res.ledger.longest_commit_delay_s,
            "pending_at_end": res.ledger.pending_at_end,
        },
    }


def _extra_series(res: Any, azs: tuple[str, ...]) -> dict[str, Any]:
    """Per-second arrays the engine adds later (queue depth, orders...), carried as they are."""
    found: dict[str, Any] = {}
    for name, value in vars(res).items():
        if name in KNOWN_SERIES or not isinstance(value, np.ndarray):
            continue
        if value.shape == (res.seconds,):
            found[name] = value
        elif value.ndim == 2 and value.shape == (len(azs), res.seconds):
            found[name] = {az: value[z] for z, az in enumerate(azs)}
    return found


def _timeline(out: Outcome) -> list[dict[str, Any]]:
    """One entry per virtual second: load, outcomes, zones, latency and the database."""
    res = out.result
    if res is None:
        return []
    w = res.world
    ok = res.per_second(res.ok.astype(float))
    p99 = per_second_p99(res)
    extra = _extra_series(res, w.azs)
    rows = []
    for s in range(res.seconds):
        row = {
            "t": s,
            "requests": res.rate[s],
            "visible_errors": res.rate[s] * (1 - ok[s]),
            "success_ratio": ok[s],
            "attempts": res.attempts[s],
            "served": {az: res.served[z, s] for z, az in enumerate(w.azs)},
            "utilisation": {az: res.utilisation[z, s] for z, az in enumerate(w.azs)},
            "p99_latency_ms": p99[s] * 1000,
            "db_writable": bool(w.db_writable[min(w.ticks - 1, int(s / w.tick_s))]),
        }
        for name, series in extra.items():
            if isinstance(series, dict):
                row[name] = {az: v[s] for az, v in series.items()}
            else:
                row[name] = series[s]
        rows.append(row)
    return rows


def _probe(p: Any, wm: WindowMetrics | None) -> dict[str, Any]:
    """One probe in Chaos Toolkit's activity-result shape, with chaoscli's margin."""
    start, end = (wm.start_s, wm.end_s) if wm else (0.0, 0.0)
    return {
        "activity": {
            "type": "probe",
            "name": p.probe,
            "window": p.window,
            "tolerance": p.tolerance.model_dump(),
        },
        "output": p.value,
        "status": "succeeded",
        "tolerance_met": p.ok,
        "start": stamp(start),
        "end": stamp(end),
        "duration": end - start,
    }


def _steady_states(out: Outcome) -> dict[str, Any]:
    """Before, during and after: did the steady state hold in each window the run had."""
    states: dict[str, Any] = {}
    for name in ("before", "during", "after"):
        probes = [p for p in out.probes if p.window == name]
        if not probes:
            states[name] = None
            continue
        states[name] = {
            "steady_state_met": all(p.ok for p in probes),
            "probes": [_probe(p, out.windows.get(name)) for p in probes],
        }
    return states


def _run(out: Outcome) -> list[dict[str, Any]]:
    """The method's faults as Chaos Toolkit action results, in virtual time."""
    exp = out.loaded.experiment
    end_of_traffic = exp.traffic.duration_s
    acts = []
    for step in exp.method:
        at = float(step.at_s or 0.0)
        stop = min(end_of_traffic, at + step.duration_s)
        output = [e.message for e in out.events if e.kind == "fault" and e.t == at]
        output += [e.message for e in out.events if e.kind == "rollback" and e.t == stop]
        acts.append(
            {
                "activity": {
                    "type": "action",
                    "name": step.fault,
                    "provider": {"type": "chaoscli", "fault": step.fault, "az": step.az},
                },
                "output": output,
                "status": "succeeded" if out.status == "completed" else "failed",
                "start": stamp(at),
                "end": stamp(stop),
                "duration": stop - at,
            }
        )
    return acts


def build(out: Outcome) -> dict[str, Any]:
    """The journal as a plain dictionary."""
    exp = out.loaded.experiment
    duration = float(out.result.seconds) if out.result is not None else 0.0
    journal = {
        "$schema": SCHEMA_ID,
        "chaoscli_version": __version__,
        "clock": "virtual",
        "title": exp.title,
        "source": out.loaded.source,
        "experiment": out.loaded.document,
        "seed": out.seed,
        "status": out.status,
        "deviated": out.deviated,
        "error": out.error,
        "stopped": out.stopped,
        "start": stamp(0),
        "end": stamp(duration),
        "duration": duration,
        "steady_states": _steady_states(out),
        "run": _run(out),
        "rollbacks": [
            {
                "activity": {"type": "action", "name": "rollback"},
                "output": line,
                "status": "succeeded",
                "t": t,
            }
            # each fault undone when its step ends, then whatever was left at the end
            for t, line in [(e.t, e.message) for e in out.events if e.kind == "rollback"]
            + [(duration, line) for line in out.rollback]
        ],
        "topology": {
            "before": topology_summary(out.topology_before),
            "after": topology_summary(out.topology_after),
        },
        "hypothesis": {
            "title": exp.hypothesis.title,
            "held": not out.deviated,
            "probes": [
                {
                    "probe": p.probe,
                    "window": p.window,
                    "value": p.value,
                    "tolerance": p.tolerance.model_dump(),
                    "bound": p.bound,
                    "margin": p.margin,
                    "ok": p.ok,
                    "ci95": list(p.ci) if p.ci else None,
                }
                for p in out.probes
            ],
        },
        "metrics": _metrics(out),
        "windows": {k: _window(out, k, v) for k, v in out.windows.items()},
        "events": [{"t": e.t, "kind": e.kind, "message": e.message} for e in out.events],
        "rollback_check": out.restored,
        "timeline": _timeline(out),
    }
    return _clean(journal)


def load(path: Path) -> dict[str, Any]:
    """Read a journal written by :func:`write`."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write(journal: dict[str, Any], path: Path) -> None:
    """Write the journal as indented JSON."""
    path.write_text(json.dumps(journal, indent=1) + "\n", encoding="utf-8")
