"""Shared wording of a sweep's reports, so the terminal, Markdown and HTML claim the same and
no more than was checked: a share is "held in k of n runs", a claim is the rule's."""

from __future__ import annotations

import re
import textwrap

from chaoscli.record.probes import fmt
from chaoscli.record.sweep import Claim, FrontierStep, PointAnswer, Scalar, SweepAnswers

CLAIM_WORDS: dict[Claim, str] = {
    "holds": "holds",
    "short": "falls short",
    "unsure": "too few runs to tell",
}
CLAIM_MARKS: dict[Claim, str] = {"holds": "✓", "short": "✗", "unsure": "?"}
# the table's probe columns: the first judged of each group, in the fault window when judged
# there, with a short heading
HEADLINE = (
    (("availability", "avail."), ("worst_second_success_ratio", "second")),
    (("p99_latency_ms", "p99 ms"), ("p99_increase_ms", "p99 rise")),
)


def short(field: str) -> str:
    """A field path's last part, for a column heading."""
    return field.rsplit(".", 1)[-1]


def heading(field: str, width: int = 10) -> str:
    """A field's column heading in lines of about ``width`` characters."""
    return "\n".join(textwrap.wrap(short(field).replace("_", " "), width)) or field


def value(v: Scalar | None) -> str:
    """A grid value as a person reads it: 1,000,000 rather than 1000000."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1000 else f"{v:g}"
    return v


def pct(x: float) -> str:
    """A share as a whole percentage, never rounding 99.6% up to 100% or 0.4% down to 0%."""
    whole = round(x * 100)
    if whole == 100 and x < 1:
        return f"{x * 100:.1f}%" if x < 0.9995 else ">99.9%"
    if whole == 0 and x > 0:
        return f"{x * 100:.1f}%" if x >= 0.0005 else "<0.1%"
    return f"{whole}%"


def runs(p: PointAnswer) -> str:
    """Held runs of those that left a row: "18/20"."""
    return f"{p.held}/{p.runs}"


def any_missing(a: SweepAnswers) -> bool:
    """Whether some point is missing runs (the tables then show a column for them)."""
    return any(p.missing for p in a.points)


def missing(p: PointAnswer) -> str:
    """A point's missing runs as a table cell: "2", or empty."""
    return str(p.missing) if p.missing else ""


def share(p: PointAnswer) -> str:
    """The share held and its 95% interval: "90% [70–97%]", "n/a" without a run."""
    if p.share_held is None or p.interval is None:
        return "n/a"
    lo, hi = p.interval
    return f"{pct(p.share_held)} [{pct(lo)[:-1]}–{pct(hi)}]"


def claim(p: PointAnswer) -> str:
    """The point's claim against the rule, in words."""
    return CLAIM_WORDS[p.claim]


def marks(a: SweepAnswers) -> str:
    """What the table's marks claim, in one line."""
    need = f"P ≥ {pct(a.must_hold)}"
    return (
        f"{CLAIM_MARKS['holds']} holds with {need} (the 95% interval's lower end is at least "
        f"{pct(a.must_hold)}), {CLAIM_MARKS['short']} falls short (its upper end is below), "
        f"{CLAIM_MARKS['unsure']} too few runs to tell"
    )


def probe_cells(a: SweepAnswers) -> list[tuple[str, str, str]]:
    """The (probe, window, heading) the table shows: an availability and a latency probe,
    the first of each that was judged, in the window where it failed in the most runs (the
    fault window on a tie, or when it never failed)."""
    failed: dict[tuple[str, str], int] = {}
    for p in a.points:
        for s in p.probes:
            failed[(s.probe, s.window)] = failed.get((s.probe, s.window), 0) + s.failed
    out = []
    for group in HEADLINE:
        for probe, heading in group:
            windows = [w for w in ("during", "after", "before") if (probe, w) in failed]
            if windows:
                window = max(windows, key=lambda w: failed[(probe, w)])
                out.append((probe, window, f"worst\n{heading}\n{window}"))
                break
    return out


def worst(p: PointAnswer, probe: str, window: str) -> str:
    """A probe's worst value over the point's runs in one window."""
    for s in p.probes:
        if s.probe == probe and s.window == window:
            return fmt(s.worst, probe)
    return "n/a"


def errors(p: PointAnswer) -> str:
    """The most visible errors of any run of the point."""
    w = p.visible_errors.worst
    return "n/a" if w is None else f"{w:,.0f}"


def causes(a: SweepAnswers) -> list[str]:
    """Every dominant cause's kind, numbered in order of first appearance."""
    seen: list[str] = []
    for p in a.points:
        if p.cause and p.cause.kind not in seen:
            seen.append(p.cause.kind)
    return seen


_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")  # as the answers take figures out of a kind


def cause_legend(a: SweepAnswers) -> list[str]:
    """Each dominant cause's kind, in the order of ``causes``, each "…" given as the range of
    its figure over the points the kind led (each point's first such run)."""
    return [
        _ranged(kind, [p.cause.example for p in a.points if p.cause and p.cause.kind == kind])
        for kind in causes(a)
    ]


def _ranged(kind: str, examples: list[str]) -> str:
    """``kind`` with each "…" as the lowest–highest of that figure in ``examples``."""
    found = [_FIGURE.findall(re.sub(r"\s*\([^)]*\)", "", e)) for e in examples]
    parts = kind.split("…")
    if not found or any(len(f) != len(parts) - 1 for f in found):
        return kind
    text = parts[0]
    for i, rest in enumerate(parts[1:]):
        figures = sorted({f[i] for f in found}, key=lambda x: float(x.replace(",", "")))
        text += (figures[0] if len(figures) == 1 else f"{figures[0]}–{figures[-1]}") + rest
    return text


def cause_said(p: PointAnswer) -> str:
    """The dominant cause for a report's row, with its figures: the whole title when one run
    had it, else its kind and the first such run's title."""
    if p.cause is None:
        return ""
    c, deviated = p.cause, p.runs - p.held
    if c.runs == 1:
        return f"{c.example} (1 of {deviated})"
    return f"{c.kind} ({c.runs} of {deviated}; the first: {c.example})"


def cause_cell(p: PointAnswer, numbered: list[str]) -> str:
    """The dominant cause as its number in the legend and how many deviated runs it led."""
    if p.cause is None:
        return ""
    deviated = p.runs - p.held
    return f"{numbered.index(p.cause.kind) + 1} ({p.cause.runs}/{deviated})"


def point_words(point: dict[str, Scalar]) -> str:
    """A point's overrides as ``--set`` would take them."""
    return ", ".join(f"{k}={value(v)}" for k, v in point.items())


def frontier_line(a: SweepAnswers, step: FrontierStep) -> str:
    """One sentence per value of the other axes: the smallest value that holds, or why none
    can be claimed, and what the runs showed."""
    f = a.frontier
    assert f is not None
    field = f.field
    at = f" at {point_words(step.at)}" if step.at else ""
    if f.over:
        at += f" for every {' and every '.join(f.over)} tried"
    need = a.runs_to_claim
    if step.smallest is not None:
        below = (
            f" ({value(step.below)} does not)"
            if step.below is not None
            else " (the smallest value tried)"
        )
        text = f"{field} ≥ {value(step.smallest)} holds{at}{below}"
    elif _all_short(a, step):
        text = (
            f"{field}: no value tried holds with P ≥ {pct(a.must_hold)}{at}: every one falls "
            "short (its interval's upper end is below)"
        )
    elif step.largest_claim == "short":
        text = (
            f"{field}: no value tried holds with P ≥ {pct(a.must_hold)}{at} (the largest, "
            f"{value(step.largest)}, falls short)"
        )
    elif need is not None and step.runs_at_most < need:
        text = (
            f"{field}: not enough runs to claim P ≥ {pct(a.must_hold)}{at} "
            f"({step.runs_at_most} runs at most per point; a claim needs {need}, all held)"
        )
    else:
        text = f"{field}: no value tried holds with P ≥ {pct(a.must_hold)}{at}"
    if step.all_held_from is not None and step.all_held_from != step.smallest:
        text += f"; every run held from {value(step.all_held_from)} upward"
    if step.contradictions:
        shown = ", ".join(value(v) for v in step.contradictions)
        text += f"; not monotone: {shown} holds although a larger value falls short"
    return text + "."


def _all_short(a: SweepAnswers, step: FrontierStep) -> bool:
    """Whether every point of this step falls short: then more runs would not change it."""
    claims = [
        p.claim
        for p in a.points
        if all(p.point.get(k) == v for k, v in step.at.items())
        and a.frontier is not None
        and a.frontier.field in p.point
    ]
    return bool(claims) and all(c == "short" for c in claims)


def rule_line(a: SweepAnswers) -> str:
    """The definition of "holds" this sweep used, as a sentence."""
    return a.rule[:1].upper() + a.rule[1:] + "."


def headline(a: SweepAnswers) -> str:
    """How many points, runs and claims: the first line of every report."""
    total = sum(p.runs for p in a.points)
    missing = sum(p.missing for p in a.points)
    counts = {c: sum(p.claim == c for p in a.points) for c in CLAIM_WORDS}
    text = (
        f"{len(a.points)} points, {total} runs"
        + (f" ({missing} missing)" if missing else "")
        + f": {counts['holds']} hold with P ≥ {pct(a.must_hold)}, {counts['short']} fall short, "
        f"{counts['unsure']} have not enough runs to tell"
    )
    if a.root_seed is not None:
        text += f"; seeds spawned from {a.root_seed}"
    return text + "."


def missing_line(a: SweepAnswers) -> str:
    """How many runs are missing and why; they count in no share."""
    failed = sum(p.failed for p in a.points)
    unfinished = sum(p.unfinished for p in a.points)
    total = failed + unfinished
    return (
        f"missing: {total} run{'s' if total != 1 else ''} left no row ({failed} failed, "
        f"{unfinished} unfinished) and count in no share."
    )
