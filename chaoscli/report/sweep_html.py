"""A sweep's printable HTML page: the counts, the rule "holds" was checked against, the
frontier, a heat map of P(held) over the two chosen axes, one row per point with its probes'
medians and worst, and the runs that are missing. One file, nothing fetched."""

from __future__ import annotations

from html import escape

from chaoscli.record.probes import fmt, label
from chaoscli.record.sweep import FigureSpread, PointAnswer, ProbeSpread, SweepAnswers
from chaoscli.report import sweep_charts
from chaoscli.report import sweep_words as w
from chaoscli.report.style import CSS

CLAIM_CLASS = {"holds": "ok", "short": "fail", "unsure": "muted"}
CLAIM_SHORT = {"holds": "holds", "short": "falls short", "unsure": "too few runs"}


def _e(value: object) -> str:
    return escape(str(value), quote=True)


EXTRA_CSS = """
table.sweep { font-size: 8pt; }
table.sweep .claim { white-space: nowrap; }
table.sweep td.num { white-space: normal; }
table.sweep th, table.sweep th.num { white-space: normal; }
table.sweep th.num { text-align: right; }
"""


def _table(head: list[str], rows: list[list[str]], num: set[int]) -> str:
    """A table of pre-escaped cells; ``num`` lists the columns to right-align."""

    def cell(tag: str, i: int, v: str) -> str:
        return f"<{tag}{' class=num' if i in num else ''}>{v}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    return f'<table class="sweep"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _spread(f: FigureSpread, unit: str = "") -> str:
    if f.median is None or f.worst is None:
        return "n/a"
    text = f"{f.median:,.0f} / {f.worst:,.0f}{unit}"
    return text + (f" ({f.unmeasured} n/a)" if f.unmeasured else "")


def _failed(p: PointAnswer) -> str:
    """The probes that failed in some run of the point, with how many runs."""
    failed = [
        f"{label(s.probe).split(' (')[0]} {s.window} in {s.failed}" for s in p.probes if s.failed
    ]
    return "; ".join(failed) or "none"


def _points(a: SweepAnswers) -> str:
    """One row per point: its values, the share held and the claim, the worst of the
    headline probes and of visible errors, and the dominant cause."""
    fields = [*a.axes, *(f for f in a.fields if f not in a.axes)]
    cells = w.probe_cells(a)
    gaps = int(w.any_missing(a))
    head = [
        *(_e(w.short(f).replace("_", " ")) for f in fields),
        "held",
        *(["missing"] if gaps else []),
        "P(held) [95% interval]",
        _e(f"P ≥ {w.pct(a.must_hold)}"),
        *(_e(f"{label(probe).split(' (')[0]} {window}") for probe, window, _ in cells),
        "visible errors",
        "dominant cause",
    ]
    rows = []
    for p in a.points:
        mark = f"{w.CLAIM_MARKS[p.claim]} {CLAIM_SHORT[p.claim]}"
        claim = f'<span class="{CLAIM_CLASS[p.claim]} claim">{_e(mark)}</span>'
        cause = _e(w.cause_said(p))
        probes = [
            _e(f"{fmt(s.median, s.probe)} / {fmt(s.worst, s.probe)}")
            if (s := _spread_of(p, probe, window))
            else "n/a"
            for probe, window, _ in cells
        ]
        rows.append(
            [
                *(_e(w.value(p.point.get(f))) for f in fields),
                _e(w.runs(p)),
                *([_e(w.missing(p))] if gaps else []),
                f'<span class="claim">{_e(w.share(p))}</span>',
                claim,
                *probes,
                _e(_spread(p.visible_errors)),
                cause,
            ]
        )
    n = len(fields) + gaps
    return _table(head, rows, {*range(n + 2), *range(n + 3, n + 4 + len(cells))})


def _spread_of(p: PointAnswer, probe: str, window: str) -> ProbeSpread | None:
    return next((s for s in p.probes if s.probe == probe and s.window == window), None)


def _details(a: SweepAnswers) -> str:
    """What else varied with the seed, and which probes failed in how many runs."""
    fields = [*a.axes, *(f for f in a.fields if f not in a.axes)]
    head = [
        *(_e(w.short(f).replace("_", " ")) for f in fields),
        "DB write outage",
        "customers' recovery",
        "probes that failed (runs)",
    ]
    rows = [
        [
            *(_e(w.value(p.point.get(f))) for f in fields),
            _e(_spread(p.db_write_outage_s, " s")),
            _e(_spread(p.customer_recovery_s, " s")),
            _e(_failed(p)),
        ]
        for p in a.points
    ]
    n = len(fields)
    return _table(head, rows, {*range(n + 2)})


def _maps(a: SweepAnswers, svg: str) -> str:
    """The heat map (``svg``, one map per combination of the other fields), and what it
    leaves to the table of points."""
    if not a.axes or not a.points:
        return ""
    maps, points = sweep_charts.left_out(a)
    cut = f"; {maps} more maps ({points} points) are in the table of points" if maps else ""
    caption = f"P(held): {w.marks(a)}; a framed cell holds{cut}."
    return f"<h2>Heat map</h2><figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def render(a: SweepAnswers, heatmap: str | None = None) -> str:
    """The page as one HTML document (with ``heatmap``, the SVG already drawn, if given)."""
    if heatmap is None and a.axes and a.points:
        heatmap = sweep_charts.heatmap(a)
    title = a.title or "chaoscli sweep"
    frontier = ""
    if a.frontier is not None and a.frontier.steps:
        items = "".join(f"<li>{_e(w.frontier_line(a, s))}</li>" for s in a.frontier.steps)
        frontier = f"<h2>Frontier</h2><ul>{items}</ul>"
    missing = [p for p in a.points if p.missing]
    gaps = ""
    if missing:
        items = "".join(
            f"<li>{_e(w.point_words(p.point))}: {p.failed} failed, {p.unfinished} unfinished</li>"
            for p in missing
        )
        gaps = f"<h2>Missing runs</h2><p>Not counted in any share.</p><ul>{items}</ul>"
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{CSS}{EXTRA_CSS}</style></head><body>"
        f"<h1>Sweep: {_e(title)}</h1>"
        f"<p>{_e(w.headline(a))}</p>"
        f'<p class="verdict other">{_e(w.rule_line(a))}</p>'
        f"{frontier}{_maps(a, heatmap or '')}<h2>Points</h2>{_points(a)}"
        f'<p class="muted">{_e(w.marks(a))}. Probes and errors: median / worst over the runs '
        "of the point; the dominant cause is the most frequent first thing customers saw "
        "among its deviated runs (k/n: it led k of n).</p>"
        f"<h2>What varied with the seed</h2>{_details(a)}"
        '<p class="muted">Median / worst over the runs of the point; a recovery is n/a in a '
        f"run where customers had not recovered by its end or saw no fault.</p>{gaps}"
        "</body></html>\n"
    )
