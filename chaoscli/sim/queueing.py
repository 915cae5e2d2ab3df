"""Queueing at a web instance: M/M/c with c worker slots, plus a fluid backlog for overload.

Why M/M/c: an instance serves requests with a fixed pool of workers (capacity = workers /
service time); arrivals from many independent customers are close to Poisson, and Erlang C
is the textbook waiting-time model AWS's own capacity guidance leans on. Above capacity no
steady state exists, so the excess accumulates as a backlog that drains at capacity, up to
the server's queue limit; what arrives beyond it is shed at once (503).
"""

from __future__ import annotations

import math

import numpy as np


def erlang_c(servers: int, offered: np.ndarray | float) -> np.ndarray:
    """Probability that an arrival waits, for ``servers`` servers and offered load a = λ/μ.

    Exact Erlang B recursion, vectorised over the offered loads; 1.0 where a >= servers.
    """
    a = np.atleast_1d(np.asarray(offered, dtype=float))
    if servers <= 0:
        return np.ones_like(a)
    b = np.ones_like(a)
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    rho = a / servers
    with np.errstate(divide="ignore", invalid="ignore"):
        c = b / (1 - rho * (1 - b))
    return np.where(rho >= 1, 1.0, np.clip(c, 0.0, 1.0))


def mean_wait_s(servers: int, service_s: float, arrival_rps: np.ndarray | float) -> np.ndarray:
    """Mean queueing wait W_q = C(c, a) / (c·μ − λ) in seconds; inf at or above capacity."""
    lam = np.atleast_1d(np.asarray(arrival_rps, dtype=float))
    mu = 1.0 / service_s
    pw = erlang_c(servers, lam / mu)
    spare = servers * mu - lam
    with np.errstate(divide="ignore"):
        return np.where(spare > 0, pw / np.where(spare > 0, spare, 1.0), math.inf)


def backlog(
    arrivals: np.ndarray, capacity: np.ndarray, max_wait_s: float, step_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Fluid backlog per step: returns (wait in seconds, share of arrivals that time out).

    The backlog grows by (arrivals − capacity) per second and never holds more than
    ``max_wait_s`` seconds of work; what overflows is the share that times out.
    """
    n = len(arrivals)
    wait = np.zeros(n)
    dropped = np.zeros(n)
    held = 0.0
    for i in range(n):
        cap = float(capacity[i])
        lam = float(arrivals[i])
        held = held + (lam - cap) * step_s
        limit = cap * max_wait_s
        if held > limit:
            if lam > 0:
                dropped[i] = min(1.0, (held - limit) / (lam * step_s))
            held = limit
        held = max(held, 0.0)
        wait[i] = held / cap if cap > 0 else (max_wait_s if lam > 0 else 0.0)
        if cap <= 0 and lam > 0:
            dropped[i] = 1.0
    return wait, dropped
