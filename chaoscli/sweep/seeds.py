"""Each run's seed, from the sweep's root seed, the point and the run's index alone.

NumPy's SeedSequence keeps the streams of different points and indices apart; the point
enters through a stable digest of its key, so neither the executor, nor the number of
workers, nor the order in which runs are scheduled can change a seed.
"""

from __future__ import annotations

import hashlib

import numpy as np


def key_words(key: str) -> tuple[int, ...]:
    """The point's key as four 32-bit words of its SHA-256 (stable across processes, unlike
    Python's ``hash``)."""
    digest = hashlib.sha256(key.encode()).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def run_seed(root: int, key: str, index: int) -> int:
    """The seed of run ``index`` of the point ``key`` in a sweep rooted at ``root``."""
    sequence = np.random.SeedSequence(entropy=root, spawn_key=(*key_words(key), index))
    return int(sequence.generate_state(1, np.uint32)[0])
