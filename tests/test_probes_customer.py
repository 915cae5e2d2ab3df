"""The hypothesis judges latency against the customer: requests slower than their patience,
p99 against the before window, and how long an order waits to commit; each can make a run
deviate on its own, and the verdict sentence never calls a felt fault unnoticed."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from chaoscli.experiment import journal
from chaoscli.experiment.hypothesis import check
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import Outcome, run
from chaoscli.experiment.spec import HypothesisSpec
from chaoscli.report import html, junit, markdown, terminal
from chaoscli.report.words import verdict_line

SHORT = ["engine.samples_per_s=500", "traffic.duration_s=240"]
WINDOW = ["at_s=60", "duration_s=120"]


def _failed(out: Outcome) -> set[tuple[str, str]]:
    return {(p.window, p.probe) for p in out.probes if not p.ok}


@pytest.fixture(scope="module")
def slowdown() -> Outcome:
    """200 ms more in one zone of three: a third of requests answer in about 220 ms."""
    return run(load("az-slowdown", SHORT, ["latency_ms=200", *WINDOW]), seed=0)


def test_slow_share_counts_the_requests_past_patience(slowdown: Outcome) -> None:
    """With 2 s of patience nobody waits too long; with 0.2 s the slow zone's third does."""
    during = slowdown.windows["during"]
    assert not slowdown.deviated and during.slow_requests == 0
    impatient = run(
        load("az-slowdown", [*SHORT, "hypothesis.patience_s=0.2"], ["latency_ms=200", *WINDOW]),
        seed=0,
    )
    share = impatient.windows["during"].slow_request_ratio
    assert 0.28 < share < 0.38
    assert impatient.windows["before"].slow_request_ratio < 0.001


def test_the_slow_share_alone_makes_a_run_deviate() -> None:
    """Customers with 200 ms of patience: every request succeeded and p99 rose far less than
    a second, yet the slowdown deviates on slow requests alone."""
    out = run(
        load("az-slowdown", [*SHORT, "hypothesis.patience_s=0.2"], ["latency_ms=200", *WINDOW]),
        seed=0,
    )
    assert out.deviated
    assert _failed(out) == {("during", "slow_request_ratio")}
    assert out.windows["during"].availability == 1.0


def test_the_p99_increase_alone_makes_a_run_deviate() -> None:
    """1.5 s more in one zone without the experiment's absolute p99 bound: no request failed
    or waited past 2 s, but p99 rose more than a second above the before window's."""
    sets = [*SHORT, "hypothesis.p99_latency_ms={}"]
    out = run(load("az-slowdown", sets, ["latency_ms=1500", *WINDOW]), seed=0)
    assert _failed(out) == {("during", "p99_increase_ms")}
    rise = next(p.value for p in out.probes if p.probe == "p99_increase_ms")
    during, before = out.windows["during"], out.windows["before"]
    assert rise == pytest.approx(during.p99_latency_ms - before.p99_latency_ms)
    assert rise > 1400 and during.slow_requests == 0 and during.visible_errors == 0


def test_p99_over_before_is_there_to_bound_when_asked(slowdown: Outcome) -> None:
    """Unbounded by default, p99 over the before window fails the 200 ms slowdown when an
    experiment asks for at most 5x: the tail is many times the steady state's."""
    assert "p99_over_before" not in {p.probe for p in slowdown.probes}
    sets = [*SHORT, "hypothesis.p99_over_before.max=5"]
    out = run(load("az-slowdown", sets, ["latency_ms=200", *WINDOW]), seed=0)
    assert _failed(out) == {("during", "p99_over_before")}
    ratio = next(p.value for p in out.probes if p.probe == "p99_over_before")
    during, before = out.windows["during"], out.windows["before"]
    assert ratio == pytest.approx(during.p99_latency_ms / before.p99_latency_ms) and ratio > 5


def test_the_commit_delay_alone_makes_a_run_deviate() -> None:
    """A failover of 200 s: the order queue takes every order and loses none, but the first
    ones wait 200 s to reach the database, past the 180 s bound."""
    sets = [*SHORT, "topology.database.failover_s=[200, 200]"]
    out = run(load("rds-failover", sets, ["at_s=20", "duration_s=210"]), seed=0)
    assert _failed(out) == {("during", "order_commit_delay_s")}
    assert out.windows["during"].order_commit_delay_s == pytest.approx(200, abs=2)
    assert out.windows["during"].order_success_ratio == 1.0
    assert out.windows["before"].order_commit_delay_s < 1


def test_a_probe_relative_to_before_is_not_judged_in_it(slowdown: Outcome) -> None:
    """The p99 increase is judged during and after the fault, not in the before window, nor
    in a run without one; a probe with no bound is not part of the hypothesis."""
    judged = {(p.window, p.probe) for p in slowdown.probes}
    assert ("during", "p99_increase_ms") in judged and ("after", "p99_increase_ms") in judged
    assert ("before", "p99_increase_ms") not in judged
    spec = HypothesisSpec.model_validate({"strategy": "continuously", "p99_latency_ms": {}})
    without_before = {k: v for k, v in slowdown.windows.items() if k != "before"}
    probes = {p.probe for p in check(spec, without_before)}
    assert "p99_increase_ms" not in probes and "p99_latency_ms" not in probes
    assert "slow_request_ratio" in probes


def test_patience_must_be_positive() -> None:
    """A patience of zero or less is refused, naming the field."""
    from chaoscli.errors import SpecError

    with pytest.raises(SpecError, match="patience_s"):
        load("az-slowdown", ["hypothesis.patience_s=0"])


def test_a_felt_fault_is_never_unnoticed_even_when_it_held() -> None:
    """A zone outage whose experiment bounds no slow requests holds, and the sentence says
    how many requests waited past 2 s instead of calling it unnoticed."""
    unbounded = [
        "clients.connect_timeout_s=3",
        "hypothesis.slow_request_ratio.max=1",
        "hypothesis.p99_increase_ms.max=60000",
    ]
    r = journal.build(run(load("az-outage", [*SHORT, *unbounded], WINDOW), seed=0))
    word, why = verdict_line(r)
    assert word == "HELD" and r.metrics is not None
    assert "would not have noticed" not in why and "customers felt the fault" in why
    slow = r.windows["during"].slow_requests + r.windows["after"].slow_requests
    assert slow > 1000 and f"{round(slow):,} waited past 2 s" in why


def test_reports_show_the_new_probes(slowdown: Outcome) -> None:
    """Every format names the slow requests, the p99 increase and the commit delay."""
    r = journal.build(slowdown)
    word, why = verdict_line(r)
    assert word == "HELD" and "no request failed or waited past 2 s" in why
    screen = io.StringIO()
    terminal.print_summary(r, Console(file=screen, width=80))
    for text in (markdown.render(r), html.render(r), junit.render(r), screen.getvalue()):
        assert "slow requests" in text and "p99 increase" in text
        assert "order commit delay" in text
