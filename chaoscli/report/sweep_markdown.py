"""A sweep's answers as Markdown for a pull request or a CI job summary: the counts, the
frontier, one table row per point and the rule "holds" was checked against."""

from __future__ import annotations

from chaoscli.record.probes import fmt, label
from chaoscli.record.sweep import PointAnswer, SweepAnswers
from chaoscli.report import sweep_words as w

ICON = {"holds": "✅", "short": "❌", "unsure": "❔"}


def _cell(text: object) -> str:
    """Text safe inside a table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _figure(p: PointAnswer) -> str:
    """Median and worst of the figures that vary with the seed."""
    parts = []
    for name, f, unit in (
        ("errors", p.visible_errors, ""),
        ("DB outage", p.db_write_outage_s, " s"),
        ("recovery", p.customer_recovery_s, " s"),
    ):
        if f.median is not None and f.worst is not None:
            parts.append(f"{name} {f.median:,.0f} / {f.worst:,.0f}{unit}")
    return "; ".join(parts)


def render(a: SweepAnswers, heading: int = 2) -> str:
    """The report as Markdown; ``heading`` sets the level of its title."""
    h = "#" * heading
    fields = [*a.axes, *(f for f in a.fields if f not in a.axes)]
    cells = w.probe_cells(a)
    gaps = w.any_missing(a)
    lines = [f"{h} Sweep: {_cell(a.title or 'chaoscli sweep')}", "", w.headline(a), ""]
    if a.frontier is not None and a.frontier.steps:
        lines += [f"{h}# Frontier", ""]
        lines += [f"- {w.frontier_line(a, s)}" for s in a.frontier.steps]
        lines.append("")
    head = [
        *fields,
        "held",
        *(["missing"] if gaps else []),
        "P(held) [95% interval]",
        f"P ≥ {w.pct(a.must_hold)}",
        *(f"worst {label(probe).split(' (')[0]} {window}" for probe, window, _ in cells),
        "errors, DB outage, recovery (median / worst)",
        "dominant cause",
    ]
    align = ["--:"] * (len(fields) + 2 + gaps) + ["---"] + ["--:"] * len(cells) + ["---", "---"]
    lines += [
        f"{h}# Points",
        "",
        "| " + " | ".join(_cell(x) for x in head) + " |",
        "|" + "|".join(align) + "|",
    ]
    for p in a.points:
        cause = w.cause_said(p)
        row = [
            *(w.value(p.point.get(f)) for f in fields),
            w.runs(p),
            *([w.missing(p)] if gaps else []),
            w.share(p),
            f"{ICON[p.claim]} {w.claim(p)}",
            *(w.worst(p, probe, window) for probe, window, _ in cells),
            _figure(p),
            cause,
        ]
        lines.append("| " + " | ".join(_cell(x) for x in row) + " |")
    lines += ["", f"_{w.rule_line(a)}_", ""]
    failed = [p for p in a.points if p.missing]
    if failed:
        lines.append(
            "Missing runs (not counted in any share): "
            + "; ".join(
                f"{w.point_words(p.point)}: {p.failed} failed, {p.unfinished} unfinished"
                for p in failed
            )
            + "."
        )
        lines.append("")
    return "\n".join(lines)


__all__ = ["fmt", "render"]
