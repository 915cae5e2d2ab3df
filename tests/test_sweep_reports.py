"""A sweep's reports from hand-built rows: the terminal table in 80 columns, Markdown, the
printable HTML page with its heat map, and every run as CSV and JSON lines; each says the
rule "holds" was checked against and claims no more."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from chaoscli.record.runs import ProbeValue
from chaoscli.record.sweep import SweepAnswers, SweepRow
from chaoscli.report import (
    sweep_charts,
    sweep_files,
    sweep_html,
    sweep_markdown,
    sweep_terminal,
    sweep_words,
)
from chaoscli.sweep.answers import answer, runs_to_claim
from chaoscli.sweep.bisect import find_min
from tests.test_sweep_answers import RATE, N, row


@pytest.fixture(scope="module")
def rows() -> list[SweepRow]:
    """Three counts × two rates, 20 runs each: 4 never holds, 6 holds 19 of 20 at the low
    rate, 8 always holds; one run of 8 at the high rate is missing."""
    out = []
    for n, held_of in ((4, (0, 0)), (6, (19, 12)), (8, (20, 20))):
        for rate, held in zip((200_000, 1_000_000), held_of, strict=True):
            for i in range(20):
                if (n, rate, i) == (8, 1_000_000, 19):
                    continue
                ok = i < held
                out.append(
                    row(
                        {N: n, RATE: rate},
                        i,
                        ok,
                        0.9995 if ok else 0.97 + i / 1000,
                        errors=0 if ok else 1000 + i,
                        outage=30 + i,
                        cause=None if ok else f"Overload after the zone loss: {100 + i}% busy",
                    )
                )
    return out


@pytest.fixture(scope="module")
def answers(rows: list[SweepRow]) -> SweepAnswers:
    return answer(rows, [N, RATE], runs_per_point=20, title="capacity", root_seed=7)


def _terminal(a: SweepAnswers) -> str:
    buf = io.StringIO()
    sweep_terminal.print_summary(a, Console(file=buf, width=200, no_color=True))
    return buf.getvalue()


def test_terminal_table_fits_80_columns_and_claims_only_what_was_checked(
    answers: SweepAnswers,
) -> None:
    """One row per point with its share and interval; 19 of 20 is "?" (too few runs), never
    ✓; the rule and the missing run are said."""
    text = _terminal(answers)
    assert max(len(line) for line in text.splitlines()) <= 80
    line = next(ln for ln in text.splitlines() if re.match(r"\s+6\s+200,000\s", ln))
    assert "19/20" in line and "95% [76–99%]" in line and "?" in line and "✓" not in line
    # the legend gives each figure's range over the points (their first runs: 100%, 112%, 119%)
    assert "1. Overload after the zone loss: 100–119% busy" in text
    assert re.search(r"\s8\s+1,000,000\s+19/19\s+1\s+100% \[83–100%\] \?", text)
    assert "missing: 1 run left no row (0 failed, 1 unfinished)" in text
    assert "lower end of the 95% Wilson interval" in " ".join(text.split())
    assert "✓" not in text.split("✓ holds with")[0]  # no point claims it
    assert "not enough runs to claim P ≥ 95%" in " ".join(text.split())


def test_markdown_says_the_rule_the_frontier_and_each_point(answers: SweepAnswers) -> None:
    """A table row per point, the weaker "every run held from" said as such, the rule."""
    md = sweep_markdown.render(answers)
    table = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert len(table) == 1 + len(answers.points)
    assert "| 6 | 200,000 | 19/20 |  | 95% [76–99%] | ❔ too few runs to tell |" in md
    assert "| 8 | 1,000,000 | 19/19 | 1 | 100% [83–100%] |" in md
    assert "every run held from 8 upward" in md
    assert f"a claim needs {runs_to_claim(0.95)}, all held" in md
    assert "Missing runs" in md and "0 failed, 1 unfinished" in md
    # the cause with its figures, not only its kind ("…% busy")
    first = "Overload after the zone loss: 100% busy"
    assert f"Overload after the zone loss: …% busy (20 of 20; the first: {first}) |" in md
    assert "Overload after the zone loss: 119% busy (1 of 1) |" in md


def test_html_page_is_self_contained_with_a_heat_map(answers: SweepAnswers) -> None:
    """One file with inline SVG (one cell per point), the rule and no fetched resource."""
    page = sweep_html.render(answers)
    assert page.count("<svg") == 1 and "share of runs held" in page
    for text in ("19/20 ?", "0/20 ✗", "20/20 ?"):
        assert text in page
    assert "lower end of the 95% Wilson interval" in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)


def test_heat_map_is_repeatable(answers: SweepAnswers) -> None:
    """The same answers draw the same SVG, byte for byte."""
    assert sweep_charts.heatmap(answers) == sweep_charts.heatmap(answers)


def test_a_third_varying_field_gets_a_map_per_value_and_every_point_its_cell(
    tmp_path: Path,
) -> None:
    """Counts x rates x retry attempts: one map per attempts value, titled with it, in the
    page and in heatmap.svg; every point's own "k/n" is drawn, none left out."""
    third = "clients.max_attempts"
    rows, held_of = [], {}
    for k, (n, rate, tries) in enumerate(
        (n, rate, tries) for n in (4, 6, 8) for rate in (200_000, 1_000_000) for tries in (1, 2, 3)
    ):
        held_of[(n, rate, tries)] = k  # a count no other point has
        rows += [row({N: n, RATE: rate, third: tries}, i, i < k) for i in range(20)]
    a = answer(rows, [N, RATE, third], runs_per_point=20, title="three fields", root_seed=1)
    sweep_files.write_reports(tmp_path, a, rows)
    svg = (tmp_path / "heatmap.svg").read_text()
    page = (tmp_path / "report.html").read_text()
    for text in (svg, page):
        for tries in (1, 2, 3):
            assert f"{third}={tries}" in text
        for k in held_of.values():
            assert re.search(rf">{k}/20 [✓✗?]<", text), k
        assert "more maps" not in text


def test_csv_and_json_lines_hold_every_run_with_the_same_columns(
    rows: list[SweepRow],
) -> None:
    """One line per run in both; a notebook reads the same columns and values from either."""
    table = list(csv.DictReader(io.StringIO(sweep_files.runs_csv(rows))))
    lines = [json.loads(x) for x in sweep_files.runs_jsonl(rows).splitlines()]
    assert len(table) == len(lines) == len(rows)
    assert list(table[0]) == list(lines[0])
    assert {N, RATE, "seed", "held", "cause", "during.availability"} <= set(lines[0])
    by_seed = {(r[N], r[RATE], r["seed_index"]): r for r in lines}
    one = by_seed[(4, 200_000, 3)]
    assert one["held"] is False and one["during.availability"] == pytest.approx(0.973)
    assert one["visible_errors"] == 1003


def test_write_reports_writes_every_file(
    tmp_path: Path, answers: SweepAnswers, rows: list[SweepRow]
) -> None:
    """The answers, the reports, the heat map and the runs, each a whole file; the answers
    read back to the same model."""
    written = sweep_files.write_reports(tmp_path / "out", answers, rows)
    assert sorted(p.name for p in written) == sorted(sweep_files.FILES.values())
    back = SweepAnswers.model_validate_json((tmp_path / "out" / "answers.json").read_text())
    assert back == answers
    assert (tmp_path / "out" / "heatmap.svg").read_text().startswith("<svg")


def test_find_min_says_the_boundary_every_probe_and_a_contradiction() -> None:
    """The value found and its neighbour below, the values tried in order, and a warning
    when they contradict monotonicity."""
    good = find_min([2, 4, 6, 8, 10], lambda v: "holds" if int(v) >= 6 else "short")
    text = "\n".join(sweep_terminal.find_min_lines(good, N))
    assert f"{N}: 6 is the smallest value that holds; 4 falls short." in text
    assert "tried in order: 10 holds, 2 falls short, 6 holds, 4 falls short, 8 holds." in text
    assert "not monotone" not in text
    bad = find_min([2, 4, 6, 8, 10], lambda v: "holds" if v == 2 else "short")
    text = " ".join(" ".join(sweep_terminal.find_min_lines(bad, N)).split())
    assert "no value tried holds; the largest, 10, falls short" in text
    assert "not monotone: 2 holds but 10 falls short" in text


def test_find_min_with_too_few_runs_says_so_not_that_the_value_deviated() -> None:
    """Every run of the largest value held but too few to claim it: the line says there
    are too few runs to tell (the counter-example: "deviated" for a value that held)."""
    few = find_min([8, 16, 24, 32], lambda v: "unsure" if v == 32 else "short")
    text = " ".join(" ".join(sweep_terminal.find_min_lines(few, N)).split())
    assert "the largest, 32, has too few runs to tell" in text
    assert "32 has too few runs to tell, 8 falls short" in text
    assert "deviated" not in text


def test_a_frontier_where_every_value_falls_short_says_so_not_that_runs_are_few() -> None:
    """When each value's interval lies below must_hold, more runs would not help: the frontier
    says every value falls short (the counter-example: "not enough runs to claim")."""
    rows = [
        row({N: n}, i, False, 0.5, errors=1000, outage=30, cause="Overloaded")
        for n in (2, 3)
        for i in range(5)
    ]
    text = " ".join(_terminal(answer(rows, [N], runs_per_point=5, title="short")).split())
    assert "no value tried holds with P ≥ 95%: every one falls short" in text
    assert "not enough runs to claim" not in text


def test_frontier_says_when_even_the_largest_value_falls_short() -> None:
    """The largest count falls short (a smaller one has too few runs to tell): "no value
    tried holds", not "not enough runs"."""
    rows = [row({N: 2}, i, True) for i in range(2)]
    rows += [row({N: 4}, i, False) for i in range(10)]
    a = answer(rows, [N])
    assert a.frontier is not None
    (step,) = a.frontier.steps
    assert (step.largest, step.largest_claim) == (4, "short")
    line = sweep_words.frontier_line(a, step)
    assert "no value tried holds with P ≥ 95% (the largest, 4, falls short)" in line


def test_a_wide_grid_keeps_the_claim_and_gives_up_detail_to_fit() -> None:
    """Three axes with long values: still 80 columns, every point's mark still shown, the
    latency column left out before the share or the claim."""
    rows = []
    for n in (80, 100):
        for rate in (600_000, 1_000_000):
            for az in ("ap-south-1a", "ap-south-1b", "ap-south-1c"):
                for i in range(3):
                    r = row({N: n, RATE: rate, "az": az}, i, n == 100, errors=1_234_567)
                    r.run.probes.append(
                        ProbeValue(
                            probe="p99_increase_ms",
                            window="during",
                            value=12000.0,
                            ok=False,
                            margin=-11.0,
                        )
                    )
                    rows.append(r)
    text = _terminal(answer(rows, [N, RATE, "az"]))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    table = [ln for ln in lines if "ap-south-1" in ln and "/3" in ln]
    assert len(table) == 12 and all(("✗" in ln) != ("?" in ln) for ln in table)
    assert "p99 rise" not in text and "P(held)" in text


def test_a_causes_figures_are_given_as_their_range_and_left_out_when_they_do_not_line_up() -> None:
    """Each "…" of a kind becomes the lowest–highest of its figure (by value, not as text);
    examples whose figures do not match the kind's leave it as it is."""
    ranged = sweep_words._ranged
    titles = ["Detection took 9 s (3 checks)", "Detection took 14 s", "Detection took 1,200 s"]
    assert ranged("Detection took … s", titles) == "Detection took 9–1,200 s"
    assert ranged("Detection took … s", ["Detection took 14 s"]) == "Detection took 14 s"
    assert ranged("Detection took … s", ["Detection took 14 s of 20"]) == "Detection took … s"
