"""A sweep's report files in its output folder: every run as CSV and as flat JSON lines (one
row per run, the same columns, for a notebook), the answers as JSON, the Markdown and the
printable HTML page, and the heat map as its own SVG. Each file is written whole or not at
all."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from chaoscli.record.probes import PROBES
from chaoscli.record.sweep import SweepAnswers, SweepRow
from chaoscli.record.write import write_atomic

WINDOWS = ("before", "during", "after")
RUN_COLUMNS = (
    "held",
    "cause",
    "stopped_at_s",
    "visible_errors",
    "db_write_outage_s",
    "customer_recovery_s",
    "worst_margin",
    "faults",
)
FILES = {
    "csv": "runs.csv",
    "jsonl": "runs.jsonl",
    "json": "answers.json",
    "md": "summary.md",
    "html": "report.html",
    "svg": "heatmap.svg",
}


def _probe_columns(rows: Sequence[SweepRow]) -> list[str]:
    seen = {(p.window, p.probe) for r in rows for p in r.run.probes}

    def rank(key: tuple[str, str]) -> tuple[int, int, str]:
        window, probe = key
        order = PROBES.index(probe) if probe in PROBES else len(PROBES)
        return WINDOWS.index(window), order, probe

    return [f"{window}.{probe}" for window, probe in sorted(seen, key=rank)]


def flat(rows: Sequence[SweepRow]) -> tuple[list[str], list[dict[str, object]]]:
    """Every run as one flat record: its point's fields, its seed, its verdict and figures,
    and each probe's value as ``window.probe``; the columns in a fixed order."""
    fields = sorted({k for r in rows for k in r.point})
    probes = _probe_columns(rows)
    columns = ["key", *fields, "seed_index", "seed", *RUN_COLUMNS, *probes]
    out: list[dict[str, object]] = []
    for r in sorted(rows, key=lambda r: (r.key, r.seed_index)):
        values = {f"{p.window}.{p.probe}": p.value for p in r.run.probes}
        out.append(
            {
                "key": r.key,
                **{f: r.point.get(f) for f in fields},
                "seed_index": r.seed_index,
                "seed": r.seed,
                "held": r.run.held,
                "cause": r.cause,
                "stopped_at_s": r.run.stopped_at_s,
                "visible_errors": r.run.visible_errors,
                "db_write_outage_s": r.run.db_write_outage_s,
                "customer_recovery_s": r.run.customer_recovery_s,
                "worst_margin": r.run.worst_margin,
                "faults": "; ".join(r.run.faults),
                **{c: values.get(c) for c in probes},
            }
        )
    return columns, out


def runs_csv(rows: Sequence[SweepRow]) -> str:
    """Every run as CSV (an empty cell where a figure was not measured)."""
    columns, records = flat(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()


def runs_jsonl(rows: Sequence[SweepRow]) -> str:
    """Every run as one flat JSON object per line, the CSV's columns (null where missing)."""
    _, records = flat(rows)
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_reports(out: Path, answers: SweepAnswers, rows: Sequence[SweepRow]) -> list[Path]:
    """Write every report file of a sweep into ``out``; returns the paths written."""
    from chaoscli.report import sweep_charts, sweep_html, sweep_markdown

    heatmap = sweep_charts.heatmap(answers) if answers.axes and answers.points else None
    texts = {
        "csv": runs_csv(rows),
        "jsonl": runs_jsonl(rows),
        "json": answers.model_dump_json(indent=1) + "\n",
        "md": sweep_markdown.render(answers),
        "html": sweep_html.render(answers, heatmap),
    }
    if heatmap is not None:
        texts["svg"] = heatmap
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, text in texts.items():
        path = out / FILES[kind]
        write_atomic(path, text)
        written.append(path)
    return written
