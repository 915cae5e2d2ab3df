"""The journal: a JSON record of a run that reports are made from, and that the same seed
reproduces exactly."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from chaoscli import __version__
from chaoscli.experiment.runner import Outcome
from chaoscli.sim.metrics import WindowMetrics, per_second_p99, window
from chaoscli.topology import Topology


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    return value


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


def build(out: Outcome) -> dict[str, Any]:
    """The journal as a plain dictionary."""
    res = out.result
    overall = out.windows
    metrics: dict[str, Any] = {}
    timeline: list[dict[str, Any]] = []
    if res is not None:
        whole = _whole(out)
        metrics = {
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
            "reroute_s": res.world.reroute_s,
            "db_write_unavailable_s": res.world.db_write_unavailable_s,
            "db_primary_az": res.world.primary_az,
        }
        ok = res.per_second(res.ok.astype(float))
        p99 = per_second_p99(res)
        for s in range(res.seconds):
            timeline.append(
                {
                    "t": s,
                    "requests": res.rate[s],
                    "visible_errors": res.rate[s] * (1 - ok[s]),
                    "success_ratio": ok[s],
                    "attempts": res.attempts[s],
                    "served": {az: res.served[z, s] for z, az in enumerate(res.world.azs)},
                    "utilisation": {
                        az: res.utilisation[z, s] for z, az in enumerate(res.world.azs)
                    },
                    "p99_latency_ms": p99[s] * 1000,
                    "db_writable": bool(res.world.db_writable[int(s / res.world.tick_s)]),
                }
            )
    journal = {
        "chaoscli_version": __version__,
        "title": out.loaded.experiment.title,
        "source": out.loaded.source,
        "status": out.status,
        "deviated": out.deviated,
        "seed": out.seed,
        "error": out.error,
        "experiment": out.loaded.document,
        "topology": {
            "before": topology_summary(out.topology_before),
            "after": topology_summary(out.topology_after),
        },
        "metrics": metrics,
        "windows": {k: v.as_dict() for k, v in overall.items()},
        "hypothesis": {
            "title": out.loaded.experiment.hypothesis.title,
            "held": not out.deviated,
            "probes": [
                {
                    "probe": p.probe,
                    "window": p.window,
                    "value": p.value,
                    "tolerance": p.tolerance.model_dump(),
                    "bound": p.bound,
                    "ok": p.ok,
                    "ci95": list(p.ci) if p.ci else None,
                }
                for p in out.probes
            ],
        },
        "events": [{"t": e.t, "kind": e.kind, "message": e.message} for e in out.events],
        "rollback": out.rollback,
        "rollback_check": out.restored,
        "timeline": timeline,
    }
    return _clean(journal)


def _whole(out: Outcome) -> WindowMetrics:
    """Metrics over the whole run."""
    assert out.result is not None
    return window(out.result, 0, out.result.seconds)


def write(journal: dict[str, Any], path: Path) -> None:
    """Write the journal as indented JSON."""
    path.write_text(json.dumps(journal, indent=1) + "\n", encoding="utf-8")
