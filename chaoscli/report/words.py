"""Shared wording for every report format, so the terminal, Markdown, HTML and JUnit agree."""

from __future__ import annotations

from chaoscli.record.model import ProbeVerdict, Record
from chaoscli.record.probes import is_ratio, label

__all__ = ["fmt", "is_ratio", "label", "ms", "percent", "shortfall", "verdict_line"]


def percent(value: float | None) -> str:
    """A fraction as a percentage with enough digits to tell it from 100%."""
    if value is None:
        return "n/a"
    if value >= 1:
        return "100%"
    for digits in (3, 4, 5, 6):
        text = f"{value * 100:.{digits}f}"
        if not text.startswith("100"):
            return f"{text}%"
    return "99.99999%"


def fmt(value: float | None, probe: str) -> str:
    """A probe's measured value the way an SRE reads it."""
    if value is None:
        return "n/a"
    if is_ratio(probe):
        return percent(value)
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.3g}"


def shortfall(p: ProbeVerdict) -> str:
    """How far a probe missed its tolerance, e.g. "0.41 points below the minimum 99.9%"."""
    if p.value is None:
        return "no value was measured"
    for side, bound in (("min", p.tolerance.min), ("max", p.tolerance.max)):
        if bound is None:
            continue
        gap = bound - p.value if side == "min" else p.value - bound
        if gap <= 0:
            continue
        word = "below the minimum" if side == "min" else "above the maximum"
        if p.ratio:
            return f"{gap * 100:.3f} points {word} {bound * 100:g}%"
        return f"{gap:,.0f} {word} {bound:,g}"
    return "within tolerance"


def _missed(p: ProbeVerdict) -> str:
    """A failed probe in a few words: what, where, how much."""
    return f"{p.label} {p.window} {fmt(p.value, p.probe)}"


def verdict_line(r: Record) -> tuple[str, str]:
    """(word, sentence): HELD, DEVIATED or the status, and why in one sentence."""
    if r.status != "completed":
        return r.status.upper(), r.error or "no verdict"
    stopped = r.stopped
    early = (
        f" A stop condition ended the method at {stopped.t:.0f} s ({stopped.reason})."
        if stopped
        else ""
    )
    failed = r.hypothesis.failed()
    if stopped and r.deviated:
        also = "; also " + "; ".join(_missed(p) for p in failed[:2]) if failed else ""
        return "DEVIATED", early.strip() + also
    if not r.deviated:
        judged = {p.window for p in r.hypothesis.probes}
        if "during" not in judged and r.experiment.method:
            seen = " and ".join(sorted(judged)) or "no window"
            return "HELD", f"in {seen} the fault; the fault window itself was not judged." + early
        return "HELD", "customers would not have noticed." + early
    why = "; ".join(f"{_missed(p)} (needs {p.bound})" for p in failed[:3])
    more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    if r.expected_deviation:
        return "DEVIATED", "as this counter-example expects: " + why + more + early
    return "DEVIATED", why + more + early


def ms(value: float | None) -> str:
    """Milliseconds for prose."""
    return "n/a" if value is None else f"{value:,.0f} ms"
