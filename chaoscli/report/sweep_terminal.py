"""A sweep's answers in the terminal: one row per point (its values, runs held with the 95%
interval of P(held) and what it lets us claim, the worst of what customers saw, the dominant
cause), then the frontier and the rule "holds" was checked against; 80 columns for two axes."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

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


@dataclass(frozen=True)
class _Column:
    """One column of the table: its heading, its cells, and when it gives way (0: never;
    the highest goes first when the table is wider than the terminal)."""

    heading: str
    cells: list[str | Text]
    drop: int = 0
    right: bool = True

    @property
    def width(self) -> int:
        texts = [c.plain if isinstance(c, Text) else c for c in self.cells]
        return max(len(x) for x in [*self.heading.splitlines(), *texts, ""])


def _columns(a: SweepAnswers) -> list[_Column]:
    fields = [*a.axes, *(f for f in a.fields if f not in a.axes)]
    numbered = w.causes(a)
    ps = a.points
    cols = [_Column(w.heading(f), [w.value(p.point.get(f)) for p in ps]) for f in fields]
    cols.append(_Column("held", [w.runs(p) for p in ps]))
    if w.any_missing(a):
        cols.append(_Column("missing", [w.missing(p) for p in ps]))
    cols.append(_Column("P(held)\n[95% interval]", [w.share(p) for p in ps]))
    marks = [Text(w.CLAIM_MARKS[p.claim], style=CLAIM_STYLE[p.claim]) for p in ps]
    cols.append(_Column("", list(marks), right=False))
    for n, (probe, window, heading) in enumerate(w.probe_cells(a)):
        cols.append(_Column(heading, [w.worst(p, probe, window) for p in ps], drop=2 + 2 * n))
    cols.append(_Column("most\nerrors", [w.errors(p) for p in ps], drop=1))
    cause = [w.cause_cell(p, numbered) for p in ps]
    cols.append(_Column("cause", list(cause), drop=3, right=False))
    return cols


def table(a: SweepAnswers, width: int = WIDTH) -> Table:
    """One row per point; the columns that give way are left out until the table fits
    ``width``: the latency first, then the cause, the availability and the errors."""
    cols = _columns(a)
    while sum(c.width + 1 for c in cols) - 1 > width and any(c.drop for c in cols):
        cols.remove(max(cols, key=lambda c: c.drop))
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=0)
    for c in cols:
        t.add_column(c.heading, justify="right" if c.right else "left", no_wrap=True)
    for i in range(len(a.points)):
        t.add_row(*(c.cells[i] for c in cols))
    return t


def summary(a: SweepAnswers) -> Group:
    """The whole terminal report as one renderable."""
    parts: list[Text | Table] = []
    if a.title:
        parts.append(Text(a.title, style="bold"))
    parts += [Text(_wrap(w.headline(a))), table(a), Text(_wrap(w.marks(a) + "."))]
    if w.any_missing(a):
        parts.append(Text(_wrap(w.missing_line(a))))
    legend_lines = w.cause_legend(a)
    if legend_lines:
        legend = "\n".join(_wrap(f"{n}. {kind}", "  ") for n, kind in enumerate(legend_lines, 1))
        head = (
            "cause: the most frequent among a point's deviated runs (k/n: it led k of n); "
            "its figures over the points it led"
        )
        parts.append(Text(_wrap(head) + "\n" + legend))
    if a.frontier is not None and a.frontier.steps:
        lines = [_wrap(w.frontier_line(a, s), "  ") for s in a.frontier.steps]
        parts.append(Text("frontier\n" + "\n".join(lines)))
    parts.append(Text(_wrap(w.rule_line(a)), style="dim"))
    return Group(*parts)


def print_summary(a: SweepAnswers, console: Console) -> None:
    """Print the report, never wider than 80 columns."""
    console.print(summary(a), width=min(console.width, WIDTH), highlight=False)


def find_min_lines(found: FindMin, field: str) -> list[str]:
    """What ``--find-min`` found, every value it tried in order, and a warning when the
    values it tried contradict the monotonicity bisection assumes. A value holds, falls
    short, or has too few runs to tell, by the rule the summary prints; only the first
    counts as holding."""
    said = {p.value: _VERDICT[p.claim] for p in found.probes}
    tried = ", ".join(f"{w.value(p.value)} {said[p.value]}" for p in found.probes)
    if found.found is None:
        largest = found.values[-1]
        head = f"{field}: no value tried holds; the largest, {w.value(largest)}, {said[largest]}"
    elif found.below is None:
        head = f"{field}: the smallest value, {w.value(found.found)}, holds"
    else:
        head = (
            f"{field}: {w.value(found.found)} is the smallest value that holds; "
            f"{w.value(found.below)} {said[found.below]}"
        )
    lines = [f"{head}.", f"tried in order: {tried}."]
    if not found.monotone:
        pairs = "; ".join(
            f"{w.value(lo)} holds but {w.value(hi)} {said[hi]}" for lo, hi in found.contradictions
        )
        lines.append(
            f"not monotone: {pairs}. Bisection assumes a larger value never holds less, so "
            "the value found is not a boundary; grid the field instead."
        )
    return lines


_VERDICT = {"holds": "holds", "short": "falls short", "unsure": "has too few runs to tell"}


def print_find_min(found: FindMin, field: str, console: Console) -> None:
    """Print what ``--find-min`` found, wrapped to 80 columns."""
    for line in find_min_lines(found, field):
        style = "bold yellow" if line.startswith("not monotone") else None
        console.print(Text(_wrap(line), style=style or ""), width=min(console.width, WIDTH))
