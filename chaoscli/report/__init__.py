"""Reports made from a run record: terminal, Markdown, HTML, JUnit XML and the journal's JSON."""

from __future__ import annotations

import json
from pathlib import Path

from chaoscli.errors import SpecError
from chaoscli.record.model import Record
from chaoscli.record.write import write_atomic

FORMATS = ("md", "html", "json", "junit")
EXTENSIONS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".xml": "junit",
}


def format_for(path: Path) -> str:
    """The report format a file name asks for, from its extension."""
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise SpecError(str(path), "", f"cannot tell the report format (use one of {known})")
    return fmt


def render(record: Record, fmt: str) -> str:
    """One record in one format; the heavier renderers load only when asked for."""
    if fmt == "json":
        return json.dumps(record.dump(), indent=1) + "\n"
    if fmt == "md":
        from chaoscli.report import markdown

        return markdown.render(record)
    if fmt == "html":
        from chaoscli.report import html

        return html.render(record)
    if fmt == "junit":
        from chaoscli.report import junit

        return junit.render(record)
    raise SpecError(fmt, "", f"unknown report format (use one of {', '.join(FORMATS)})")


def write(record: Record, path: Path, fmt: str | None = None) -> str:
    """Write one report, whole or not at all; returns the format used."""
    fmt = fmt or format_for(path)
    write_atomic(path, render(record, fmt))
    return fmt
