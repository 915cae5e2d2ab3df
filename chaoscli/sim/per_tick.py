"""A per-tick timeline stored once per segment: the world changes at a few points in a run,
so a day at 0.1 s ticks holds a handful of distinct rows and one small index per tick."""

from __future__ import annotations

from typing import Any

import numpy as np


class PerTick:
    """Indexed like a (ticks, ...) array; holds each segment's row once and each tick's
    segment."""

    def __init__(self, rows: np.ndarray, segment_of_tick: np.ndarray) -> None:
        self.rows = rows
        self.segment_of_tick = segment_of_tick.astype(np.int32)

    @classmethod
    def empty(cls, *shape: int) -> PerTick:
        """No ticks at all."""
        return cls(np.zeros((1, *shape)), np.zeros(0, dtype=np.int32))

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the whole timeline, as if it were one array."""
        return (self.segment_of_tick.size, *self.rows.shape[1:])

    def __len__(self) -> int:
        return int(self.segment_of_tick.size)

    def __getitem__(self, key: Any) -> np.ndarray:
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) else (key, ())
        return np.asarray(self.rows[(self.segment_of_tick[first], *rest)])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.rows[self.segment_of_tick]
        return out.astype(dtype) if dtype is not None else out
