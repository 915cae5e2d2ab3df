"""Client retry policies, expressed with tenacity's stop and wait strategies.

tenacity gives the policy its vocabulary (stop after N attempts, exponential ceiling); the
jitter is drawn here from the run's seeded generator, because tenacity draws from the global
``random`` module and a simulation must be deterministic. The four jitters are the ones of
the AWS Architecture Blog's "Exponential Backoff And Jitter".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import tenacity

Jitter = Literal["none", "full", "equal", "decorrelated"]


@dataclass(frozen=True)
class ClientPolicy:
    """How a customer's client behaves: timeouts, DNS fallback and retries."""

    max_attempts: int = 3
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 20.0
    jitter: Jitter = "full"
    connect_timeout_s: float = 3.0
    request_timeout_s: float = 10.0
    customer_timeout_s: float = 15.0
    dns_fallback: bool = True
    retry_budget: bool = True
    requests_per_client_s: float = 0.2
    budget_tokens: float = 500.0
    retry_cost: float = 5.0
    timeout_retry_cost: float = 10.0
    success_refund: float = 1.0

    @property
    def stop(self) -> tenacity.stop.stop_base:
        """The tenacity stop strategy: give up after ``max_attempts`` attempts."""
        return tenacity.stop_after_attempt(self.max_attempts)

    @property
    def wait_ceiling(self) -> tenacity.wait.wait_base:
        """The tenacity wait strategy without jitter: min(cap, base * 2**(n-1))."""
        return tenacity.wait_exponential(multiplier=self.backoff_base_s, max=self.backoff_cap_s)

    def ceilings(self) -> np.ndarray:
        """Backoff ceiling after failed attempt n (index n-1), from tenacity's strategy."""
        out = []
        for n in range(1, self.max_attempts + 1):
            state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
            state.attempt_number = n
            out.append(float(self.wait_ceiling(state)))
        return np.asarray(out)

    def may_retry(self, attempt: int) -> bool:
        """True if tenacity's stop strategy allows another attempt after ``attempt``."""
        state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
        state.attempt_number = attempt
        return not self.stop(state)

    def delays(self, attempt: int, previous: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Backoff before attempt ``attempt + 1`` for a vector of clients.

        ``previous`` is each client's previous delay (for decorrelated jitter), ``u`` uniform
        draws in [0, 1) from the run's generator.
        """
        ceiling = self.ceilings()[attempt - 1]
        if self.jitter == "none":
            return np.full_like(u, ceiling)
        if self.jitter == "full":
            return u * ceiling
        if self.jitter == "equal":
            return ceiling / 2 + u * ceiling / 2
        base = self.backoff_base_s
        high = np.maximum(np.where(previous > 0, previous, base) * 3, base)
        return np.minimum(self.backoff_cap_s, base + u * (high - base))
