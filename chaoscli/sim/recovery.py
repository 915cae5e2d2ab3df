"""Recovery as customers see it: how long after the fault their requests were back to normal.

The load balancer can stop sending to dead targets within a second while clients that cached
a dark node's address keep paying connect timeouts until DNS drops the node and their caches
expire. The customers' recovery is therefore read from the customers' own per-second success
ratio and p99, against the window before the fault; the World's timelines (rotation, DNS, the
database) give its parts, each as seconds after the fault.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from chaoscli.sim.healthcheck import UP
from chaoscli.sim.world import SLOW, World

RecoveryStatus = Literal["recovered", "not_recovered", "no_fault", "no_baseline"]


@dataclass(frozen=True)
class RecoveryRule:
    """When a second is back within tolerance of the before window.

    A second is normal when its success ratio is at least ``success_ratio_min`` and its p99
    latency of successful requests is at most max(before p99 x ``p99_factor``, before p99 +
    ``p99_margin_ms``).
    """

    success_ratio_min: float = 0.99
    p99_factor: float = 1.5
    p99_margin_ms: float = 50.0

    def p99_limit_ms(self, before_p99_ms: float) -> float:
        """The highest per-second p99 that still counts as normal."""
        return max(before_p99_ms * self.p99_factor, before_p99_ms + self.p99_margin_ms)


@dataclass(frozen=True)
class Recovery:
    """How long customers felt the fault, and when each thing that made them feel it ended.

    ``customer_recovery_s`` is None unless ``status`` is "recovered". Each part is seconds
    after the fault, None when that part did not happen in this run.
    """

    status: RecoveryStatus
    fault_at_s: float | None
    customer_recovery_s: float | None
    success_ratio_min: float
    before_p99_ms: float | None
    p99_limit_ms: float | None
    p99_above_limit_s: float
    peak_p99_ms: float | None
    last_target_out_of_rotation_s: float | None
    dark_node_out_of_dns_s: float | None
    client_dns_caches_expired_s: float | None
    database_writable_s: float | None


def normal_seconds(
    success_ratio: np.ndarray, p99_ms: np.ndarray, rule: RecoveryRule, before_p99_ms: float
) -> np.ndarray:
    """Per second: success ratio and p99 both within the rule (no success at all is not)."""
    limit = rule.p99_limit_ms(before_p99_ms)
    with np.errstate(invalid="ignore"):
        fast = np.nan_to_num(p99_ms, nan=math.inf) <= limit
    return np.asarray((success_ratio >= rule.success_ratio_min) & fast)


def customer_recovery(
    success_ratio: np.ndarray,
    p99_ms: np.ndarray,
    fault_at_s: float,
    rule: RecoveryRule,
    before_p99_ms: float,
) -> float | None:
    """Seconds from the fault to the start of the first second after which every second to
    the end of the run is normal; 0 when no second from the fault on left normal; None when
    the run's last second is still not normal."""
    start = math.floor(fault_at_s)
    ok = normal_seconds(success_ratio, p99_ms, rule, before_p99_ms)[start:]
    bad = np.flatnonzero(~ok)
    if bad.size == 0:
        return 0.0
    last = start + int(bad[-1])
    if last >= len(success_ratio) - 1:
        return None
    return max(0.0, last + 1 - fault_at_s)


def _rotation_part(world: World, fault_at_s: float, fault_end_s: float) -> float | None:
    """When the last target that failed during the fault left the load balancer's rotation."""
    if world.targets is None:
        return None
    last: float | None = None
    for iid in world.targets.ids:
        states = world.targets.states[iid]
        rotation = world.targets.rotation[iid]
        died = next(
            (
                t
                for k, (t, st, _) in enumerate(states)
                if fault_at_s <= t < fault_end_s
                and st not in (UP, SLOW)
                and (k == 0 or states[k - 1][1] in (UP, SLOW))
            ),
            None,
        )
        if died is None:
            continue
        alive_again = next((t for t, st, _ in states if t > died and st in (UP, SLOW)), math.inf)
        in_rot_at_death = True
        for t, in_rot in rotation:
            if t > died:
                break
            in_rot_at_death = in_rot
        out = (
            died
            if not in_rot_at_death
            else next((t for t, r in rotation if t > died and not r), None)
        )
        if out is not None and out <= alive_again:
            last = out if last is None else max(last, out)
    return None if last is None else last - fault_at_s


def _dns_parts(
    world: World, fault_at_s: float, fault_end_s: float, dns_ttl_s: float
) -> tuple[float | None, float | None]:
    """(dark node out of DNS, last client cache of it expired), seconds after the fault.

    A node that answers again before DNS drops it has no such parts; a cache that would
    expire after the node answers again stops mattering when it does.
    """
    dt = world.tick_s
    a = math.floor(fault_at_s / dt + 1e-9)
    b = min(world.ticks, math.ceil(fault_end_s / dt - 1e-9))
    bits = 1 << np.arange(len(world.azs))
    in_dns = (world.dns_mask[:, None] & bits[None, :]) > 0
    dark = ~world.node_up
    removed: float | None = None
    back = math.inf
    for z in range(len(world.azs)):
        handed = np.flatnonzero(dark[a:b, z] & in_dns[a:b, z])
        if handed.size == 0:
            continue
        k = a + int(handed[-1]) + 1
        if k >= world.ticks or not dark[k, z]:
            continue
        removed = max(removed or 0.0, k * dt)
        answers = np.flatnonzero(~dark[k:, z])
        if answers.size:
            back = min(back, (k + int(answers[0])) * dt)
    if removed is None:
        return None, None
    return removed - fault_at_s, min(removed + dns_ttl_s, max(back, removed)) - fault_at_s


def _database_part(world: World, fault_at_s: float) -> float | None:
    """When the database took writes again after the fault (None if it never stopped, or
    never took them again within the run)."""
    a = math.floor(fault_at_s / world.tick_s + 1e-9)
    down = np.flatnonzero(~np.asarray(world.db_writable[a:], dtype=bool))
    if down.size == 0 or a + int(down[-1]) >= world.ticks - 1:
        return None
    return (a + int(down[-1]) + 1) * world.tick_s - fault_at_s


def recovery(
    world: World,
    success_ratio: np.ndarray,
    p99_ms: np.ndarray,
    fault: tuple[float, float] | None,
    before_p99_ms: float | None,
    rule: RecoveryRule,
    dns_ttl_s: float,
) -> Recovery:
    """Customers' recovery from the fault that ran from ``fault[0]`` to ``fault[1]``."""
    no_before = before_p99_ms is None or not math.isfinite(before_p99_ms)
    if fault is None or no_before:
        return Recovery(
            status="no_fault" if fault is None else "no_baseline",
            fault_at_s=None if fault is None else fault[0],
            customer_recovery_s=None,
            success_ratio_min=rule.success_ratio_min,
            before_p99_ms=None if no_before else before_p99_ms,
            p99_limit_ms=None,
            p99_above_limit_s=0.0,
            peak_p99_ms=None,
            last_target_out_of_rotation_s=None,
            dark_node_out_of_dns_s=None,
            client_dns_caches_expired_s=None,
            database_writable_s=None,
        )
    assert before_p99_ms is not None
    at, end = fault
    start = math.floor(at)
    limit = rule.p99_limit_ms(before_p99_ms)
    after = np.nan_to_num(p99_ms[start:], nan=math.inf)
    took = customer_recovery(success_ratio, p99_ms, at, rule, before_p99_ms)
    dns_out, caches = _dns_parts(world, at, end, dns_ttl_s)
    finite = p99_ms[start:][np.isfinite(p99_ms[start:])]
    return Recovery(
        status="recovered" if took is not None else "not_recovered",
        fault_at_s=at,
        customer_recovery_s=took,
        success_ratio_min=rule.success_ratio_min,
        before_p99_ms=before_p99_ms,
        p99_limit_ms=limit,
        p99_above_limit_s=float((after > limit).sum()),
        peak_p99_ms=float(finite.max()) if finite.size else None,
        last_target_out_of_rotation_s=_rotation_part(world, at, end),
        dark_node_out_of_dns_s=dns_out,
        client_dns_caches_expired_s=caches,
        database_writable_s=_database_part(world, at),
    )
