"""Named random streams: one generator per purpose, all spawned from the run's seed.

Each purpose draws from its own stream, so a change in how one mechanism draws (or how many
attempts a batch has) never moves the draws of another: a failover's length does not move
when the instance count does, and service times do not move when routing changes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, fields

import numpy as np


def stream(seed: int, purpose: str) -> np.random.Generator:
    """The generator for one purpose: the seed's sequence, spawned by the purpose's name."""
    key = zlib.crc32(purpose.encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


@dataclass(frozen=True)
class Streams:
    """Every random stream of a run, by purpose."""

    health_checks: np.random.Generator  # the phase of each target's health checks
    database: np.random.Generator  # failover lengths
    arrivals: np.random.Generator  # when customers arrive, and which of them check out
    dns: np.random.Generator  # where each client's pick falls in its DNS answer, its age
    routing: np.random.Generator  # which target a load-balancer node picks
    queueing: np.random.Generator  # shed by a full queue, waiting for a worker and how long
    service: np.random.Generator  # service times
    failures: np.random.Generator  # a gray target's errors
    backoff: np.random.Generator  # retry jitter
    retry_budget: np.random.Generator  # where each client's token bucket stands

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        """All streams of the run with this seed."""
        return cls(**{f.name: stream(seed, f.name) for f in fields(cls)})
