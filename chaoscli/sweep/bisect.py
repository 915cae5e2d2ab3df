"""``--find-min FIELD``: the smallest value of one field that holds, by bisection instead of a
grid, with every probe kept so the answer can be checked by a direct run on either side.

Bisection assumes that a larger value never holds less (more instances, a longer timeout).
It tries the smallest and the largest candidate first and, once it has a boundary, the value
just above it, so a contradiction of that assumption among the values it tried is reported,
never smoothed over.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from chaoscli.record.sweep import Claim, FindMin, FindMinProbe, Scalar


def _ascending(values: Sequence[Scalar]) -> bool:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(values):
        return False
    return all(a < b for a, b in itertools.pairwise(numbers))


def find_min(values: Sequence[Scalar], judge: Callable[[Scalar], Claim]) -> FindMin:
    """The smallest of ``values`` (numbers, strictly ascending) that ``judge`` says holds,
    calling ``judge`` at most once per value and about log2(len(values)) + 3 times; a value
    that falls short or has too few runs to tell counts as not holding."""
    if not values:
        raise ValueError("find-min needs at least one value to try")
    if not _ascending(values):
        raise ValueError("find-min needs numbers in strictly ascending order")
    seen: dict[int, bool] = {}
    probes: list[FindMinProbe] = []

    def ask(i: int) -> bool:
        if i not in seen:
            verdict = judge(values[i])
            seen[i] = verdict == "holds"
            probes.append(FindMinProbe(value=values[i], held=seen[i], claim=verdict))
        return seen[i]

    last = len(values) - 1
    found: int | None = None
    if ask(last):
        if ask(0):
            found = 0
        else:
            lo, hi = 0, last  # values[lo] does not hold, values[hi] holds
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if ask(mid) else (mid, hi)
            found = hi
            if hi < last:
                ask(hi + 1)
    else:
        ask(0)
    tried = sorted(seen)
    contradictions = [
        (values[a], values[b]) for a in tried for b in tried if a < b and seen[a] and not seen[b]
    ]
    return FindMin(
        values=list(values),
        found=None if found is None else values[found],
        below=values[found - 1] if found else None,
        probes=probes,
        monotone=not contradictions,
        contradictions=contradictions,
    )
