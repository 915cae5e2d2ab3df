"""The shipped az-outage holds the real power loss because of its mitigations, each measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoscli.experiment.mitigation_table import VARIANTS, Row, markdown, measure

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- mitigation-table:start -->\n", "<!-- mitigation-table:end -->"


@pytest.fixture(scope="module")
def rows() -> dict[str, Row]:
    """Every variant of the table, measured once."""
    return {v.name: measure(v) for v in VARIANTS}


@pytest.mark.slow
def test_readme_mitigation_table_is_the_measured_one(rows: dict[str, Row]) -> None:
    """The README's table is ``python -m chaoscli.experiment.mitigation_table``'s output."""
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    assert text.split(START, 1)[1].split(END, 1)[0] == markdown(list(rows.values()))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variant", "probe"),
    [
        ("cross-zone on, AWS's default health checks", "during availability"),
        ("cross-zone on, AWS's default checks, one client attempt", "during availability"),
        ("no order queue", "during order_success_ratio"),
        ("two zones below the peak: 18 instances a zone", "during availability"),
        ("clients' connect timeout 3 s", "during slow_request_ratio"),
        ("cross-zone routing on", "during slow_request_ratio"),
    ],
)
def test_counter_examples_deviate_for_their_reason(
    rows: dict[str, Row], variant: str, probe: str
) -> None:
    """Each mitigation taken away breaks the probe it protects, while the shop holds."""
    assert rows[VARIANTS[0].name].held
    assert not rows[variant].held and probe in rows[variant].failed, rows[variant].failed
