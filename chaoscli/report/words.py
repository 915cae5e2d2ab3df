"""Shared wording for every report format, so the terminal, Markdown, HTML and JUnit agree."""

from __future__ import annotations

from typing import Any

PROBE_LABEL = {
    "availability": "availability",
    "worst_second_success_ratio": "worst second",
    "p99_latency_ms": "p99 latency (ms)",
    "order_success_ratio": "orders taken",
    "lost_orders": "lost orders",
}


def is_ratio(probe: str) -> bool:
    """True for probes measured as a fraction (shown as percentages)."""
    return "ratio" in probe or "availability" in probe


def label(probe: str) -> str:
    """A probe's name as a person reads it (unknown probes keep their own name)."""
    return PROBE_LABEL.get(probe, probe.replace("_", " "))


def fmt(value: Any, probe: str) -> str:
    """A measured value the way an SRE reads it."""
    if value is None:
        return "n/a"
    if not is_ratio(probe):
        return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.3g}"
    if value >= 1:
        return "100%"
    for digits in (3, 4, 5, 6):
        text = f"{value * 100:.{digits}f}"
        if not text.startswith("100"):
            return f"{text}%"
    return "99.99999%"


def shortfall(p: dict[str, Any]) -> str:
    """How far a probe missed its tolerance, e.g. "0.41 points below the minimum 99.9%"."""
    value, tol = p.get("value"), p.get("tolerance") or {}
    if value is None:
        return "no value was measured"
    ratio = is_ratio(p["probe"])
    for side, bound in (("min", tol.get("min")), ("max", tol.get("max"))):
        if bound is None:
            continue
        gap = bound - value if side == "min" else value - bound
        if gap <= 0:
            continue
        word = "below the minimum" if side == "min" else "above the maximum"
        if ratio:
            return f"{gap * 100:.3f} points {word} {bound * 100:g}%"
        return f"{gap:,.0f} {word} {bound:,g}"
    return "within tolerance"


def verdict_line(j: dict[str, Any]) -> tuple[str, str]:
    """(word, sentence): HELD, DEVIATED or the status, and why in one sentence."""
    if j.get("status") != "completed":
        return j.get("status", "unknown").upper(), j.get("error") or "no verdict"
    stopped = j.get("stopped")
    early = (
        f" A stop condition ended the method at {stopped['t']:.0f} s ({stopped['reason']})."
        if stopped
        else ""
    )
    if stopped and j.get("deviated"):
        failed = [p for p in j["hypothesis"]["probes"] if not p["ok"]]
        also = (
            "; also "
            + "; ".join(
                f"{label(p['probe'])} {p['window']} {fmt(p['value'], p['probe'])}"
                for p in failed[:2]
            )
            if failed
            else ""
        )
        return "DEVIATED", early.strip() + also
    if not j.get("deviated"):
        judged = {p["window"] for p in (j.get("hypothesis") or {}).get("probes") or []}
        if "during" not in judged and j.get("experiment", {}).get("method"):
            seen = " and ".join(sorted(judged)) or "no window"
            return "HELD", f"in {seen} the fault; the fault window itself was not judged." + early
        return "HELD", "customers would not have noticed." + early
    failed = [p for p in j["hypothesis"]["probes"] if not p["ok"]]
    why = "; ".join(
        f"{label(p['probe'])} {p['window']} {fmt(p['value'], p['probe'])} (needs {p['bound']})"
        for p in failed[:3]
    )
    more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    if expected_deviation(j):
        return "DEVIATED", "as this counter-example expects: " + why + more + early
    return "DEVIATED", why + more + early


def expected_deviation(j: dict[str, Any]) -> bool:
    """A deviation the experiment declares it expects (``expect: deviated``)."""
    return bool(j.get("deviated")) and (j.get("experiment") or {}).get("expect") == "deviated"


def ms(value: float | None) -> str:
    """Milliseconds for prose."""
    return "n/a" if value is None else f"{value:,.0f} ms"
