"""The HTML report printed to PDF by headless Chromium, as a person would print it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chaoscli.cli.readme import CHROMIUM, chromium
from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.report import html, impact
from chaoscli.report.findings import findings

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


def print_pdf(page: Path, pdf: Path) -> None:
    """Print one HTML file to PDF with headless Chromium, no network and a throwaway profile."""
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())


PAPERS = ("A4", "Letter")


def on_paper(page: str, paper: str) -> str:
    """The report as printed on one paper size, as a print dialog's choice would set it."""
    return page.replace("</head>", f"<style>@page {{ size: {paper}; }}</style></head>", 1)


def pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    """The text of a PDF (of pages first to last), as poppler's pdftotext lays it out."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A deviating run's report with an override, printed once on A4 and once on Letter."""
    loaded = load(
        "az-outage",
        ["traffic.duration_s=300", "engine.samples_per_s=500", "topology.instances_per_az=16"],
    )
    j = journal.build(run(loaded, seed=0))
    d = tmp_path_factory.mktemp("pdf")
    page = html.render(j)
    (d / "report.html").write_text(page, encoding="utf-8")
    print_pdf(d / "report.html", d / "report.pdf")
    for paper in PAPERS:
        (d / f"{paper}.html").write_text(on_paper(page, paper), encoding="utf-8")
        print_pdf(d / f"{paper}.html", d / f"{paper}.pdf")
    return {"dir": d, "journal": j}


def test_report_prints_to_a_multi_page_pdf(printed: dict) -> None:
    """Chromium produces a real PDF of several pages (the details start on page 2)."""
    data = (printed["dir"] / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert pages >= 2


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
@pytest.mark.parametrize("paper", PAPERS)
def test_page_1_is_the_summary(printed: dict, paper: str) -> None:
    """On A4 and on Letter, page 1 alone holds the verdict, the overrides next to the title,
    the impact in customers' terms (failed requests, orders, the worst minute) with thousands
    separators, every finding with its fix, and the main chart whole (its title, axes and
    legend, whose tick labels print as text)."""
    pdf = printed["dir"] / f"{paper}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    assert ("A4" if paper == "A4" else "letter") in info.stdout
    j = printed["journal"]
    page1 = " ".join(pdf_text(pdf, 1, 1).split())
    assert ("DEVIATED" if j.deviated else "HELD") in page1
    assert "topology.instances_per_az=16" in page1
    m = j.metrics
    assert m is not None and m.visible_errors >= 1000
    assert "failed requests" in page1 and f"{m.visible_errors:,.0f}" in page1
    assert f"{m.requests:,.0f}" in page1
    assert "orders not taken" in page1 and f"{m.orders - m.orders_acked:,.0f}" in page1
    minute = impact.worst_minute(j.timeline)
    assert minute is not None and f"{minute.failed_share:.1%} failed" in page1
    found = findings(j)
    assert found
    for f in found:
        assert " ".join(f.title.split()) in page1
        if f.fix:
            assert " ".join(f.fix.split())[:60] in page1
    for words in ("Customer requests per second", "virtual time (s)", "offered req/s"):
        assert words in page1
    peak = f"{max(s.requests for s in j.timeline):,.0f}"
    axis = [f"{v:,}" for v in range(50_000, 250_001, 50_000)]
    assert any(tick in page1 for tick in axis), peak
    assert not re.search(r"\b[1-9]\d{4,}\b", page1.split("SHA-256")[0])  # no 200000
    later = pdf_text(pdf, 2)
    assert "Findings in detail" in later and "Findings in detail" not in page1


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_pdf_text_has_verdict_findings_and_every_probe(printed: dict) -> None:
    """The printed pages carry the verdict, each finding title and each probe window."""
    text = pdf_text(printed["dir"] / "report.pdf")
    j = printed["journal"]
    assert ("DEVIATED" if j.deviated else "HELD") in text
    squashed = " ".join(text.split())
    for f in findings(j):
        assert " ".join(f.title.split()) in squashed
    assert "Customer requests per second" in text


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils is not installed")
def test_pdf_pages_are_not_blank(printed: dict) -> None:
    """Every page rasterises with ink on it (a broken print gives empty pages)."""
    d = printed["dir"]
    subprocess.run(
        ["pdftoppm", "-r", "20", "-gray", str(d / "report.pdf"), str(d / "p")], check=True
    )
    pages = sorted(d.glob("p-*.pgm"))
    assert pages
    for page in pages:
        raw = page.read_bytes()
        pixels = raw.split(b"\n", 3)[3]
        assert min(pixels) < 128  # some dark text or lines
