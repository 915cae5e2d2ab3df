"""The heat map of a sweep: P(held) over two chosen axes, one cell per point, as inline SVG.

Each cell is coloured by the share of its runs that held and says "k/n" with a mark for its
claim against the rule (✓ holds, ✗ falls short, ? too few runs); a cell without a run is
grey. When other fields vary too, there is one map per combination of their values, each
titled with them, so that every point has its cell. Drawn like the run report's charts
(repeatable SVG, no pyplot state).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import matplotlib
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from chaoscli.record.sweep import PointAnswer, Scalar, SweepAnswers
from chaoscli.report import sweep_words as w
from chaoscli.report.charts import WIDTH_IN, _style, _svg

EMPTY = "#d0d7de"
MAX_MAPS = 12  # beyond this many combinations of the other fields, the table has the rest

Group = tuple[dict[str, Scalar], list[PointAnswer]]  # the other fields' values, their points


def _order(v: Scalar | None) -> tuple[int, float, str]:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return 0, float(v), ""
    return 1, 0.0, str(v)


def _values(points: Sequence[PointAnswer], field: str | None) -> list[Scalar | None]:
    if field is None:
        return [None]
    return sorted({p.point[field] for p in points if field in p.point}, key=_order)


def groups(a: SweepAnswers) -> list[Group]:
    """The points split by the values of the fields that are not heat-map axes, in the
    order of those values: one map each."""
    axes = a.axes[:2]
    out: dict[str, Group] = {}
    for p in a.points:
        rest = {k: v for k, v in p.point.items() if k not in axes}
        out.setdefault(json.dumps(rest, sort_keys=True), (rest, []))[1].append(p)

    def rank(group: Group) -> list[tuple[int, float, str]]:
        return [_order(v) for _, v in sorted(group[0].items())]

    return sorted(out.values(), key=rank)


def left_out(a: SweepAnswers) -> tuple[int, int]:
    """How many maps, and how many points, the heat map leaves to the table."""
    rest = groups(a)[MAX_MAPS:]
    return len(rest), sum(len(points) for _, points in rest)


def _draw(ax: Axes, a: SweepAnswers, points: Sequence[PointAnswer], cmap: Colormap) -> None:
    """One map: ``points`` with the first axis across and the second up."""
    x_field = a.axes[0] if a.axes else None
    y_field = a.axes[1] if len(a.axes) > 1 else None
    xs, ys = _values(points, x_field), _values(points, y_field)
    cell = {
        (p.point.get(x_field) if x_field else None, p.point.get(y_field) if y_field else None): p
        for p in points
    }
    ax.grid(False)
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            p = cell.get((x, y))
            share = p.share_held if p is not None else None
            colour = EMPTY if share is None else cmap(share)
            holds = p is not None and p.claim == "holds"
            ax.add_patch(
                Rectangle(
                    (i, j),
                    1,
                    1,
                    facecolor=colour,
                    edgecolor="#1f2328" if holds else "white",
                    lw=2.2 if holds else 1.0,
                )
            )
            text = "no run" if p is None or not p.runs else f"{p.held}/{p.runs}"
            if p is not None and p.runs:
                text += f" {w.CLAIM_MARKS[p.claim]}"
            dark = share is not None and (share < 0.15 or share > 0.85)
            ax.text(
                i + 0.5,
                j + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else "#1f2328",
            )
    ax.set_xlim(0, len(xs))
    ax.set_ylim(0, len(ys))
    ax.set_xticks([i + 0.5 for i in range(len(xs))], [w.value(x) for x in xs])
    ax.set_yticks([j + 0.5 for j in range(len(ys))], [w.value(y) for y in ys])
    ax.set_xlabel(x_field or "")
    ax.set_ylabel(y_field or "")
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)


def heatmap(a: SweepAnswers, maps: Sequence[Group] | None = None, salt: str = "heatmap") -> str:
    """P(held) of the sweep's points (or of ``maps``), one map per combination of the other
    fields' values (at most ``MAX_MAPS``), each titled with them, in one SVG."""
    shown = list(groups(a) if maps is None else maps)[:MAX_MAPS]
    heights = [
        max(1.6, 0.5 * len(_values(points, a.axes[1] if len(a.axes) > 1 else None)) + 1.2)
        for _, points in shown
    ] or [1.6]
    cmap = matplotlib.colormaps["RdYlGn"]
    with _style(salt):
        fig = Figure(figsize=(WIDTH_IN, sum(heights)))
        axes = fig.subplots(len(heights), 1, squeeze=False, height_ratios=heights)[:, 0]
        for ax, (rest, points) in zip(axes, shown, strict=False):
            _draw(ax, a, points, cmap)
            if rest:
                ax.set_title(w.point_words(rest), fontsize=8, loc="left")
        if maps is None and (cut := left_out(a))[0]:
            fig.text(0, 0, f"{cut[0]} more maps ({cut[1]} points) are in the table of points")
        scale = fig.colorbar(
            matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(0, 1), cmap=cmap),
            ax=list(axes) if len(axes) > 1 else axes[0],
            fraction=0.04,
            pad=0.02,
        )
        scale.ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        scale.set_label("share of runs held")
        return _svg(fig, salt)
