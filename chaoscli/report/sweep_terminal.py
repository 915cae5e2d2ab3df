"""A sweep's answers in the terminal: one row per point (its values, runs held with the 95%
interval of P(held) and what it lets us claim, the worst of what customers saw, the dominant
cause), then the frontier and the rule "holds" was checked against; 80 columns for two axes."""

from __future__ import annotations

import textwrap

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from chaoscli.record.sweep import FindMin, SweepAnswers
from chaoscli.report import sweep_words as w

WIDTH = 80
CLAIM_STYLE = {"holds": "green", "short": "red", "unsure": "yellow"}


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, WIDTH - 1, initial_indent=indent, subsequent_indent=indent + "  ")


def table(a: SweepAnswers) -> Table:
    """One row per point."""
    fields = [*a.axes, *(f for f in a.fields if f not in a.axes)]
    cells = w.probe_cells(a)
    numbered = w.causes(a)
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=0)
    for f in fields:
        t.add_column(w.heading(f), justify="right", no_wrap=True)
    t.add_column("held", justify="right", no_wrap=True)
    gaps = w.any_missing(a)
    if gaps:
        t.add_column("missing", justify="right", no_wrap=True)
    t.add_column("P(held)\n[95% interval]", justify="right", no_wrap=True)
    t.add_column("", no_wrap=True)
    for _, _, heading in cells:
        t.add_column(heading, justify="right", no_wrap=True)
    t.add_column("most\nerrors", justify="right", no_wrap=True)
    t.add_column("cause", no_wrap=True)
    for p in a.points:
        t.add_row(
            *(w.value(p.point.get(f)) for f in fields),
            w.runs(p),
            *([w.missing(p)] if gaps else []),
            w.share(p),
            Text(w.CLAIM_MARKS[p.claim], style=CLAIM_STYLE[p.claim]),
            *(w.worst(p, probe, window) for probe, window, _ in cells),
            w.errors(p),
            w.cause_cell(p, numbered),
        )
    return t


def summary(a: SweepAnswers) -> Group:
    """The whole terminal report as one renderable."""
    parts: list[Text | Table] = []
    if a.title:
        parts.append(Text(a.title, style="bold"))
    parts += [Text(_wrap(w.headline(a))), table(a), Text(_wrap(w.marks(a) + "."))]
    if w.any_missing(a):
        parts.append(Text(_wrap(w.missing_line(a))))
    numbered = w.causes(a)
    if numbered:
        legend = "\n".join(_wrap(f"{n}. {kind}", "  ") for n, kind in enumerate(numbered, 1))
        head = "cause: the most frequent among a point's deviated runs (k/n: it led k of n)"
        parts.append(Text(_wrap(head) + "\n" + legend))
    if a.frontier is not None and a.frontier.steps:
        lines = [_wrap(w.frontier_line(a, s), "  ") for s in a.frontier.steps]
        parts.append(Text("frontier\n" + "\n".join(lines)))
    parts.append(Text(_wrap(w.rule_line(a)), style="dim"))
    return Group(*parts)


def print_summary(a: SweepAnswers, console: Console) -> None:
    """Print the report, never wider than 80 columns."""
    console.print(summary(a), width=min(console.width, WIDTH), highlight=False)


def find_min_lines(found: FindMin, field: str, rule: str) -> list[str]:
    """What ``--find-min`` found, every value it tried in order, and a warning when the
    values it tried contradict the monotonicity bisection assumes."""
    tried = ", ".join(
        f"{w.value(p.value)} {'held' if p.held else 'deviated'}" for p in found.probes
    )
    if found.found is None:
        head = f"{field}: even the largest value, {w.value(found.values[-1])}, deviated"
    elif found.below is None:
        head = f"{field}: the smallest value tried, {w.value(found.found)}, held"
    else:
        head = (
            f"{field}: {w.value(found.found)} is the smallest value that held; "
            f"{w.value(found.below)} deviated"
        )
    lines = [f"{head} (held: {rule}).", f"tried in order: {tried}."]
    if not found.monotone:
        pairs = "; ".join(
            f"{w.value(lo)} held but {w.value(hi)} deviated" for lo, hi in found.contradictions
        )
        lines.append(
            f"not monotone: {pairs}. Bisection assumes a larger value never holds less, so "
            "the value found is not a boundary; grid the field instead."
        )
    return lines


def print_find_min(found: FindMin, field: str, rule: str, console: Console) -> None:
    """Print what ``--find-min`` found, wrapped to 80 columns."""
    for line in find_min_lines(found, field, rule):
        style = "bold yellow" if line.startswith("not monotone") else None
        console.print(Text(_wrap(line), style=style or ""), width=min(console.width, WIDTH))
