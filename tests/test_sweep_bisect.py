"""``--find-min``'s bisection: the boundary with its neighbour below, every probe kept, few
probes, and observations that contradict monotonicity reported."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaoscli.record.sweep import Claim
from chaoscli.sweep.bisect import find_min


@given(n=st.integers(1, 200), boundary=st.integers(0, 201))
def test_finds_the_boundary_of_a_monotone_field(n: int, boundary: int) -> None:
    """Below the boundary deviates, from it on holds: found is the boundary, below is the
    value under it, each value probed at most once and about log2(n) times in all."""
    values = list(range(1, n + 1))
    calls: list[int | float | str | bool] = []

    def judge(v: int | float | str | bool) -> Claim:
        calls.append(v)
        return "holds" if int(v) >= boundary else "short"

    got = find_min(values, judge)
    assert len(calls) == len(set(calls)) == len(got.probes)
    assert len(calls) <= math.ceil(math.log2(n)) + 3
    assert got.monotone and got.contradictions == []
    first = max(boundary, 1)
    if first > n:
        assert (got.found, got.below) == (None, None)
    else:
        assert got.found == first
        assert got.below == (first - 1 if first > 1 else None)
    assert [p.value for p in got.probes] == calls
    assert all(p.held == (int(p.value) >= boundary) for p in got.probes)


def test_non_monotone_observations_are_reported() -> None:
    """The smallest value holds but the largest deviates: reported, not smoothed over."""
    got = find_min([1, 2, 3, 4, 5], lambda v: "holds" if v in (1, 3) else "short")
    assert not got.monotone
    assert (1, 5) in got.contradictions
    assert got.found is None


def test_a_value_above_the_boundary_that_deviates_is_reported() -> None:
    """The value just above the found boundary is tried too; when it deviates, say so."""
    values = [2, 4, 6, 8, 10, 12, 14, 16]
    got = find_min(values, lambda v: "holds" if v in (8, 16) else "short")
    assert got.found == 8 and got.below == 6
    assert not got.monotone and (8, 10) in got.contradictions


@pytest.mark.parametrize("values", [[], [3, 2], [1, 1], ["a", "b"]])
def test_refuses_values_it_cannot_bisect(values: list[int | str]) -> None:
    """No values, values out of order, repeated, or not numbers: a clear error."""
    with pytest.raises(ValueError, match="find-min"):
        find_min(values, lambda v: "holds")


def test_too_few_runs_to_tell_is_not_holding_and_is_said_so() -> None:
    """A value whose runs cannot tell counts as not holding for the bisection, and its probe
    says it could not tell rather than that it fell short."""
    got = find_min([8, 16, 24, 32], lambda v: "unsure" if v == 32 else "short")
    assert got.found is None
    assert [(p.value, p.held, p.claim) for p in got.probes] == [
        (32, False, "unsure"),
        (8, False, "short"),
    ]
