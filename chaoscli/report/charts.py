"""Charts for the HTML report as inline SVG strings.

matplotlib draws them: it is widely used and maintained, its SVG backend needs no browser or
network, and with a fixed hash salt and no date its output is byte-for-byte repeatable, so
the same journal always gives the same report. Figures are built without pyplot, so no
global figure state is shared between reports.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chaoscli.record.model import Event, Record
from chaoscli.report import series

WIDTH_IN = 7.0  # fits A4 and Letter portrait inside the page margins
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
FAULT = "#d62728"
MAX_POINTS = 1200
# zones told apart by more than colour: line style, marker and width (the first drawn is the
# widest, so a zone whose line lies on another's still shows around it)
STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")
HATCHES = ("", "//", "..", "xx", "\\\\", "++")


def _thousands(value: float, _: object = None) -> str:
    """An axis tick with thousands separators: 200,000 (not 200000)."""
    if value and abs(value) < 1:
        return f"{value:g}"
    return f"{value:,.0f}"


def _separators(*axes: Axes, x: bool = False) -> None:
    """Thousands separators on the y axes (and the x axis when asked)."""
    for ax in axes:
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands))
        if x:
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands))


def _zone_style(n: int, zones: int, points: int) -> dict[str, object]:
    """Zone ``n``'s line: its colour, style, marker (a few per line, each zone's between
    the others') and width."""
    every = max(1, points // 12)
    return {
        "color": COLORS[n % len(COLORS)],
        "ls": STYLES[n % len(STYLES)],
        "marker": MARKERS[n % len(MARKERS)],
        "markevery": (n * every // max(1, zones), every),
        "markersize": 3.5,
        "lw": max(0.9, 2.6 - 0.6 * n),
    }


@contextmanager
def _style(salt: str) -> Iterator[None]:
    """Repeatable, printable SVG: fixed ids, text kept as text, small fonts."""
    with matplotlib.rc_context(
        {
            "svg.hashsalt": f"chaoscli-{salt}",
            "svg.fonttype": "none",
            "font.size": 8,
            "font.family": "sans-serif",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
        }
    ):
        yield


def _svg(fig: Figure, salt: str) -> str:
    """The figure as an <svg> element without XML prolog, scaled by CSS."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # let CSS size the chart to the column; keep the aspect ratio from the viewBox
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    return text.replace("<svg", f'<svg role="img" aria-label="{salt}"', 1)


def _bins(n: int) -> int:
    """Seconds per plotted point, so long runs stay light."""
    return max(1, -(-n // MAX_POINTS))


def _fold(values: Sequence[float | None], step: int, how: str = "mean") -> list[float | None]:
    """Fold per-second values into bins of ``step`` seconds (None where all are missing)."""
    out: list[float | None] = []
    for i in range(0, len(values), step):
        part = [v for v in values[i : i + step] if v is not None]
        if not part:
            out.append(None)
        elif how == "max":
            out.append(max(part))
        elif how == "min":
            out.append(min(part))
        else:
            out.append(sum(part) / len(part))
    return out


def _nan(values: list[float | None]) -> list[float]:
    """Missing values as NaN, which matplotlib leaves as gaps."""
    return [float("nan") if v is None else v for v in values]


def _frame(ax: Axes, r: Record, events: bool = True) -> None:
    """Shade the fault window and mark the numbered events on an axis."""
    for start, end in r.step_spans():
        ax.axvspan(start, min(end, r.duration or end), color=FAULT, alpha=0.08)
        ax.axvline(start, color=FAULT, lw=0.8, ls="--")
        if end < (r.duration or end):
            ax.axvline(end, color=FAULT, lw=0.8, ls="--")
    if events:
        for t, _ in event_groups(r):
            ax.axvline(t, color="#555555", lw=0.6, ls=":")
    ax.set_xlim(0, max(1, r.duration or series.seconds(r)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands))
    ax.set_xlabel("virtual time (s)")


def _event_labels(ax: Axes, r: Record) -> None:
    """Number the event groups along the top, keyed to the report's event list."""
    for n, (t, _) in enumerate(event_groups(r), 1):
        ax.annotate(
            str(n),
            (t, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=6,
            color="#333333",
        )


def _figure(height: float = 2.3) -> tuple[Figure, Axes]:
    """A figure of the report's width with one axis."""
    fig = Figure(figsize=(WIDTH_IN, height))
    return fig, fig.add_subplot()


def event_groups(r: Record) -> list[tuple[float, list[Event]]]:
    """Events grouped when they fall within 1% of the run of each other, so labels don't
    collide; each group is numbered once on the charts."""
    gap = max(1.0, r.duration / 100)
    groups: list[tuple[float, list[Event]]] = []
    for e in sorted(r.events, key=lambda e: e.t):
        if groups and e.t - groups[-1][1][-1].t <= gap:
            groups[-1][1].append(e)
        else:
            groups.append((e.t, [e]))
    return groups


def load(r: Record) -> str:
    """Offered load, successes and visible failures per second."""
    n = series.seconds(r)
    step = _bins(n)
    t = list(range(0, n, step))
    offered = _fold(series.per_second(r, lambda s: s.requests), step)
    failed = _fold(series.per_second(r, lambda s: s.visible_errors), step)
    ok = [None if o is None or f is None else o - f for o, f in zip(offered, failed, strict=True)]
    with _style("load"):
        fig, ax = _figure(2.0)
        # offered as a wide pale band under the successful line: where they are equal both show
        ax.plot(t, _nan(offered), color="#9e9e9e", lw=3.2, alpha=0.6, label="offered req/s")
        ax.plot(t, _nan(ok), color=COLORS[2], lw=1.0, ls="--", label="successful req/s")
        ax.set_ylabel("requests/s")
        ax.set_ylim(0, max(1.0, max((o or 0 for o in offered), default=0) * 1.08))
        ax2 = ax.twinx()
        ax2.fill_between(t, [f or 0 for f in failed], color=FAULT, alpha=0.4, step="mid", lw=0)
        ax2.set_ylabel("visible failures/s", color=FAULT)
        ax2.tick_params(axis="y", colors=FAULT)
        ax2.set_ylim(bottom=0, top=max(1.0, max((f or 0 for f in failed), default=0) * 1.2))
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        _separators(ax, ax2)
        _frame(ax, r)
        _event_labels(ax, r)
        ax.plot([], [], color=FAULT, lw=6, alpha=0.4, label="visible failures/s (right)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3, fontsize=7)
        return _svg(fig, "load")


def zones(r: Record) -> str:
    """Share of successful requests served by each zone over time."""
    azs = series.zones(r, "served")
    n = series.seconds(r)
    step = _bins(n)
    t = list(range(0, n, step))

    def share(az: str) -> list[float | None]:
        def one(s: series.Values) -> float | None:
            total = sum(s.served.values())
            return s.served.get(az, 0.0) / total if total else None

        return series.per_second(r, one)

    shares = [[v or 0.0 for v in _fold(share(az), step)] for az in azs]
    with _style("zones"):
        fig, ax = _figure(2.0)
        ax.stackplot(
            t,
            shares,
            labels=azs,
            colors=COLORS[: len(azs)],
            hatch=[HATCHES[n % len(HATCHES)] for n in range(len(azs))],
            alpha=0.85,
            lw=0,
        )
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_ylabel("traffic share")
        _frame(ax, r, events=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=len(azs), fontsize=7)
        return _svg(fig, "zones")


def latency(r: Record, limit_ms: float | None) -> str:
    """p99 latency of successful requests per second, against the tolerance."""
    n = series.seconds(r)
    step = _bins(n)
    t = list(range(0, n, step))
    p99 = _fold(series.per_second(r, lambda s: s.p99_latency_ms, "high"), step, "max")
    with _style("latency"):
        fig, ax = _figure(2.0)
        ax.plot(
            t,
            _nan(p99),
            color=COLORS[0],
            lw=1.1,
            label="p99 latency",
        )
        if limit_ms:
            ax.axhline(limit_ms, color=FAULT, lw=0.8, ls="--", label=f"tolerance {limit_ms:g} ms")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_thousands))
        ax.set_ylabel("ms (log scale)")
        _frame(ax, r)
        ax.legend(loc="upper right", fontsize=7)
        return _svg(fig, "latency")


def _zone_busy(az: str) -> Callable[[series.Values], float | None]:
    """How busy one zone's instances were, read from a timeline entry."""
    return lambda s: s.utilisation.get(az)


def utilisation(r: Record) -> str:
    """How busy each zone's instances were: above 100% the queue grows."""
    azs = series.zones(r, "utilisation")
    seconds = series.seconds(r)
    step = _bins(seconds)
    t = list(range(0, seconds, step))
    with _style("utilisation"):
        fig, ax = _figure(2.0)
        for n, az in enumerate(azs):
            ys = _fold(series.per_second(r, _zone_busy(az), "high"), step, "max")
            ax.plot(t, _nan(ys), label=az, **_zone_style(n, len(azs), len(t)))  # type: ignore[arg-type]
        ax.axhline(1.0, color=FAULT, lw=0.8, ls="--", label="capacity")
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_ylim(bottom=0)
        ax.set_ylabel("busy")
        _frame(ax, r, events=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=len(azs) + 1, fontsize=7)
        return _svg(fig, "utilisation")


def with_queue(r: Record) -> bool:
    """Whether the database chart also shows the order queue's depth."""
    return r.metrics is not None and r.metrics.order_queue.enabled


def database(r: Record) -> str:
    """Whether the database took writes each second, and the order queue when there is one."""
    n = series.seconds(r)
    step = _bins(n)
    t = list(range(0, n, step))
    writable = _fold(
        series.per_second(r, lambda s: 1.0 if s.db_writable else 0.0, "low"), step, "min"
    )
    with _style("database"):
        fig, ax = _figure(1.7)
        ax.fill_between(
            t,
            [w or 0 for w in writable],
            step="post",
            color=COLORS[2],
            alpha=0.5,
            lw=0,
            label="writes accepted",
        )
        ax.set_ylim(0, 1.15)
        ax.set_yticks([0, 1], ["down", "up"])
        ax.set_ylabel("DB writes")
        if with_queue(r):
            ax2 = ax.twinx()
            depth = _fold(series.per_second(r, lambda s: s.queue_depth, "high"), step, "max")
            ax2.plot(t, _nan(depth), color=COLORS[3], lw=1.1)
            ax2.set_ylabel("queue depth", color=COLORS[3])
            _separators(ax2)
            ax2.set_ylim(bottom=0)
            ax2.grid(False)
            ax2.spines["right"].set_visible(True)
            ax.plot([], [], color=COLORS[3], label="queue depth (right)")
        _frame(ax, r)
        ax.legend(loc="lower left", fontsize=7, ncols=2)
        return _svg(fig, "database")
