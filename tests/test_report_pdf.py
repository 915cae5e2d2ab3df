"""The HTML report printed to PDF by headless Chromium, as a person would print it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.report import html

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


def print_pdf(page: Path, pdf: Path) -> None:
    """Print one HTML file to PDF with headless Chromium, no network and a throwaway profile."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A deviating run's report, printed once."""
    loaded = load(
        "az-outage",
        ["traffic.duration_s=300", "engine.samples_per_s=500", "topology.instances_per_az=16"],
    )
    j = journal.build(run(loaded, seed=0))
    d = tmp_path_factory.mktemp("pdf")
    (d / "report.html").write_text(html.render(j), encoding="utf-8")
    print_pdf(d / "report.html", d / "report.pdf")
    return {"dir": d, "journal": j}


def test_report_prints_to_a_multi_page_pdf(printed: dict) -> None:
    """Chromium produces a real PDF of several pages (the charts start on a new page)."""
    data = (printed["dir"] / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert pages >= 2


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_pdf_text_has_verdict_findings_and_every_probe(printed: dict) -> None:
    """The printed pages carry the verdict, each finding title and each probe window."""
    pdf = printed["dir"] / "report.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    j = printed["journal"]
    assert ("DEVIATED" if j.deviated else "HELD") in text
    squashed = " ".join(text.split())
    from chaoscli.report.findings import findings

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
