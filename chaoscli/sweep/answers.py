"""A sweep's answers from its rows alone: per point the share held with its 95% interval, the
medians and worst of what was measured, the dominant cause; for the campaign the frontier.

"Holds with P ≥ must_hold" is claimed only when the whole 95% Wilson interval of the share
held lies at or above ``must_hold``; a point whose runs all held but are too few to push the
interval's lower end that high is "unsure", never "holds". The same rows give the same
answers whatever order they came in, so a resumed or distributed sweep reads the same.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from chaoscli.experiment.many import wilson
from chaoscli.record.runs import RunSummary
from chaoscli.record.sweep import (
    Cause,
    Claim,
    FigureSpread,
    Frontier,
    FrontierStep,
    PointAnswer,
    ProbeSpread,
    Scalar,
    SweepAnswers,
    SweepRow,
    TaskFailure,
)

WINDOWS = ("before", "during", "after")
MAX_RUNS_TO_CLAIM = 1_000_000


def point_key(point: Mapping[str, Scalar]) -> str:
    """A point's identity: its overrides as canonical JSON (sorted keys, no spaces)."""
    return json.dumps(dict(point), sort_keys=True, separators=(",", ":"))


def _same(point: Mapping[str, Scalar]) -> tuple[tuple[str, str], ...]:
    """A point compared by value, whatever key its rows were written under."""
    return tuple(sorted((k, json.dumps(v)) for k, v in point.items()))


def claim(held: int, runs: int, must_hold: float) -> Claim:
    """What ``held`` of ``runs`` let us claim of the share held against ``must_hold``."""
    if runs == 0:
        return "unsure"
    low, high = wilson(held, runs)
    if low >= must_hold - 1e-12:
        return "holds"
    if high < must_hold:
        return "short"
    return "unsure"


def runs_to_claim(must_hold: float) -> int | None:
    """The fewest runs, all held, whose interval's lower end reaches ``must_hold``."""
    if must_hold >= 1:
        return None
    n = 1
    while claim(n, n, must_hold) != "holds":
        n *= 2
        if n > MAX_RUNS_TO_CLAIM:
            return None
    lo, hi = n // 2, n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if claim(mid, mid, must_hold) == "holds" else (mid, hi)
    return hi


def rule(must_hold: float) -> str:
    """The definition of "holds" every report prints, with the fewest runs that can meet it."""
    need = runs_to_claim(must_hold)
    fewest = (
        f"at least {need} runs, all held, are needed to claim it"
        if need is not None
        else "no number of runs can claim it"
    )
    return (
        f"a point holds with P ≥ {must_hold:.0%} only when the lower end of the 95% Wilson "
        f"interval of its share held is at least {must_hold:.0%} ({fewest}); it falls short "
        f"when the upper end is below {must_hold:.0%}; otherwise there are not enough runs "
        "to tell"
    )


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _figure(values: Iterable[float | None]) -> FigureSpread:
    all_ = list(values)
    have = [v for v in all_ if v is not None]
    return FigureSpread(
        median=_median(have), worst=max(have, default=None), unmeasured=len(all_) - len(have)
    )


def _probes(runs: Sequence[RunSummary]) -> list[ProbeSpread]:
    """Each probe in each window it was judged in: median, worst (the value of the run with
    the smallest margin, an unmeasured value counting as the worst) and failures."""
    seen: dict[tuple[str, str], list[tuple[float, float | None, bool]]] = defaultdict(list)
    for run in runs:
        for p in run.probes:
            m = -math.inf if p.margin is None else p.margin
            seen[(p.probe, p.window)].append((m, p.value, p.ok))
    out = []
    for (probe, window), got in seen.items():
        values = [v for _, v, _ in got if v is not None]
        worst = min(got, key=lambda g: g[0])[1]
        out.append(
            ProbeSpread(
                probe=probe,
                window=window,  # type: ignore[arg-type]
                median=_median(values),
                worst=worst,
                failed=sum(not ok for _, _, ok in got),
            )
        )
    return sorted(out, key=lambda s: (WINDOWS.index(s.window), s.probe))


_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")
NO_CAUSE = "no cause recorded"


def cause_kind(title: str) -> str:
    """A cause's title without its figures: each number as "…" and what it needed (the
    bracketed parts) left out, so runs that saw the same thing count together."""
    plain = re.sub(r"\s*\([^)]*\)", "", title)
    return " ".join(_FIGURE.sub("…", plain).split())


def _cause(rows: Sequence[SweepRow]) -> Cause | None:
    """The most frequent kind of cause among deviated runs (ties: alphabetical order)."""
    deviated = [r for r in rows if not r.run.held]
    counts = Counter(cause_kind(r.cause or NO_CAUSE) for r in deviated)
    if not counts:
        return None
    kind, runs = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    example = next(r.cause or NO_CAUSE for r in deviated if cause_kind(r.cause or NO_CAUSE) == kind)
    return Cause(kind=kind, example=example, runs=runs)


def _worst_seed(rows: Sequence[SweepRow]) -> int | None:
    def rank(r: SweepRow) -> tuple[list[float], int]:
        margins = sorted(-math.inf if p.margin is None else p.margin for p in r.run.probes)
        return margins, r.seed_index

    return min(rows, key=rank).seed if rows else None


def point_answer(
    point: Mapping[str, Scalar],
    rows: Sequence[SweepRow],
    must_hold: float,
    planned: int | None = None,
    failed: int = 0,
) -> PointAnswer:
    """One point over the rows of its runs (one per seed index; a repeated index counts once)."""
    by_index = {r.seed_index: r for r in sorted(rows, key=lambda r: r.seed_index)}
    kept = [by_index[i] for i in sorted(by_index)]
    runs = [r.run for r in kept]
    held = sum(r.held for r in runs)
    n = len(runs)
    planned = max(planned if planned is not None else n + failed, n + failed)
    return PointAnswer(
        key=kept[0].key if kept else point_key(point),
        point=dict(point),
        planned=planned,
        runs=n,
        failed=failed,
        unfinished=planned - n - failed,
        held=held,
        share_held=held / n if n else None,
        interval=wilson(held, n) if n else None,
        claim=claim(held, n, must_hold),
        probes=_probes(runs),
        visible_errors=_figure(r.visible_errors for r in runs),
        db_write_outage_s=_figure(r.db_write_outage_s for r in runs),
        customer_recovery_s=_figure(r.customer_recovery_s for r in runs),
        cause=_cause(kept),
        worst_seed=_worst_seed(kept),
    )


def _order(value: Scalar) -> tuple[int, float, str]:
    """Numbers in numeric order, then text in alphabetical order."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, float(value), ""
    return 1, 0.0, str(value)


def _sort_key(point: Mapping[str, Scalar], fields: Sequence[str]) -> list[tuple[int, float, str]]:
    return [_order(point[f]) if f in point else (2, 0.0, "") for f in fields]


@dataclass(frozen=True)
class _Column:
    """Every point at one value of the frontier's field (and of ``by``): it holds only
    when each of them holds, whatever the other fields (every zone lost, say)."""

    value: Scalar
    points: tuple[PointAnswer, ...]

    @property
    def claim(self) -> Claim:
        claims = {p.claim for p in self.points}
        if claims == {"holds"}:
            return "holds"
        return "short" if "short" in claims else "unsure"

    @property
    def all_held(self) -> bool:
        return all(p.runs > 0 and p.held == p.runs for p in self.points)


def frontier(points: Sequence[PointAnswer], field: str, by: Sequence[str]) -> Frontier:
    """The smallest ``field`` that holds at each value of ``by``, over every value of the
    other fields.

    At each value of ``by``, ``smallest`` is the smallest gridded value from which this one
    and every larger one hold at every value of the other fields; a value that holds below
    one that falls short is a contradiction (larger should never hold less), listed rather
    than hidden."""
    by = [f for f in by if f != field]
    over = sorted({k for p in points for k in p.point} - {field, *by})
    groups: dict[tuple[tuple[str, str], ...], dict[str, list[PointAnswer]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for p in points:
        if field in p.point:
            at = {k: v for k, v in p.point.items() if k in by}
            groups[_same(at)][json.dumps(p.point[field])].append(p)
    steps = []
    for columns in groups.values():
        cols = sorted(
            (_Column(ps[0].point[field], tuple(ps)) for ps in columns.values()),
            key=lambda c: _order(c.value),
        )
        at = {k: v for k, v in cols[0].points[0].point.items() if k in by}
        smallest = _lowest_run(cols, lambda c: c.claim == "holds")
        all_held = _lowest_run(cols, lambda c: c.all_held)
        steps.append(
            FrontierStep(
                at=at,
                largest=cols[-1].value,
                largest_claim=cols[-1].claim,
                smallest=None if smallest is None else cols[smallest].value,
                below=cols[smallest - 1].value if smallest else None,
                all_held_from=None if all_held is None else cols[all_held].value,
                runs_at_most=max(p.runs for c in cols for p in c.points),
                contradictions=[
                    c.value
                    for i, c in enumerate(cols)
                    if c.claim == "holds" and any(d.claim == "short" for d in cols[i + 1 :])
                ],
            )
        )
    steps.sort(key=lambda s: _sort_key(s.at, by))
    return Frontier(field=field, by=by, over=over, steps=steps)


def _lowest_run(columns: Sequence[_Column], good: Callable[[_Column], bool]) -> int | None:
    """The index from which every column to the end is good, or None when the last is not."""
    start = None
    for i in range(len(columns) - 1, -1, -1):
        if not good(columns[i]):
            break
        start = i
    return start


def _numeric(points: Sequence[PointAnswer], field: str) -> bool:
    """Whether every value of ``field`` is a number (a frontier needs an order)."""
    values = [p.point[field] for p in points if field in p.point]
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def answer(
    rows: Sequence[SweepRow],
    axes: Sequence[str],
    must_hold: float = 0.95,
    *,
    planned: Sequence[Mapping[str, Scalar]] = (),
    runs_per_point: int | None = None,
    failures: Sequence[TaskFailure] = (),
    title: str = "",
    root_seed: int | None = None,
) -> SweepAnswers:
    """The sweep's answers from its rows.

    ``axes`` are the fields the frontier and the heat map use: the first (a number) is the
    field whose smallest holding value the frontier gives at each value of the second, over
    every value of the other fields. ``planned``
    (every point of the grid) and ``runs_per_point`` let a point with missing or no rows say
    how many runs it is missing; ``failures`` are the tasks that failed and left no row.
    """
    by_point: dict[tuple[tuple[str, str], ...], list[SweepRow]] = defaultdict(list)
    points: dict[tuple[tuple[str, str], ...], Mapping[str, Scalar]] = {}
    for p in planned:
        points.setdefault(_same(p), p)
    for r in rows:
        points.setdefault(_same(r.point), r.point)
        by_point[_same(r.point)].append(r)
    failed: Counter[tuple[tuple[str, str], ...]] = Counter()
    done = {(_same(r.point), r.seed_index) for r in rows}
    for f in {(_same(f.point), f.seed_index): f for f in failures}.values():
        points.setdefault(_same(f.point), f.point)
        if (_same(f.point), f.seed_index) not in done:
            failed[_same(f.point)] += 1
    fields = sorted({k for p in points.values() for k in p})
    order = [*axes, *(f for f in fields if f not in axes)]
    answers = sorted(
        (
            point_answer(p, by_point[same], must_hold, runs_per_point, failed[same])
            for same, p in points.items()
        ),
        key=lambda a: _sort_key(a.point, order),
    )
    return SweepAnswers(
        title=title,
        root_seed=root_seed,
        must_hold=must_hold,
        rule=rule(must_hold),
        runs_to_claim=runs_to_claim(must_hold),
        axes=list(axes),
        fields=fields,
        points=answers,
        frontier=frontier(answers, axes[0], axes[1:2])
        if axes and _numeric(answers, axes[0])
        else None,
    )
