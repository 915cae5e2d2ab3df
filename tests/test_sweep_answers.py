"""A sweep's answers from hand-built rows: share held with its interval, what "holds" may
claim, medians and worst, the dominant cause, missing runs and the frontier."""

from __future__ import annotations

import pytest

from chaoscli.experiment.many import wilson
from chaoscli.record.runs import ProbeValue, RunSummary
from chaoscli.record.sweep import SweepRow, TaskFailure
from chaoscli.sweep.answers import answer, claim, point_key, runs_to_claim

N = "topology.instances_per_az"
RATE = "traffic.peak_rps"


def row(
    point: dict[str, int | float | str],
    index: int,
    held: bool,
    availability: float = 0.9995,
    errors: float = 0.0,
    outage: float = 0.0,
    recovery: float | None = None,
    cause: str | None = None,
) -> SweepRow:
    """One run of one point with an availability probe judged during the fault."""
    margin = (availability - 0.999) / 0.999
    probes = [
        ProbeValue(
            probe="availability", window="during", value=availability, ok=held, margin=margin
        )
    ]
    run = RunSummary(
        seed=1000 + index,
        held=held,
        faults=[],
        stopped_at_s=None,
        probes=probes,
        db_write_outage_s=outage,
        visible_errors=errors,
        customer_recovery_s=recovery,
        worst_margin=margin,
    )
    return SweepRow(
        key=point_key(point),
        point=point,
        seed_index=index,
        seed=1000 + index,
        run=run,
        cause=None if held else (cause or "customers saw errors"),
    )


def test_nineteen_of_twenty_does_not_claim_ninety_five_percent() -> None:
    """19 of 20 held is a share of 95% but its interval reaches far below: not "holds"."""
    rows = [row({N: 6}, i, held=i != 7) for i in range(20)]
    a = answer(rows, [N]).points[0]
    assert (a.runs, a.held, a.share_held) == (20, 19, 0.95)
    assert a.interval == pytest.approx(wilson(19, 20), abs=1e-6)
    assert a.interval is not None and a.interval[0] < 0.8
    assert a.claim == "unsure"


def test_a_claim_needs_enough_runs_all_held() -> None:
    """The fewest runs that can claim 95% all held; one fewer cannot, and a clear miss is
    "short"."""
    need = runs_to_claim(0.95)
    assert need is not None and 50 < need < 100
    assert claim(need, need, 0.95) == "holds"
    assert claim(need - 1, need - 1, 0.95) == "unsure"
    assert claim(2, 20, 0.95) == "short"
    assert runs_to_claim(1.0) is None


def test_every_report_carries_the_rule_it_checked() -> None:
    """The answers say what "holds" meant, with the runs it takes."""
    a = answer([row({N: 6}, 0, True)], [N])
    assert "lower end of the 95% Wilson interval" in a.rule
    assert str(runs_to_claim(0.95)) in a.rule and a.runs_to_claim == runs_to_claim(0.95)


def test_medians_worst_and_dominant_cause() -> None:
    """The worst availability is the lowest, the worst errors the most; the dominant cause is
    the most frequent among deviated runs, with its count."""
    rows = [
        row({N: 4}, 0, True, 0.9999, errors=0, outage=30, recovery=5),
        row({N: 4}, 1, False, 0.99, errors=500, outage=60, cause="timeouts"),
        row({N: 4}, 2, False, 0.98, errors=900, outage=90, recovery=40, cause="refused"),
        row({N: 4}, 3, False, 0.995, errors=100, outage=45, recovery=20, cause="refused"),
    ]
    a = answer(rows, [N]).points[0]
    (p,) = a.probes
    assert (p.probe, p.window, p.failed) == ("availability", "during", 3)
    assert p.worst == 0.98 and p.median == pytest.approx((0.99 + 0.995) / 2)
    assert (a.visible_errors.median, a.visible_errors.worst) == (300, 900)
    assert (a.db_write_outage_s.median, a.db_write_outage_s.worst) == (52.5, 90)
    assert (a.customer_recovery_s.worst, a.customer_recovery_s.unmeasured) == (40, 1)
    assert a.cause is not None and (a.cause.kind, a.cause.runs) == ("refused", 2)
    assert a.worst_seed == 1002


def test_causes_that_differ_only_in_their_figures_count_together() -> None:
    """Three detections of different lengths outnumber two overloads."""
    titles = ["Detection took 14 s", "Overload: 130% busy", "Detection took 20 s"]
    titles += ["Overload: 150% busy", "Detection took 1,200.5 s"]
    rows = [row({N: 4}, i, False, cause=t) for i, t in enumerate(titles)]
    cause = answer(rows, [N]).points[0].cause
    assert cause is not None
    assert (cause.kind, cause.example, cause.runs) == ("Detection took … s", titles[0], 3)


def test_missing_runs_are_counted_failed_or_unfinished() -> None:
    """A point says how many of its planned runs left no row, and why; a planned point
    with no row at all is still answered, with no share."""
    rows = [row({N: 4}, i, True) for i in (0, 2)]
    fail = TaskFailure(key=point_key({N: 4}), point={N: 4}, seed_index=1, seed=9, error="boom")
    a = answer(rows, [N], planned=[{N: 4}, {N: 5}], runs_per_point=5, failures=[fail])
    four, five = a.points
    assert (four.planned, four.runs, four.failed, four.unfinished) == (5, 2, 1, 2)
    assert four.missing == 3
    assert (five.runs, five.unfinished, five.share_held, five.claim) == (0, 5, None, "unsure")


def test_rows_in_any_order_give_the_same_answers() -> None:
    """Answers depend on the rows, not on the order they were appended in."""
    rows = [
        row({N: n, RATE: r}, i, (n + i) % 3 != 0) for n in (2, 4) for r in (1, 2) for i in (0, 1, 2)
    ]
    assert answer(rows, [N, RATE]) == answer(rows[::-1], [N, RATE])


def _enough(point: dict[str, int | float | str], held: int, of: int) -> list[SweepRow]:
    return [row(point, i, i < held) for i in range(of)]


def test_frontier_smallest_value_that_holds_at_each_rate() -> None:
    """At each rate: the smallest count from which every larger count holds, its neighbour
    below, and the weaker "every run held from" when too few runs were made."""
    need = runs_to_claim(0.95)
    assert need is not None
    rows = (
        _enough({N: 2, RATE: 100}, need - 10, need)
        + _enough({N: 4, RATE: 100}, need, need)
        + _enough({N: 6, RATE: 100}, need, need)
        + _enough({N: 2, RATE: 200}, 5, 10)
        + _enough({N: 4, RATE: 200}, 10, 10)
        + _enough({N: 6, RATE: 200}, 10, 10)
    )
    f = answer(rows, [N, RATE]).frontier
    assert f is not None and (f.field, f.by) == (N, [RATE])
    low, high = f.steps
    assert low.at == {RATE: 100} and (low.smallest, low.below, low.all_held_from) == (4, 2, 4)
    assert high.at == {RATE: 200} and (high.smallest, high.below) == (None, None)
    assert high.all_held_from == 4 and high.runs_at_most == 10
    assert low.contradictions == high.contradictions == []


def test_frontier_reports_a_value_that_holds_below_one_that_falls_short() -> None:
    """4 holds, 6 falls short, 8 holds: the frontier is 8 and 4 is a contradiction."""
    need = runs_to_claim(0.95)
    assert need is not None
    rows = _enough({N: 4}, need, need) + _enough({N: 6}, 1, need) + _enough({N: 8}, need, need)
    (step,) = answer(rows, [N]).frontier.steps  # type: ignore[union-attr]
    assert (step.smallest, step.below, step.contradictions) == (8, 6, [4])


def test_frontier_needs_every_value_of_the_other_fields_to_hold() -> None:
    """With a lost zone as a third field, a count holds only when it holds whichever zone
    is lost: 4 holds when zone a is lost but falls short when b is, so the frontier is 6."""
    need = runs_to_claim(0.95)
    assert need is not None
    rows = []
    for n, held in ((2, (0, 0)), (4, (need, 1)), (6, (need, need))):
        for az, h in zip(("a", "b"), held, strict=True):
            rows += _enough({N: n, RATE: 100, "az": az}, h, need)
    f = answer(rows, [N, RATE, "az"]).frontier
    assert f is not None and (f.by, f.over) == ([RATE], ["az"])
    (step,) = f.steps
    assert (step.at, step.smallest, step.below, step.contradictions) == ({RATE: 100}, 6, 4, [])


def test_no_frontier_over_a_field_without_order() -> None:
    """A zone name has no "smallest": no frontier when the first axis is not a number."""
    rows = [row({"az": z}, 0, True) for z in ("a", "b")]
    assert answer(rows, ["az"]).frontier is None
