"""Reports that stand alone and do not contradict themselves: the overrides next to the
title, where and when the run ran, events one per line without resource ids, the database
primary said once, numbers with thousands separators and zones told apart by more than
colour."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.record import Record
from chaoscli.report import charts, html, junit, markdown
from chaoscli.report.terminal import summary
from chaoscli.report.words import primary_note, short_event

SHORT = ["traffic.duration_s=300", "engine.samples_per_s=500"]
RESOURCE_ID = re.compile(r"\b(?:i|subnet|acl|sg|vpc)-[0-9a-f]{8,}\b")


@pytest.fixture(scope="module")
def router() -> Record:
    """router-failure, a counter-example whose model fails the database over, with overrides."""
    return journal.build(run(load("router-failure", [*SHORT, "topology.instances_per_az=30"])))


def _terminal(r: Record) -> str:
    """The terminal summary as plain text."""
    console = Console(width=80, file=io.StringIO(), no_color=True)
    console.print(summary(r))
    return str(console.file.getvalue())


def test_every_format_shows_the_overrides_with_the_title(router: Record) -> None:
    """A run with --set is not titled as the shipped file, in any format."""
    override = "--set topology.instances_per_az=30"
    page = html.render(router)
    title_block = page[page.index("<h1>") : page.index('<div class="meta">')]
    assert override in title_block
    assert override in markdown.render(router).splitlines()[0]
    assert override in " ".join(_terminal(router).split()[:20])
    assert f'name="title" value="{router.title} (with' in junit.render(router)


def test_html_and_markdown_say_where_and_when_it_ran(router: Record) -> None:
    """The wall-clock times, the file's digest, the endpoint and the version appear."""
    digest = router.provenance.experiment_sha256
    assert digest is not None and router.start[:4] >= "2024"
    for text in (html.render(router), markdown.render(router)):
        assert digest in text
        assert router.start[:10] in text and "UTC" in text
        assert "in-process moto" in text and router.chaoscli_version in text


def test_events_are_one_per_line_without_resource_ids(router: Record) -> None:
    """The HTML event list has a row per event, each named without the ids the journal keeps."""
    page = html.render(router)
    table = page[page.index('<table class="events">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td", table)
    assert len(rows) == len(router.events)
    assert any(RESOURCE_ID.search(e.message) for e in router.events)
    assert not RESOURCE_ID.search(table)
    assert short_event("stopped 3 instance(s): i-0123456789abcdef0 and 2 more") == (
        "stopped 3 instance(s)"
    )


def test_the_database_primary_is_said_once_and_plainly(router: Record) -> None:
    """The model moves the primary, moto does not: each format says so once, and none says
    the primary both moved and stayed."""
    m, after = router.metrics, router.topology.after
    assert m is not None and after is not None and after.database is not None
    assert m.db_primary_az.after != after.database.primary_az
    note = primary_note(router)
    assert "moto does not move a Multi-AZ primary" in note
    for text in (html.render(router), markdown.render(router), _terminal(router)):
        flat = " ".join(text.split())
        assert flat.count("moto does not move a Multi-AZ primary") == 1
        assert "where it began; no failback needed" not in flat


def test_charts_print_thousands_separators_and_zone_styles(router: Record) -> None:
    """Axis ticks read 200,000, not 200000; each zone's line differs in style and marker."""
    labels = [t.strip() for t in re.findall(r"<text[^>]*>([^<]+)</text>", charts.load(router))]
    assert "200,000" in labels
    assert not [t for t in labels if re.fullmatch(r"\d{4,}", t)]
    styles = {(s["ls"], s["marker"]) for n in range(3) for s in [charts._zone_style(n, 3, 300)]}
    assert len(styles) == 3
