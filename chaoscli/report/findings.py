"""Findings: each deviation explained in plain words from the run record, with the change that
would fix it, so a reader who was not at the terminal knows what to do next."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from chaoscli.record.model import ProbeVerdict, Record, RunMetrics, Window, WindowName
from chaoscli.report.words import fmt, ms

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
}


@dataclass
class Finding:
    """One explanation: what happened with numbers, and the change that would fix it."""

    title: str
    detail: str
    fix: str
    probes: list[str] = field(default_factory=list)  # "window/probe" keys it explains
    severity: str = "cause"  # "cause" explains a failed probe; "note" is worth knowing


def _keys(probes: list[ProbeVerdict]) -> list[str]:
    """The ``window/probe`` keys of some probes."""
    return [p.key for p in probes]


def _severity(keys: list[str]) -> str:
    """A cause when it explains a failed probe, else a note."""
    return "cause" if keys else "note"


def single_zone(r: Record) -> list[Finding]:
    """A stack in one zone has nowhere to send customers when that zone goes."""
    before = r.topology.before
    if before is None or len(before.azs) != 1:
        return []
    return [
        Finding(
            "The whole shop runs in one zone",
            f"Every web instance and the database live in {before.azs[0]}; when it fails there "
            "is no other zone to reroute to, so customers see errors for as long as it is down.",
            "Run in three zones (topology.azs: 3) with a Multi-AZ database, and provision "
            "150% of peak so that losing a zone leaves 100%.",
            _keys(r.hypothesis.failed()),
        )
    ]


def detection(r: Record) -> list[Finding]:
    """Health checks take interval x unhealthy threshold to notice a dead target."""
    reroute = r.metrics.reroute_s if r.metrics else None
    lb = r.topology.before.load_balancer if r.topology.before else None
    if reroute is None or lb is None:
        return []
    hc = lb.health_check
    if reroute < hc.interval_s:
        return []
    keys = _keys(
        r.hypothesis.failed("availability", ("during",))
        + r.hypothesis.failed("worst_second_success_ratio", ("during",))
    )
    fastest = 5.0 * 2  # ELB's shortest interval x smallest unhealthy threshold
    fix = (
        f"With interval_s 5, timeout_s 2 and unhealthy_threshold 2 (ELB's fastest) it would "
        f"take about {fastest:g}-{fastest + 2:g} s ({reroute - fastest - 2:.0f} s or more less)."
        if hc.out_after_s > fastest
        else "Health checks are already as fast as ELB allows; what remains is the time a "
        "blackholed check waits for its timeout: keep timeout_s short (2-3 s), and let clients "
        "retry elsewhere (clients.max_attempts >= 3)."
    )
    return [
        Finding(
            f"Detection took {reroute:.0f} s",
            f"The load balancer kept sending customers to dead targets for {reroute:.0f} s: "
            f"health-check interval {hc.interval_s:g} s x unhealthy threshold "
            f"{hc.unhealthy_threshold} = {hc.out_after_s:g} s before a target is taken out.",
            fix,
            keys,
            _severity(keys),
        )
    ]


def _from_fault_on(r: Record) -> list[Window]:
    """The windows from the fault on: during and after."""
    return [w for name, w in r.windows.items() if name != "before"]


def overload(r: Record) -> list[Finding]:
    """After a zone loss the survivors may run past 100% busy; say how many instances fix it."""
    before, during = r.topology.before, r.windows.get("during")
    cap = r.experiment.topology.instance_capacity_rps
    if r.first_step is None or during is None or before is None or len(before.azs) < 2:
        return []
    peak = max((w.peak_utilisation or 0.0 for w in _from_fault_on(r)), default=0.0)
    if peak < 1.0:
        return []
    rps = during.peak_offered_rps  # a traffic spike lifts it above traffic.rps: size for it
    survivors = len(before.azs) - 1
    per_zone = before.largest_zone
    amp = during.retry_amplification or 1.0
    need = math.ceil(rps / (0.8 * cap * survivors))  # retries fade once capacity suffices
    # overload explains every probe that failed from the zone loss on
    keys = _keys(r.hypothesis.failed(windows=("during", "after")))
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
            f"{per_zone}) so that after losing one zone the rest stay below 80% busy."
            if need > per_zone
            else f"{per_zone} instances per zone carry the offered load at most 80% busy without "
            f"one zone; the peak came from retries (x{amp:.2f}) piling onto the survivors: "
            "detect dead targets sooner and keep the retry budget on "
            "(clients.retry_budget: true).",
            keys,
            _severity(keys),
        )
    ]


def overloaded_before(r: Record) -> list[Finding]:
    """Too little capacity for the offered load even with every zone up."""
    before, topo = r.windows.get("before"), r.topology.before
    cap = r.experiment.topology.instance_capacity_rps
    if before is None or topo is None or not topo.instances_per_az:
        return []
    peak = before.peak_utilisation or 0.0
    if peak < 1.0:
        return []
    rps = before.peak_offered_rps
    total = topo.instances
    need = math.ceil(rps / (0.8 * cap * len(topo.instances_per_az)))
    return [
        Finding(
            f"Overloaded before any fault: {peak:.0%} busy",
            f"{rps:,.0f} req/s on {total} instances at {cap:,.0f} req/s each is "
            f"{rps / (total * cap):.0%} of capacity with every zone up: the stack fails "
            "without help from the experiment.",
            f"Run {need} instances per zone (topology.instances_per_az: {need}) to start below "
            "80% busy, and 150% of that to survive a zone loss.",
            _keys(r.hypothesis.failed(windows=("before",))),
        )
    ]


def slow_tail(r: Record) -> list[Finding]:
    """A p99 made of retries after connect timeouts points at DNS and client timeouts."""
    during, before = r.windows.get("during"), r.windows.get("before")
    if during is None:
        return []
    share, p99 = during.slow_tail_retried_share, during.p99_latency_ms
    base = before.p99_latency_ms if before else None
    if share is None or p99 is None or share < 0.5 or (base and p99 < 3 * base):
        return []
    keys = _keys(r.hypothesis.failed("p99_latency_ms", ("during",)))
    connect = r.experiment.clients.connect_timeout_s
    lb = r.experiment.topology.load_balancer
    blackholed = during.visible_error_causes.get("blackhole (504)", 0) > 0
    if during.dominant_cause == "blackhole (504)" or (
        blackholed and p99 >= lb.connect_timeout_s * 1000
    ):
        return [
            Finding(
                f"Blackholed targets dominate p99 latency ({ms(p99)} during, {ms(base)} before)",
                f"{share:.0%} of the slowest 1% of successful requests needed a retry: their "
                f"first attempt went to a target the load balancer could not reach and waited "
                f"its {lb.connect_timeout_s:g} s connect timeout for a 504, until health checks "
                "took the target out.",
                "Shorten detection (health_check.interval_s x unhealthy_threshold) and keep "
                "clients.request_timeout_s below the load balancer's 10 s, so clients retry "
                "elsewhere sooner.",
                keys,
                _severity(keys),
            )
        ]
    # only a load-balancer node that went dark leaves clients waiting on their connect timeout
    dark = r.metrics is not None and r.metrics.recovery.dark_node_out_of_dns_s is not None
    waited = dark and bool(connect) and p99 >= connect * 1000
    why = (
        f"the first attempt went to the lost zone's load-balancer node, still in clients' "
        f"DNS caches (TTL {lb.dns_ttl_s:g} s), and waited the {connect:g} s connect timeout"
        if waited
        else "the first attempt failed or timed out, and the client retried after its backoff"
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
            _severity(keys),
        )
    ]


def database(r: Record) -> list[Finding]:
    """Orders need database writes: say how long they failed and how to keep taking orders."""
    m: RunMetrics | None = r.metrics
    if m is None or not m.db_write_unavailable_s:
        return []
    down = m.db_write_unavailable_s
    was, now = m.db_primary_az.before, m.db_primary_az.after
    db = r.topology.before.database if r.topology.before else None
    where = (
        f"the primary failed over from {was} to {now}"
        if was != now
        else f"the primary stayed in {was} with no standby to take over"
    )
    queued = r.experiment.topology.order_queue.enabled
    fix = (
        "Keep the order queue, and make sure its depth drains within the failover window."
        if queued
        else "Accept orders into a durable queue (e.g. SQS) and write them once the new primary "
        "answers, so a failover delays orders instead of losing them."
        if db is not None and db.multi_az
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


def lost_orders(r: Record) -> list[Finding]:
    """Acknowledged orders that never reached the primary: replication lag at a promotion."""
    lost = r.metrics.lost_orders if r.metrics else 0.0
    if not lost:
        return []
    lag = r.experiment.topology.database.replica_lag_s
    return [
        Finding(
            f"{lost:,.0f} acknowledged orders lost",
            "The primary was lost without a synchronous standby; a read replica was promoted, "
            f"and the orders committed in its last {lag:g} s of replication lag never reached "
            "it.",
            "Make the database Multi-AZ (topology.database.multi_az: true): the standby is "
            "synchronous, so a failover loses nothing.",
            _keys(r.hypothesis.failed("lost_orders")),
        )
    ]


def causes(r: Record, explained: set[str]) -> list[Finding]:
    """Failed probes left unexplained get the dominant cause of their window's visible
    errors; probes of one window with one cause share a finding."""
    groups: dict[tuple[WindowName, str], list[ProbeVerdict]] = {}
    for p in r.hypothesis.failed():
        if p.key in explained:
            continue
        window = r.windows.get(p.window)
        top = (window.dominant_cause if window else None) or ""
        groups.setdefault((p.window, top), []).append(p)
        explained.add(p.key)
    out = []
    for (name, top), probes in groups.items():
        window = r.windows.get(name)
        found = window.visible_error_causes if window else {}
        total = sum(found.values())
        what, fix = _cause_words(r).get(top) or _fault_words(r, name)
        share = f" {found[top] / total:.0%} of the {total:,.0f} visible errors:" if top else ""
        title = "; ".join(f"{p.label} {fmt(p.value, p.probe)} (needs {p.bound})" for p in probes)
        out.append(
            Finding(
                f"{name.capitalize()} the fault: {title}",
                f"{name.capitalize()} the fault{share} {what or 'no cause stood out'}.",
                fix[0].upper() + fix[1:] + ".",
                _keys(probes),
            )
        )
    return out


def _fault_words(r: Record, window: str) -> tuple[str, str]:
    """What the method's first fault with words of its own did, when no failure cause did."""
    no_words = ("", "see the timeline for when it happened")
    if window == "before":
        return no_words
    for step in r.experiment.method:
        fault = r.faults.get(step.fault)
        if fault is not None and fault.words is not None:
            return fault.words
    return no_words


def _cause_words(r: Record) -> dict[str, tuple[str, str]]:
    """Words for every failure cause: the common ones, and those the run's faults brought."""
    return CAUSE_WORDS | {c: w for f in r.faults.values() for c, w in f.causes.items()}


def rollback(r: Record) -> list[Finding]:
    """A rollback that left differences means the stack is not as it was."""
    diffs = r.rollback_check
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


def findings(r: Record) -> list[Finding]:
    """All findings for a run: causes of deviations first, then notes."""
    found: list[Finding] = []
    if r.status == "completed":
        for rule in (overloaded_before, single_zone, detection, overload, slow_tail, lost_orders):
            found += rule(r)
        explained = {k for f in found for k in f.probes}
        found += causes(r, explained)
        found += database(r)
    found += rollback(r)
    return sorted(found, key=lambda f: f.severity != "cause")
