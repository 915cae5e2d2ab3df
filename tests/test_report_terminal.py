"""The terminal summary: 80 columns, no control codes when piped, NO_COLOR, the sparkline."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.record import Record
from chaoscli.report.terminal import BARS, print_summary, sparkline


@pytest.fixture(scope="module")
def j() -> Record:
    """A short az-outage run record."""
    loaded = load("az-outage", ["traffic.duration_s=300", "engine.samples_per_s=500"])
    return journal.build(run(loaded, seed=0))


def _print(j: Record, **kw: Any) -> str:
    """The summary as printed to an in-memory console."""
    buf = io.StringIO()
    print_summary(j, Console(file=buf, **kw))
    return buf.getvalue()


def test_fits_80_columns_even_on_a_wide_terminal(j: Record) -> None:
    """No line is wider than 80 characters, whatever the terminal width."""
    text = _print(j, width=200, force_terminal=True, color_system=None)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_no_control_codes_when_piped(j: Record) -> None:
    """Output to a non-terminal carries no escape sequences."""
    assert "\x1b" not in _print(j, width=80)


def test_no_color_drops_colours(j: Record, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under NO_COLOR a terminal still gets no colour codes (bold is allowed)."""
    monkeypatch.setenv("NO_COLOR", "1")
    text = _print(j, width=80, force_terminal=True, color_system="truecolor")
    assert "\x1b[38;" not in text and "\x1b[3" + "1m" not in text and "\x1b[32m" not in text
    monkeypatch.delenv("NO_COLOR")
    coloured = _print(j, width=80, force_terminal=True, color_system="truecolor")
    assert "\x1b[" in coloured


def test_summary_names_the_verdict_and_marks_the_fault(j: Record) -> None:
    """The last paragraph is the verdict; the sparkline has a ruler marking the fault window."""
    lines = _print(j, width=80).rstrip().splitlines()
    rollback = max(i for i, line in enumerate(lines) if line.startswith("rollback: "))
    verdict = next(i for i in range(rollback + 1, len(lines)) if not lines[i].startswith(" "))
    assert lines[verdict].startswith("HELD" if not j.deviated else "DEVIATED")
    assert " ".join(lines[verdict:]).endswith(".")
    spark = next(i for i, line in enumerate(lines) if line.startswith("success/s "))
    assert "^" in lines[spark + 1] and lines[spark + 1].endswith("fault")


@given(st.lists(st.floats(0, 1), min_size=1, max_size=500), st.integers(1, 80))
def test_sparkline_length_and_alphabet(values: list[float], width: int) -> None:
    """One bar per span, never more than the width, drawn from the bar alphabet."""
    line = sparkline(values, width)
    assert len(line) == min(width, len(values))
    assert set(line) <= set(BARS)


@given(st.integers(0, 599), st.floats(0, 0.98))
def test_sparkline_shows_a_dip_where_it_happened(at: int, dip: float) -> None:
    """A bad second lowers the bar that covers it and no other."""
    values = [1.0] * 600
    values[at] = dip
    line = sparkline(values, 60, floor=0.98)
    assert line[at * 60 // 600] == BARS[0]
    assert set(line[: at * 60 // 600] + line[at * 60 // 600 + 1 :]) <= {BARS[-1]}
