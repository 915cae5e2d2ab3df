"""Findings: each deviation explained in plain words from the run's figures, with the change
that would fix it as ``--set`` overrides derived from the measured cause, so that the fix can
be re-run in the model (see :mod:`chaoscli.experiment.fixes`) before anyone is told of it."""

from __future__ import annotations

import math

from chaoscli.experiment.finding_causes import CAUSE_WORDS, causes
from chaoscli.experiment.fix_proposals import (
    FASTEST_CHECK,
    GUESS_BUSY,
    INSTANCES,
    capacity,
    faster_detection,
    finding,
    probe_keys,
    shorter_connect,
    three_zones,
)
from chaoscli.experiment.spec import Experiment
from chaoscli.record.findings import Finding, Fix
from chaoscli.record.model import Record

# the probes a slow tail explains when they fail
LATENCY_PROBES = ("p99_latency_ms", "p99_increase_ms", "p99_over_before", "slow_request_ratio")

__all__ = ["CAUSE_WORDS", "FASTEST_CHECK", "INSTANCES", "propose"]


def _peak_from_fault_on(r: Record) -> float:
    """The highest per-second utilisation from the fault on."""
    return max(
        (w.peak_utilisation or 0.0 for name, w in r.windows.items() if name != "before"),
        default=0.0,
    )


def single_zone(r: Record, exp: Experiment) -> list[Finding]:
    """A stack in one zone has nowhere to send customers when that zone goes."""
    before = r.topology.before
    if before is None or len(before.azs) != 1:
        return []
    return [
        finding(
            "The whole shop runs in one zone",
            f"Every web instance and the database live in {before.azs[0]}; when it fails there "
            "is no other zone to reroute to, so customers see errors for as long as it is down.",
            probe_keys(r.hypothesis.failed()),
            three_zones(exp),
        )
    ]


def detection(r: Record, exp: Experiment) -> list[Finding]:
    """Health checks take interval x unhealthy threshold to notice a dead target."""
    reroute = r.metrics.reroute_s if r.metrics else None
    lb = r.topology.before.load_balancer if r.topology.before else None
    if reroute is None or lb is None:
        return []
    hc = lb.health_check
    if reroute < hc.interval_s:
        return []
    keys = probe_keys(
        r.hypothesis.failed("availability", ("during",))
        + r.hypothesis.failed("worst_second_success_ratio", ("during",))
    )
    fix = faster_detection(exp)
    advice = None
    if fix is None:
        advice = (
            "Health checks are already as fast as ELB allows; what remains is the time a "
            "blackholed check waits for its timeout."
        )
        if exp.clients.max_attempts < 3:
            fix = Fix(
                words="Let clients retry elsewhere: three attempts per request.",
                set={"clients.max_attempts": 3},
            )
    out = finding(
        f"Detection took {reroute:.0f} s",
        f"The load balancer kept sending customers to dead targets for {reroute:.0f} s: "
        f"health-check interval {hc.interval_s:g} s x unhealthy threshold "
        f"{hc.unhealthy_threshold} = {hc.out_after_s:g} s before a target is taken out.",
        keys,
        fix,
    )
    out.advice = advice
    return [out]


def overload(r: Record, exp: Experiment) -> list[Finding]:
    """After a zone loss the survivors may run past 100% busy: more instances, found by
    re-running, with the retries' extra load included because it is a re-run."""
    before, during = r.topology.before, r.windows.get("during")
    cap = exp.topology.instance_capacity_rps
    if r.first_step is None or during is None or before is None or len(before.azs) < 2:
        return []
    peak = _peak_from_fault_on(r)
    if peak < 1.0:
        return []
    rps = during.peak_offered_rps
    survivors = len(before.azs) - 1
    left = survivors * before.largest_zone
    amp = during.retry_amplification or 1.0
    mean = rps * amp / (left * cap) if left else math.inf
    keys = probe_keys(r.hypothesis.failed(windows=("during", "after")))
    return [
        finding(
            f"Overload after the zone loss: {peak:.0%} busy at the peak",
            f"{rps:,.0f} req/s (x{amp:.2f} with retries) on the {left} instances left in "
            f"{survivors} zones at {cap:,.0f} req/s each is {mean:.0%} of their capacity on "
            f"average over the fault, {peak:.0%} at its worst second (before Auto Scaling's "
            "new instances came in); queues grew and requests were shed.",
            keys,
            capacity(
                exp,
                rps / (survivors * cap * GUESS_BUSY),
                "so that the zones left carry the load with retries",
            ),
        )
    ]


def overloaded_before(r: Record, exp: Experiment) -> list[Finding]:
    """Too little capacity for the offered load even with every zone up."""
    before, topo = r.windows.get("before"), r.topology.before
    cap = exp.topology.instance_capacity_rps
    if before is None or topo is None or not topo.instances_per_az:
        return []
    peak = before.peak_utilisation or 0.0
    if peak < 1.0:
        return []
    rps, total = before.peak_offered_rps, topo.instances
    return [
        finding(
            f"Overloaded before any fault: {peak:.0%} busy",
            f"{rps:,.0f} req/s on {total} instances at {cap:,.0f} req/s each is "
            f"{rps / (total * cap):.0%} of capacity with every zone up: the stack fails "
            "without help from the experiment.",
            probe_keys(r.hypothesis.failed(windows=("before",))),
            capacity(
                exp,
                rps / (len(topo.instances_per_az) * cap * GUESS_BUSY),
                "so that the stack carries its load with every zone up",
            ),
        )
    ]


DARK_NODE_CONNECT_S = 0.5  # the connect timeout the shipped sample proves against a power loss


def _dark_node_wait(
    p99: float, base: float | None, connect: float, ttl: float, keys: list[str]
) -> Finding:
    """The slow tail is clients' first connection to a dark node, paid inside one attempt."""
    return finding(
        f"Connecting to the dark load-balancer node dominates p99 latency "
        f"({_ms(p99)} during, {_ms(base)} before)",
        f"requests whose client still had the lost zone's node in its DNS cache (TTL "
        f"{ttl:g} s) waited the {connect:g} s connect timeout before trying the next address.",
        keys,
        shorter_connect(DARK_NODE_CONNECT_S, connect),
    )


def slow_tail(r: Record, exp: Experiment) -> list[Finding]:
    """A p99 made of retries after connect timeouts points at DNS and client timeouts."""
    during, before = r.windows.get("during"), r.windows.get("before")
    if during is None:
        return []
    share, p99 = during.slow_tail_retried_share, during.p99_latency_ms
    base = before.p99_latency_ms if before else None
    if share is None or p99 is None or (base and p99 < 3 * base):
        return []
    keys = probe_keys(
        [p for name in LATENCY_PROBES for p in r.hypothesis.failed(name, ("during",))]
    )
    connect, lb = exp.clients.connect_timeout_s, exp.topology.load_balancer
    dark = r.metrics is not None and r.metrics.recovery.dark_node_out_of_dns_s is not None
    if share < 0.5:
        if keys and dark and connect > DARK_NODE_CONNECT_S and p99 >= connect * 1000:
            return [_dark_node_wait(p99, base, connect, lb.dns_ttl_s, keys)]
        return []
    blackholed = during.visible_error_causes.get("blackhole (504)", 0) > 0
    tail = f"({_ms(p99)} during, {_ms(base)} before)"
    if during.dominant_cause == "blackhole (504)" or (
        blackholed and p99 >= lb.connect_timeout_s * 1000
    ):
        fix = faster_detection(exp) or Fix(words="", set={})
        if exp.clients.request_timeout_s >= lb.connect_timeout_s:
            half = lb.connect_timeout_s / 2
            fix.set["clients.request_timeout_s"] = half
            fix.words += f" Give up on an attempt after {half:g} s, before the load balancer's "
            fix.words += f"{lb.connect_timeout_s:g} s, so clients retry elsewhere sooner."
        return [
            finding(
                f"Blackholed targets dominate p99 latency {tail}",
                f"{share:.0%} of the slowest 1% of successful requests needed a retry: their "
                f"first attempt went to a target the load balancer could not reach and waited "
                f"its {lb.connect_timeout_s:g} s connect timeout for a 504, until health checks "
                "took the target out.",
                keys,
                Fix(words=fix.words.strip(), set=fix.set) if fix.set else None,
            )
        ]
    waited = dark and bool(connect) and p99 >= connect * 1000
    why = (
        f"the first attempt went to the lost zone's load-balancer node, still in clients' "
        f"DNS caches (TTL {lb.dns_ttl_s:g} s), and waited the {connect:g} s connect timeout"
        if waited
        else "the first attempt failed or timed out, and the client retried after its backoff"
    )
    if waited and connect > 1:
        fix = shorter_connect(1, connect)
    else:
        base_s = exp.clients.backoff_base_s
        fix = Fix(
            words=f"Retry sooner: a backoff ceiling of {base_s / 4:g} s after the first "
            f"failure (now {base_s:g} s).",
            set={"clients.backoff_base_s": base_s / 4},
        )
    return [
        finding(
            f"Retries dominate p99 latency {tail}",
            f"{share:.0%} of the slowest 1% of successful requests needed a retry: {why}.",
            keys,
            fix,
        )
    ]


def zonal_isolation(r: Record, exp: Experiment) -> list[Finding]:
    """With cross-zone load balancing on, every node sends to every zone's targets, so the
    unreachable targets of one zone cost customers of all zones a 504 wait."""
    during = r.windows.get("during")
    lb = exp.topology.load_balancer
    if (
        during is None
        or not lb.cross_zone
        or len(r.topology.before.azs if r.topology.before else []) < 2
    ):
        return []
    waited = during.visible_error_causes.get("blackhole (504)", 0)
    if not waited and during.dominant_cause != "blackhole (504)":
        return []
    keys = probe_keys(r.hypothesis.failed(windows=("during",)))
    return [
        finding(
            "Every zone's load-balancer node sent customers to unreachable targets",
            f"With cross-zone load balancing on, the nodes of the healthy zones kept sending "
            f"a share of requests to the lost zone's targets, each waiting "
            f"{lb.connect_timeout_s:g} s for a 504 ({waited:,.0f} visible errors from it).",
            keys,
            Fix(
                words="Turn cross-zone load balancing off (zonal isolation) so that a zone's "
                "targets sit behind its own node only, which leaves DNS with the zone.",
                set={"topology.load_balancer.cross_zone": False},
            ),
        )
    ]


def database(r: Record, exp: Experiment) -> list[Finding]:
    """Orders need database writes: say how long they failed and how to keep taking orders."""
    m = r.metrics
    if m is None or not m.db_write_unavailable_s:
        return []
    down = m.db_write_unavailable_s
    was, now = m.db_primary_az.before, m.db_primary_az.after
    where = (
        f"the primary failed over from {was} to {now}"
        if was != now
        else f"the primary stayed in {was} with no standby to take over"
    )
    queued = exp.topology.order_queue.enabled
    fix, advice = None, None
    if queued:
        advice = "Keep the order queue, and make sure its depth drains within the failover window."
    elif exp.topology.database.multi_az:
        fix = Fix(
            words="Accept orders into a durable queue (e.g. SQS) and write them once the new "
            "primary answers, so a failover delays orders instead of losing them.",
            set={"topology.order_queue.enabled": True},
        )
    else:
        fix = Fix(
            words="Make the database Multi-AZ so a standby takes over within 60-120 s.",
            set={"topology.database.multi_az": True},
        )
    out = finding(
        f"Database writes failed for {down:.0f} s",
        f"While {where}, the database took no writes for {down:.0f} s"
        + ("; the order queue held orders meanwhile." if queued else ": orders failed."),
        [],
        fix,
    )
    out.advice = advice
    return [out]


def lost_orders(r: Record, exp: Experiment) -> list[Finding]:
    """Acknowledged orders that never reached the primary: replication lag at a promotion."""
    lost = r.metrics.lost_orders if r.metrics else 0.0
    if not lost:
        return []
    lag = exp.topology.database.replica_lag_s
    return [
        finding(
            f"{lost:,.0f} acknowledged orders lost",
            "The primary was lost without a synchronous standby; a read replica was promoted, "
            f"and the orders committed in its last {lag:g} s of replication lag never reached "
            "it.",
            probe_keys(r.hypothesis.failed("lost_orders")),
            Fix(
                words="Make the database Multi-AZ: the standby is synchronous, so a failover "
                "loses nothing.",
                set={"topology.database.multi_az": True},
            ),
        )
    ]


def _ms(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f} ms"


def rollback(r: Record) -> list[Finding]:
    """A rollback that left differences means the stack is not as it was."""
    diffs = r.rollback_check
    if not diffs:
        return []
    out = finding(
        "Rollback left the stack changed",
        f"{len(diffs)} difference(s) after rollback: "
        + "; ".join(d.rstrip(".;") for d in diffs[:3])
        + ".",
        [],
        None,
    )
    out.advice = "Inspect the stack and the rollback log before the next run."
    return [out]


def propose(r: Record, exp: Experiment) -> list[Finding]:
    """All findings for a run, each with the change it proposes: causes first, then notes."""
    found: list[Finding] = []
    if r.judged:
        rules = (overloaded_before, single_zone, detection, overload, slow_tail, zonal_isolation)
        for rule in (*rules, lost_orders):
            found += rule(r, exp)
        explained = {k for f in found for k in f.probes}
        found += causes(r, exp, explained)
        found += database(r, exp)
    found += rollback(r)
    return sorted(found, key=lambda f: f.severity != "cause")
