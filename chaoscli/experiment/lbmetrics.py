"""The load balancer's standard CloudWatch metrics, per simulated minute, from a run.

RequestCount and HTTPCode_ELB_5XX_Count count attempts (retries included) as an ALB would see
them (a connect timeout to a dead node never reaches it, so it is no 5xx); TargetResponseTime
is the mean time of successful requests; HealthyHostCount is the mean
number of targets in rotation, per zone and in all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaoscli.sim.results import RunResult

PERIOD_S = 60


@dataclass(frozen=True)
class MinuteMetric:
    """One metric's value in one minute of the run; ``az`` is set for per-zone host counts."""

    metric: str
    minute: int
    value: float
    az: str | None = None
    unit: str = "Count"


def minutes(result: RunResult) -> int:
    """Whole or partial minutes the run covers."""
    return int(np.ceil(result.seconds / PERIOD_S))


def _per_minute(series: np.ndarray, how: str = "sum") -> np.ndarray:
    """A per-second series folded into minutes (sum or mean)."""
    n = int(np.ceil(series.size / PERIOD_S))
    padded = np.full(n * PERIOD_S, np.nan)
    padded[: series.size] = series
    folded = padded.reshape(n, PERIOD_S)
    return np.nansum(folded, axis=1) if how == "sum" else np.nanmean(folded, axis=1)


def lb_metrics(result: RunResult) -> list[MinuteMetric]:
    """Every metric for every minute of the run, in a fixed order."""
    s = result.samples_per_s
    attempts = result.attempts
    failed = result.lb_errors
    ok = result.ok.reshape(result.seconds, s)
    lat = np.where(ok, result.latency_s.reshape(result.seconds, s), 0.0)
    weight = result.rate / s
    lat_sum = _per_minute((lat * weight[:, None]).sum(axis=1))
    ok_sum = _per_minute((ok * weight[:, None]).sum(axis=1))
    w = result.world
    per_tick = round(1 / w.tick_s)
    secs = result.seconds
    hosts = w.serving[: secs * per_tick].reshape(secs, per_tick, len(w.azs)).mean(axis=1)
    out: list[MinuteMetric] = []
    req, err = _per_minute(attempts), _per_minute(failed)
    all_hosts = _per_minute(hosts.sum(axis=1), "mean")
    zone_hosts = [_per_minute(hosts[:, z], "mean") for z in range(len(w.azs))]
    for m in range(minutes(result)):
        out.append(MinuteMetric("RequestCount", m, float(req[m])))
        out.append(MinuteMetric("HTTPCode_ELB_5XX_Count", m, float(err[m])))
        trt = float(lat_sum[m] / ok_sum[m]) if ok_sum[m] > 0 else 0.0
        out.append(MinuteMetric("TargetResponseTime", m, trt, unit="Seconds"))
        out.append(MinuteMetric("HealthyHostCount", m, float(all_hosts[m])))
        for z, az in enumerate(w.azs):
            out.append(MinuteMetric("HealthyHostCount", m, float(zone_hosts[z][m]), az=az))
    return out
