"""The series CloudWatch and stop conditions read, computed from a run as its seconds end.

The load balancer's standard metrics per minute (namespace AWS/ApplicationELB), for the
load balancer and per zone, and the per-second figures a stop condition watches. Every value
counts only what is known by the end of its second or minute (an attempt when it finishes, a
customer's outcome when the customer has it), so a run stopped at a time sees the values a
whole run would show up to then, and each minute is computed once.

Each metric is what ELB itself can see. RequestCount counts attempts (retries included) that
reached a load-balancer node, by the node's zone; a connect timeout to a dark node never
reaches it. HTTPCode_ELB_5XX_Count counts the 502/503/504 the ALB itself sent; a request the
client closed first (460) is no ELB error. TargetResponseTime is the mean time from the node
until a target answered (its 2xx or its own 5xx). HealthyHostCount and UnHealthyHostCount
are the targets as the load balancer's health checks see them: a crashed target counts
healthy until ``unhealthy_threshold`` checks have failed; the zone is the target's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from chaoscli.sim.per_tick import PerTick
from chaoscli.sim.results import RunSoFar

PERIOD_S = 60
LB_METRICS = (
    "RequestCount",
    "HTTPCode_ELB_5XX_Count",
    "TargetResponseTime",
    "HealthyHostCount",
    "UnHealthyHostCount",
)
HOST_COUNTS = ("HealthyHostCount", "UnHealthyHostCount")  # published per target group
STOP_METRICS = ("visible_error_ratio", "attempt_error_ratio", "p99_latency_ms")


@dataclass(frozen=True)
class MinuteMetric:
    """One metric's value in one minute of the run; ``az`` is set for per-zone host counts."""

    metric: str
    minute: int
    value: float
    az: str | None = None
    unit: str = "Count"


def minutes(result: RunSoFar) -> int:
    """Whole or partial minutes the run covers."""
    return int(np.ceil(result.seconds / PERIOD_S))


def minute_metrics(result: RunSoFar, minute: int) -> list[MinuteMetric]:
    """Every metric of one minute, in a fixed order; final once the minute's seconds are done."""
    a, b = minute * PERIOD_S, min((minute + 1) * PERIOD_S, result.seconds)
    w = result.world
    per_tick = round(1 / w.tick_s)

    def hosts(counts: PerTick) -> np.ndarray:
        """Each zone's mean count over the minute's ticks."""
        return counts[a * per_tick : b * per_tick].reshape(-1, len(w.azs)).mean(axis=0)

    healthy, unhealthy = hosts(w.healthy), hosts(w.unhealthy)
    requests = result.requests[:, a:b].sum(axis=1)
    elb_5xx = result.elb_5xx[:, a:b].sum(axis=1)
    answered = result.answered[:, a:b].sum(axis=1)
    response_s = result.response_s[:, a:b].sum(axis=1)

    def mean_response(z: slice | int) -> float:
        n = float(np.sum(answered[z]))
        return float(np.sum(response_s[z]) / n) if n > 0 else 0.0

    def point(name: str, values: np.ndarray, z: int | None, response: bool = False) -> MinuteMetric:
        where: slice | int = slice(None) if z is None else z
        value = mean_response(where) if response else float(np.sum(values[where]))
        az = None if z is None else w.azs[z]
        return MinuteMetric(name, minute, value, az, "Seconds" if response else "Count")

    out = []
    for z in (None, *range(len(w.azs))):
        out += [
            point("RequestCount", requests, z),
            point("HTTPCode_ELB_5XX_Count", elb_5xx, z),
            point("TargetResponseTime", response_s, z, response=True),
            point("HealthyHostCount", healthy, z),
            point("UnHealthyHostCount", unhealthy, z),
        ]
    return out


def lb_metrics(result: RunSoFar) -> list[MinuteMetric]:
    """Every metric for every minute of a whole run."""
    return [p for m in range(minutes(result)) for p in minute_metrics(result, m)]


@dataclass
class CloudWatchSeries:
    """The load balancer's metrics of a run, each minute computed once, when it is done."""

    points: list[MinuteMetric] = field(default_factory=list)
    minutes_done: int = 0

    def update(self, result: RunSoFar, done_s: int) -> bool:
        """Add the minutes done by ``done_s`` seconds (every minute once the run is done).

        Returns whether any minute was added.
        """
        last = minutes(result) if done_s >= result.seconds else done_s // PERIOD_S
        added = self.minutes_done < last
        while self.minutes_done < last:
            self.points += minute_metrics(result, self.minutes_done)
            self.minutes_done += 1
        return added


def stop_metric(metric: str, over_s: float, result: RunSoFar, second: int) -> float:
    """A stop condition's value at the end of ``second``, over the last ``over_s`` seconds.

    visible_error_ratio: customers who saw an error then, per request offered;
    attempt_error_ratio: failed attempts per attempt; p99_latency_ms: the p99 latency of
    customers served then (0 when none was).
    """
    first = max(0, second + 1 - max(1, math.ceil(over_s)))
    if metric == "attempt_error_ratio":
        attempts = result.attempts[first : second + 1]
        failed = np.maximum(attempts - result.served[:, first : second + 1].sum(axis=0), 0.0)
        return float(failed.sum() / max(float(attempts.sum()), 1e-12))
    if metric == "visible_error_ratio":
        errors = float(result.known_errors[first : second + 1].sum())
        return errors / max(float(result.rate[first : second + 1].sum()), 1e-12)
    latency_ms = result.known_latency(first, second) * 1000
    return float(np.percentile(latency_ms, 99)) if latency_ms.size else 0.0
