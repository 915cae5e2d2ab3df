"""Words a reader can trust: only a change the model re-ran is called a fix, a p99 change is
signed and carries its unit, and sentences built from pieces never double their punctuation."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from chaoscli.experiment import journal
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.record import Record
from chaoscli.record.findings import Finding, Fix, FixCheck, FixResult
from chaoscli.record.model import Stop
from chaoscli.record.probes import fmt
from chaoscli.report import html, junit, markdown
from chaoscli.report.terminal import print_summary
from chaoscli.report.words import verdict_line

QUEUE_ADVICE = "Keep the order queue, and make sure its depth drains within the failover window."


@pytest.fixture(scope="module")
def outage() -> Record:
    """A short az-outage: it held, with a database finding that has advice and no change."""
    loaded = load("az-outage", ["traffic.duration_s=300", "engine.samples_per_s=500"])
    return journal.build(run(loaded, seed=0))


def _terminal(r: Record) -> str:
    buf = io.StringIO()
    print_summary(r, Console(file=buf, width=80, color_system=None))
    return buf.getvalue()


def _result(verdict: str) -> FixResult:
    return FixResult.model_validate(
        {
            "verdict": verdict,
            "held": verdict == "held",
            "visible_errors": 10,
            "worst_second_success_ratio": 0.999,
            "p99_latency_ms": 20,
            "failed_probes": [] if verdict == "held" else ["during/availability"],
        }
    )


def _findings(outage: Record) -> Record:
    """Five findings: a fix re-run that held, one re-run that helped, a change nothing
    re-ran, one whose re-run did not help, and advice with no change."""

    def one(title: str, words: str, result: FixResult | None, set_: bool = True) -> Finding:
        fix = Fix(words=words, set={"clients.max_attempts": 3}, result=result) if set_ else None
        return Finding(title=title, detail="What happened.", fix=fix)

    found = [
        one("Held when re-run", "RERUN-HELD words.", _result("held")),
        one("Helped when re-run", "RERUN-HELPS words.", _result("helps")),
        one("Not re-run", "NOT-RERUN words.", None),
        one("Did not help", "DID-NOT-HELP words.", _result("no_better")),
        Finding(title="Advice only", detail="What happened.", advice="ADVICE-ONLY words."),
    ]
    return outage.model_copy(
        update={"findings": found, "fixes": FixCheck(status="verified", reruns=3)}
    )


def test_the_fix_label_appears_only_with_a_re_run_verdict(outage: Record) -> None:
    """ "fix" labels exactly the two changes the model re-ran and found to help; the change
    nothing re-ran is a proposal, the rest advice, in the terminal, Markdown and HTML."""
    r = _findings(outage)
    rerun = ("RERUN-HELD", "RERUN-HELPS")
    others = ("NOT-RERUN", "DID-NOT-HELP", "ADVICE-ONLY")
    text = " ".join(_terminal(r).split())
    assert [m.group(1) for m in re.finditer(r"\bfix: (\S+)", text)] == list(rerun)
    assert "proposal: NOT-RERUN" in text
    assert "advice: ADVICE-ONLY" in text and "DID-NOT-HELP" not in text
    md = markdown.render(r)
    assert [m.group(1) for m in re.finditer(r"\*Fix:\* (\S+)", md)] == list(rerun)
    page = html.render(r)
    assert [m.group(1) for m in re.finditer(r"<b>Fix:</b> (\S+)", page)] == [*rerun, *rerun]
    for words in others:
        for out in (text, md, page):
            assert not re.search(rf"[Ff]ix:\W+{words}", out)


def test_advice_with_no_change_to_re_run_is_never_a_fix(outage: Record) -> None:
    """The shipped run's database finding (nothing to re-run) reads as advice."""
    text = " ".join(_terminal(outage).split())
    assert f"advice: {QUEUE_ADVICE}" in text
    assert f"fix: {QUEUE_ADVICE}" not in text
    assert f"*Advice:* {QUEUE_ADVICE}" in markdown.render(outage)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-0.0933, "-0.093 ms"), (93.4, "+93 ms"), (10709.2, "+10,709 ms"), (-4.25, "-4.2 ms")],
)
def test_a_p99_change_is_signed_with_its_unit(value: float, shown: str) -> None:
    """A p99 increase reads "+93 ms", a decrease "-0.093 ms": never a bare "-0.0933"."""
    assert fmt(value, "p99_increase_ms") == shown


def test_every_format_prints_the_p99_change_the_same_way(outage: Record) -> None:
    """The probe table of each format shows the signed value and its signed bound."""
    p = next(p for p in outage.hypothesis.probes if p.probe == "p99_increase_ms")
    shown = fmt(p.value, p.probe)
    assert shown[0] in "+-" and shown.endswith(" ms")
    assert p.bound == "<= +1,000 ms"
    for text in (_terminal(outage), markdown.render(outage), html.render(outage)):
        assert shown in text and "+1,000 ms" in text


DOUBLED = re.compile(r"\.[)*]*[.;,]|;\s*[.;]|,\s*[.;]")


def test_pieces_ending_in_punctuation_never_double_it(outage: Record) -> None:
    """A stop reason, an advice and a title that end in a full stop (a CloudWatch alarm's
    own reason does) still give sentences without ".).;", ".." or ".;"."""
    reason = "alarm shop-5xx in ALARM: Threshold Crossed: 3 datapoints above (1.0)."
    stopped = outage.model_copy(
        update={
            "deviated": True,
            "stopped": Stop(t=150, condition=0, reason=reason),
            "findings": [
                Finding(
                    title="Stop condition tripped.",
                    detail="The method ended early.",
                    advice="Look at the alarm.",
                    fix=Fix(words="", set={"clients.max_attempts": 3}, result=_result("worse")),
                )
            ],
        }
    )
    _, why = verdict_line(stopped)
    assert "(1.0))" in why
    texts = [why, _terminal(stopped), markdown.render(stopped), junit.render(stopped)]
    for text in texts:
        flat = " ".join(text.split())
        assert not DOUBLED.search(flat), DOUBLED.search(flat)
