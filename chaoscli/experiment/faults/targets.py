"""Target selection as AWS FIS does it: ALL, COUNT(n) or PERCENT(n), drawn from the run's seed."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")
_MODE = re.compile(r"^(ALL|COUNT\((\d+)\)|PERCENT\((\d+(?:\.\d+)?)\))$")


def how_many(selection: str, available: int) -> int:
    """How many of ``available`` targets a selection mode takes (PERCENT rounds down, min 1)."""
    match = _MODE.match(selection)
    if match is None:
        raise ValueError(f"unknown selection mode {selection!r}")
    if available == 0:
        return 0
    if match.group(2) is not None:
        return min(available, int(match.group(2)))
    if match.group(3) is not None:
        return max(1, min(available, math.floor(available * float(match.group(3)) / 100)))
    return available


def pick(items: Sequence[T], selection: str, rng: np.random.Generator) -> list[T]:
    """The selected targets, in their original order; which ones depends only on the rng."""
    n = how_many(selection, len(items))
    if n == len(items):
        return list(items)
    chosen = sorted(rng.choice(len(items), size=n, replace=False).tolist())
    return [items[k] for k in chosen]
