"""Recovery in words, the same in every format: customers' recovery as the headline, its
parts in the order they happened, and the load balancer's reroute time as a secondary line,
worded so that it is not read as the health checks' time (a part) or customers' recovery."""

from __future__ import annotations

from chaoscli.record.model import Recovery, RunMetrics


def seconds(value: float) -> str:
    """A duration in whole seconds, or tenths below ten."""
    return f"{value:.1f} s" if value < 10 else f"{value:,.0f} s"


def headline(rec: Recovery) -> str:
    """Customers' recovery in a few words."""
    if rec.status == "recovered" and rec.customer_recovery_s is not None:
        if rec.customer_recovery_s == 0:
            return "customers recovered at once: no second after the fault left normal"
        return f"customers recovered {seconds(rec.customer_recovery_s)} after the fault"
    if rec.status == "not_recovered":
        return "customers not recovered within the run: the last second was still not normal"
    if rec.status == "no_baseline":
        return "customers' recovery not measured: no before window to compare with"
    return "no fault, so no recovery to measure"


def rule(rec: Recovery) -> str | None:
    """What counts as a normal second, with this run's numbers."""
    if rec.p99_limit_ms is None or rec.before_p99_ms is None:
        return None
    return (
        f"a normal second: success >= {rec.success_ratio_min * 100:g}% and p99 <= "
        f"{rec.p99_limit_ms:,.0f} ms (before the fault {rec.before_p99_ms:,.0f} ms)"
    )


def parts(rec: Recovery) -> list[tuple[str, float]]:
    """The parts that happened, earliest first, as (what, seconds after the fault)."""
    named = [
        (
            "health checks took the last dead target out of rotation",
            rec.last_target_out_of_rotation_s,
        ),
        ("dark load-balancer node out of DNS", rec.dark_node_out_of_dns_s),
        ("last client DNS cache expired", rec.client_dns_caches_expired_s),
        ("database writable again", rec.database_writable_s),
    ]
    return sorted(((what, t) for what, t in named if t is not None), key=lambda p: p[1])


def parts_text(rec: Recovery) -> str | None:
    """The parts in one phrase, or None when there are none."""
    found = parts(rec)
    if not found:
        return None
    return "; ".join(f"{what} {seconds(t)}" for what, t in found)


def reroute(m: RunMetrics) -> str | None:
    """The load balancer's reroute time in words that say what it measures: how long after
    the fault a reachable load-balancer node still sent requests to dead targets. Zero means
    none did (the dead targets' own node went dark with them, say), which is not the time the
    health checks took to mark them: that is a part of customers' recovery. None, so that no
    line says "n/a", when no target died (or one was still sent requests when the run ended,
    which customers' recovery and the hypothesis already say)."""
    if m.reroute_s is None:
        return None
    if m.reroute_s == 0:
        return (
            "load balancer reroute: none needed, no reachable node sent a request to a dead target"
        )
    return (
        f"load balancer reroute {seconds(m.reroute_s)} after the fault: until then a reachable "
        "node still sent requests to dead targets"
    )


def p99_moved(rec: Recovery, before_ms: float | None, during_ms: float | None) -> str | None:
    """How p99 moved: before vs during, and for how long per-second p99 stayed above normal."""
    if rec.p99_limit_ms is None or before_ms is None:
        return None
    if rec.p99_above_limit_s == 0:
        return f"per-second p99 never went above {rec.p99_limit_ms:,.0f} ms"
    during = "" if during_ms is None else f" to {during_ms:,.0f} ms during the fault"
    return (
        f"p99 rose from {before_ms:,.0f} ms before{during}; per-second p99 was above "
        f"{rec.p99_limit_ms:,.0f} ms for {seconds(rec.p99_above_limit_s)}"
    )
