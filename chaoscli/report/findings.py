"""Findings: each deviation explained in plain words from the journal, with the change that
would fix it, so a reader who was not at the terminal knows what to do next."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chaoscli.experiment.faults import FAULTS, cause_words
from chaoscli.report.words import fmt, label, ms

CAUSE_WORDS = {
    "connect timeout": (
        "clients kept connecting to a load-balancer node that no longer answered, until "
        "their DNS answer expired or they fell back to another address",
        "enable clients.dns_fallback and lower clients.connect_timeout_s (e.g. 1 s)",
    ),
    "refused (502)": (
        "targets that had stopped refused the connection before the load balancer took "
        "them out of rotation",
        "let clients retry (clients.max_attempts >= 3) and detect dead targets sooner",
    ),
    "blackhole (504)": (
        "the load balancer waited its connect timeout on targets it could not reach",
        "shorten health-check detection (interval_s x unhealthy_threshold)",
    ),
    "hung (timeout)": (
        "targets accepted requests and never answered, so clients waited for their timeout",
        "lower clients.request_timeout_s and shorten health-check detection",
    ),
    "no target (503)": (
        "the load balancer had no healthy target to send to",
        "spread instances over more zones so one loss leaves capacity in rotation",
    ),
    "overload": (
        "the surviving instances had more work than capacity, so queues overflowed",
        "add instances so the survivors of a zone loss run below 100% busy",
    ),
    "too slow": (
        "requests succeeded only after the customer's own timeout",
        "cut queueing delay (more capacity) or retry sooner (smaller backoff)",
    ),
    "database unavailable": (
        "checkouts failed while the database took no writes (the failover window)",
        "accept orders into a durable queue (topology.order_queue.enabled: true) and commit "
        "them once the new primary answers",
    ),
    **cause_words(),
}


@dataclass
class Finding:
    """One explanation: what happened with numbers, and the change that would fix it."""

    title: str
    detail: str
    fix: str
    probes: list[str] = field(default_factory=list)  # "window/probe" keys it explains
    severity: str = "cause"  # "cause" explains a failed probe; "note" is worth knowing


def _get(d: Any, *path: str) -> Any:
    """A nested value, or None when any part is missing (older journals lack fields)."""
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _failed(j: dict[str, Any], probe: str, windows: tuple[str, ...] = ("during",)) -> list[str]:
    """Keys of failed probes of one kind in the given windows."""
    probes = _get(j, "hypothesis", "probes") or []
    return [
        f"{p['window']}/{p['probe']}"
        for p in probes
        if not p["ok"] and p["probe"] == probe and p["window"] in windows
    ]


def _fault(j: dict[str, Any]) -> tuple[float, float, str | None] | None:
    """Start, end and zone of the first fault in the method."""
    method = _get(j, "experiment", "method") or []
    if not method:
        return None
    step = method[0]
    dur = _get(j, "experiment", "traffic", "duration_s") or math.inf
    at = float(step.get("at_s", 0))
    return at, min(dur, at + float(step.get("duration_s", 0))), step.get("az")


def single_zone(j: dict[str, Any]) -> list[Finding]:
    """A stack in one zone has nowhere to send customers when that zone goes."""
    azs = _get(j, "topology", "before", "azs") or []
    if len(azs) != 1:
        return []
    keys = [f"{p['window']}/{p['probe']}" for p in j["hypothesis"]["probes"] if not p["ok"]]
    return [
        Finding(
            "The whole shop runs in one zone",
            f"Every web instance and the database live in {azs[0]}; when it fails there is "
            "no other zone to reroute to, so customers see errors for as long as it is down.",
            "Run in three zones (topology.azs: 3) with a Multi-AZ database, and provision "
            "150% of peak so that losing a zone leaves 100%.",
            keys,
        )
    ]


def detection(j: dict[str, Any]) -> list[Finding]:
    """Health checks take interval x unhealthy threshold to notice a dead target."""
    reroute = _get(j, "metrics", "reroute_s")
    hc = _get(j, "topology", "before", "load_balancer", "health_check")
    if reroute is None or not hc:
        return []
    interval, threshold = float(hc["interval_s"]), int(hc["unhealthy_threshold"])
    if reroute < interval:
        return []
    keys = _failed(j, "availability") + _failed(j, "worst_second_success_ratio")
    fastest = 5.0 * 2  # ELB's shortest interval x smallest unhealthy threshold
    fix = (
        f"With interval_s 5, timeout_s 2 and unhealthy_threshold 2 (ELB's fastest) it would "
        f"take about {fastest:g}-{fastest + 2:g} s ({reroute - fastest - 2:.0f} s or more less)."
        if interval * threshold > fastest
        else "Health checks are already as fast as ELB allows; what remains is the time a "
        "blackholed check waits for its timeout: keep timeout_s short (2-3 s), and let clients "
        "retry elsewhere (clients.max_attempts >= 3)."
    )
    return [
        Finding(
            f"Detection took {reroute:.0f} s",
            f"The load balancer kept sending customers to dead targets for {reroute:.0f} s: "
            f"health-check interval {interval:g} s x unhealthy threshold {threshold} = "
            f"{interval * threshold:g} s before a target is taken out.",
            fix,
            keys,
            "cause" if keys else "note",
        )
    ]


def overload(j: dict[str, Any]) -> list[Finding]:
    """After a zone loss the survivors may run past 100% busy; say how many instances fix it."""
    fault = _fault(j)
    timeline = j.get("timeline") or []
    cap = _get(j, "experiment", "topology", "instance_capacity_rps")
    rps = _get(j, "experiment", "traffic", "rps")
    azs = _get(j, "topology", "before", "azs") or []
    per_az = _get(j, "topology", "before", "instances_per_az") or {}
    if fault is None or not timeline or not cap or not rps or len(azs) < 2:
        return []
    start = fault[0]
    during = [s for s in timeline if s["t"] >= start and s.get("utilisation")]
    # a traffic spike lifts the offered load above traffic.rps: size for the peak
    rps = max([s.get("requests", 0) for s in timeline if start <= s["t"] < fault[1]] or [rps])
    peak = max((max(s["utilisation"].values()) for s in during), default=0.0)
    if peak < 1.0:
        return []
    survivors = len(azs) - 1
    per_zone = max(per_az.values(), default=0)
    amp = _get(j, "windows", "during", "retry_amplification") or 1.0
    need = math.ceil(rps / (0.8 * cap * survivors))  # retries fade once capacity suffices
    keys = [  # overload explains every probe that failed from the zone loss on
        f"{p['window']}/{p['probe']}"
        for p in j["hypothesis"]["probes"]
        if not p["ok"] and p["window"] in ("during", "after")
    ]
    left = survivors * per_zone
    mean = rps * amp / (left * cap) if left else math.inf
    return [
        Finding(
            f"Overload after the zone loss: {peak:.0%} busy at the peak",
            f"{rps:,.0f} req/s (x{amp:.2f} with retries) on the {left} instances left in "
            f"{survivors} zones at {cap:,.0f} req/s each is {mean:.0%} of their capacity on "
            f"average over the fault, {peak:.0%} at its worst second (before Auto Scaling's "
            "new instances came in); queues grew and requests were shed.",
            f"Run {need} instances per zone (topology.instances_per_az: {need}, now "
            f"{per_zone}) so that after losing one zone the rest stay below 80% busy.",
            keys,
            "cause" if keys else "note",
        )
    ]


def overloaded_before(j: dict[str, Any]) -> list[Finding]:
    """Too little capacity for the offered load even with every zone up."""
    fault = _fault(j)
    timeline = j.get("timeline") or []
    cap = _get(j, "experiment", "topology", "instance_capacity_rps")
    rps = _get(j, "experiment", "traffic", "rps")
    per_az = _get(j, "topology", "before", "instances_per_az") or {}
    end = fault[0] if fault else math.inf
    before = [s for s in timeline if s["t"] < end and s.get("utilisation")]
    peak = max((max(s["utilisation"].values()) for s in before), default=0.0)
    if peak < 1.0 or not cap or not rps or not per_az:
        return []
    total = sum(per_az.values())
    need = math.ceil(rps / (0.8 * cap * len(per_az)))
    keys = [
        f"{p['window']}/{p['probe']}"
        for p in j["hypothesis"]["probes"]
        if not p["ok"] and p["window"] == "before"
    ]
    return [
        Finding(
            f"Overloaded before any fault: {peak:.0%} busy",
            f"{rps:,.0f} req/s on {total} instances at {cap:,.0f} req/s each is "
            f"{rps / (total * cap):.0%} of capacity with every zone up: the stack fails "
            "without help from the experiment.",
            f"Run {need} instances per zone (topology.instances_per_az: {need}) to start below "
            "80% busy, and 150% of that to survive a zone loss.",
            keys,
        )
    ]


def slow_tail(j: dict[str, Any]) -> list[Finding]:
    """A p99 made of retries after connect timeouts points at DNS and client timeouts."""
    during = _get(j, "windows", "during") or {}
    before = _get(j, "windows", "before") or {}
    share = during.get("slow_tail_retried_share")
    p99, base = during.get("p99_latency_ms"), before.get("p99_latency_ms")
    connect = _get(j, "experiment", "clients", "connect_timeout_s")
    if share is None or p99 is None or share < 0.5 or (base and p99 < 3 * base):
        return []
    keys = _failed(j, "p99_latency_ms")
    ttl = _get(j, "experiment", "topology", "load_balancer", "dns_ttl_s") or 60
    lb_wait = _get(j, "experiment", "topology", "load_balancer", "connect_timeout_s") or 10.0
    causes = during.get("visible_error_causes") or {}
    if p99 >= lb_wait * 1000 or max(causes, key=lambda k: causes[k] or 0, default="") == (
        "blackhole (504)"
    ):
        return [
            Finding(
                f"Blackholed targets dominate p99 latency ({ms(p99)} during, {ms(base)} before)",
                f"{share:.0%} of the slowest 1% of successful requests needed a retry: their "
                f"first attempt went to a target the load balancer could not reach and waited "
                f"its {lb_wait:g} s connect timeout for a 504, until health checks took the "
                "target out.",
                "Shorten detection (health_check.interval_s x unhealthy_threshold) and keep "
                "clients.request_timeout_s below the load balancer's 10 s, so clients retry "
                "elsewhere sooner.",
                _failed(j, "p99_latency_ms"),
                "cause" if _failed(j, "p99_latency_ms") else "note",
            )
        ]
    waited = bool(connect) and p99 >= connect * 1000
    why = (
        f"the first attempt went to the lost zone's load-balancer node, still in clients' "
        f"DNS caches (TTL {ttl:g} s), and waited the {connect:g} s connect timeout"
        if waited
        else "the first attempt failed and the client waited its backoff before retrying"
    )
    fix = (
        f"Lower clients.connect_timeout_s to 1 s (about {(connect - 1) * 1000:,.0f} ms less "
        "per retry) and keep dns_fallback on; a shorter DNS TTL shortens the period."
        if waited and connect > 1
        else "Retry sooner (a smaller clients.backoff_base_s) or fail over faster."
    )
    return [
        Finding(
            f"Retries dominate p99 latency ({ms(p99)} during, {ms(base)} before)",
            f"{share:.0%} of the slowest 1% of successful requests needed a retry: {why}.",
            fix,
            keys,
            "cause" if keys else "note",
        )
    ]


def database(j: dict[str, Any]) -> list[Finding]:
    """Orders need database writes: say how long they failed and how to keep taking orders."""
    down = _get(j, "metrics", "db_write_unavailable_s")
    if not down:
        return []
    moved = _get(j, "metrics", "db_primary_az") or {}
    multi = _get(j, "topology", "before", "database", "multi_az")
    where = (
        f"the primary failed over from {moved.get('before')} to {moved.get('after')}"
        if moved.get("before") != moved.get("after")
        else f"the primary stayed in {moved.get('before')} with no standby to take over"
    )
    queued = bool(_get(j, "experiment", "topology", "order_queue", "enabled"))
    fix = (
        "Keep the order queue, and make sure its depth drains within the failover window."
        if queued
        else "Accept orders into a durable queue (e.g. SQS) and write them once the new primary "
        "answers, so a failover delays orders instead of losing them."
        if multi
        else "Make the database Multi-AZ (topology.database.multi_az: true) so a standby "
        "takes over within 60-120 s."
    )
    return [
        Finding(
            f"Database writes failed for {down:.0f} s",
            f"While {where}, the database took no writes for {down:.0f} s"
            + ("; the order queue held orders meanwhile." if queued else ": orders failed."),
            fix,
            [],
            "note",
        )
    ]


def lost_orders(j: dict[str, Any]) -> list[Finding]:
    """Acknowledged orders that never reached the primary: replication lag at a promotion."""
    lost = _get(j, "metrics", "lost_orders")
    if not lost:
        return []
    lag = _get(j, "experiment", "topology", "database", "replica_lag_s")
    keys = [
        f"{p['window']}/{p['probe']}"
        for p in j["hypothesis"]["probes"]
        if not p["ok"] and p["probe"] == "lost_orders"
    ]
    return [
        Finding(
            f"{lost:,.0f} acknowledged orders lost",
            "The primary was lost without a synchronous standby; a read replica was promoted, "
            f"and the orders committed in its last {lag:g} s of replication lag never reached "
            "it.",
            "Make the database Multi-AZ (topology.database.multi_az: true): the standby is "
            "synchronous, so a failover loses nothing.",
            keys,
        )
    ]


def causes(j: dict[str, Any], explained: set[str]) -> list[Finding]:
    """Failed probes left unexplained get the dominant cause of their window's visible
    errors; probes of one window with one cause share a finding."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in j["hypothesis"]["probes"]:
        key = f"{p['window']}/{p['probe']}"
        if p["ok"] or key in explained:
            continue
        found = _get(j, "windows", p["window"], "visible_error_causes") or {}
        top = max(found, key=lambda k: found[k] or 0) if sum(found.values() or [0]) else ""
        groups.setdefault((p["window"], top), []).append(p)
        explained.add(key)
    out = []
    for (window, top), probes in groups.items():
        found = _get(j, "windows", window, "visible_error_causes") or {}
        total = sum(v or 0 for v in found.values())
        what, fix = CAUSE_WORDS.get(top) or _fault_words(j, window)
        share = f" {found[top] / total:.0%} of the {total:,.0f} visible errors:" if top else ""
        title = "; ".join(
            f"{label(p['probe'])} {fmt(p['value'], p['probe'])} (needs {p['bound']})"
            for p in probes
        )
        out.append(
            Finding(
                f"{window.capitalize()} the fault: {title}",
                f"{window.capitalize()} the fault{share} {what or 'no cause stood out'}.",
                fix[0].upper() + fix[1:] + ".",
                [f"{p['window']}/{p['probe']}" for p in probes],
            )
        )
    return out


def _fault_words(j: dict[str, Any], window: str) -> tuple[str, str]:
    """What the method's first fault with words of its own did, when no failure cause did."""
    no_words = ("", "see the timeline for when it happened")
    if window == "before":
        return no_words
    for step in _get(j, "experiment", "method") or []:
        kind = FAULTS.get(str(step.get("fault")))
        if kind is not None and kind.words is not None:
            return kind.words
    return no_words


def rollback(j: dict[str, Any]) -> list[Finding]:
    """A rollback that left differences means the stack is not as it was."""
    diffs = j.get("rollback_check") or []
    if not diffs:
        return []
    return [
        Finding(
            "Rollback left the stack changed",
            f"{len(diffs)} difference(s) after rollback: " + "; ".join(diffs[:3]) + ".",
            "Inspect the stack and the rollback log before the next run.",
            [],
            "note",
        )
    ]


def findings(j: dict[str, Any]) -> list[Finding]:
    """All findings for a journal: causes of deviations first, then notes."""
    found: list[Finding] = []
    if j.get("status") == "completed" and j.get("hypothesis"):
        for rule in (overloaded_before, single_zone, detection, overload, slow_tail, lost_orders):
            found += rule(j)
        explained = {k for f in found for k in f.probes}
        found += causes(j, explained)
        found += database(j)
    found += rollback(j)
    return sorted(found, key=lambda f: f.severity != "cause")
