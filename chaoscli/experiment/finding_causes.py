"""Findings for failed probes no specific rule explains: the dominant cause of the window's
visible errors, in words, with the change it points at."""

from __future__ import annotations

from chaoscli.experiment.fix_proposals import (
    capacity,
    faster_detection,
    finding,
    instances_now,
    probe_keys,
    shorter_connect,
    three_zones,
)
from chaoscli.experiment.spec import Experiment
from chaoscli.record.findings import Finding, Fix
from chaoscli.record.model import ProbeVerdict, Record, Window, WindowName
from chaoscli.record.probes import fmt, label

CAUSE_WORDS = {
    "connect timeout": "clients kept connecting to a load-balancer node that no longer "
    "answered, until their DNS answer expired or they fell back to another address",
    "refused (502)": "targets that had stopped refused the connection before the load "
    "balancer took them out of rotation",
    "blackhole (504)": "the load balancer waited its connect timeout on targets it could not reach",
    "hung (timeout)": "targets accepted requests and never answered, so clients waited for "
    "their timeout",
    "no target (503)": "the load balancer had no healthy target to send to",
    "overload": "the surviving instances had more work than capacity, so queues overflowed",
    "too slow": "requests succeeded only after the customer's own timeout",
    "database unavailable": "checkouts failed while the database took no writes (the "
    "failover window)",
}
SLOW_TARGET_FAULTS = ("az-slowdown", "gray-failure")  # targets slow to answer, yet healthy


def _cause_fix(r: Record, exp: Experiment, cause: str, window: Window | None) -> Fix | None:
    """The change a failure cause points at, from the stack's own settings."""
    c = exp.clients
    if cause == "connect timeout" and (c.connect_timeout_s > 1 or not c.dns_fallback):
        return shorter_connect(1, c.connect_timeout_s)
    if cause == "refused (502)" and c.max_attempts < 3:
        return Fix(
            words="Let clients retry: three attempts per request.",
            set={"clients.max_attempts": 3},
        )
    if cause in ("refused (502)", "blackhole (504)", "hung (timeout)"):
        return faster_detection(exp)
    if cause == "no target (503)" and exp.topology.azs < 3:
        return three_zones(exp) if exp.topology.azs == 1 else None
    if cause in ("overload", "too slow"):
        peak = (window.peak_utilisation if window else None) or 1.0
        now = instances_now(exp)
        return capacity(exp, now * max(peak, 1.0), "so that queues stay short")
    if cause == "database unavailable" and not exp.topology.order_queue.enabled:
        return Fix(
            words="Accept orders into a durable queue and write them once the database answers.",
            set={"topology.order_queue.enabled": True},
        )
    algorithm = exp.topology.load_balancer.algorithm
    if algorithm != "least_outstanding_requests" and any(
        step.fault in SLOW_TARGET_FAULTS for step in exp.method
    ):
        return Fix(
            words="Send less to targets slow to answer: the load balancer's "
            "least_outstanding_requests algorithm.",
            set={"topology.load_balancer.algorithm": "least_outstanding_requests"},
        )
    return None


def causes(r: Record, exp: Experiment, explained: set[str]) -> list[Finding]:
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
    words = CAUSE_WORDS | {c: w[0] for f in r.faults.values() for c, w in f.causes.items()}
    for (name, top), probes in groups.items():
        window = r.windows.get(name)
        found = window.visible_error_causes if window else {}
        total = sum(found.values())
        what = words.get(top) or _fault_words(r, name)
        because = (what or "no cause stood out").rstrip(".")
        share = f" {found[top] / total:.0%} of the {total:,.0f} visible errors:" if top else ""
        title = "; ".join(
            f"{label(p.probe)} {fmt(p.value, p.probe)} (needs {p.bound})" for p in probes
        )
        fix = _cause_fix(r, exp, top, window) if name != "before" or top else None
        out.append(
            finding(
                f"{name.capitalize()} the fault: {title}",
                f"{name.capitalize()} the fault{share} {because}.",
                probe_keys(probes),
                fix,
            )
        )
    return out


def _fault_words(r: Record, window: str) -> str:
    """What the method's first fault with words of its own did, when no failure cause did."""
    if window == "before":
        return ""
    for step in r.experiment.method:
        fault = r.faults.get(step.fault)
        if fault is not None and fault.words is not None:
            return fault.words[0]
    return ""
