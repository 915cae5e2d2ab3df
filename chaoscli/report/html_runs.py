"""The HTML report's section for ``--runs N``, from the record's runs section only: the share
that held with its 95% interval against the share required, the worst run, the spread of the
parts that vary with the seed, and one row per run."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from chaoscli.record.model import Record
from chaoscli.record.runs import RunSummary
from chaoscli.report.words import SPREAD_WORDS, fmt, label

Table = Callable[[list[str], list[list[Any]], set[int] | None], str]


def _failed(run: RunSummary) -> str:
    """A run's failed probes in a few words, or that every probe held."""
    failed = [p for p in run.probes if not p.ok]
    if not failed:
        return "every probe held"
    shown = "; ".join(f"{label(p.probe)} {p.window} {fmt(p.value, p.probe)}" for p in failed[:3])
    return shown + (f"; and {len(failed) - 3} more" if len(failed) > 3 else "")


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} s"


def section(r: Record, table: Table) -> str:
    """The runs section as HTML (empty for a single run); ``table`` draws a table with the
    report's own style."""
    if r.runs is None:
        return ""
    s = r.runs
    lo, hi = s.interval
    worst = s.runs[s.worst]
    verdict = "held" if not r.deviated else "deviated"
    targets = (
        "the fault's targets were drawn again for each seed"
        if s.targets == "per seed"
        else "the control plane was driven once, the model run with each seed"
    )
    head = (
        f"<p><b>{s.held} of {s.count} runs held</b> ({s.share_held:.0%}, 95% interval "
        f"{lo:.0%}–{hi:.0%}); the experiment needs {s.must_hold:.0%}, so the verdict over the "
        f"runs is {verdict}. Seeds spawned from {s.root_seed}; {escape(targets)}.</p>"
        f"<p>Worst run: {s.worst + 1} (seed {worst.seed}): {escape(_failed(worst))}"
        + (f", stopped at {worst.stopped_at_s:g} s" if worst.stopped_at_s is not None else "")
        + ". The other sections of this report show run 1.</p>"
    )
    spread_rows = []
    for key, (name, suffix) in SPREAD_WORDS.items():
        spread = s.spread.get(key)
        if spread is None or spread.min is None:
            continue
        cells = [spread.min, spread.median, spread.max]
        spread_rows.append(
            [name, *(f"{v:,.0f}{suffix}" if v is not None else "n/a" for v in cells)]
        )
    spreads = table(["varies with the seed", "min", "median", "max"], spread_rows, {1, 2, 3})
    rows = [
        [
            n,
            run.seed,
            "held" if run.held else "deviated",
            _seconds(run.db_write_outage_s),
            f"{run.visible_errors:,.0f}",
            _seconds(run.customer_recovery_s),
            _failed(run),
        ]
        for n, run in enumerate(s.runs, 1)
    ]
    head_row = [
        "run",
        "seed",
        "verdict",
        "database write outage",
        "visible errors",
        "customers' recovery",
        "probes",
    ]
    return head + spreads + table(head_row, rows, {0, 1, 3, 4, 5})
