"""The engine's hard limits: what a run may ask for and still finish in bounded memory and time.

The engine works through a run in windows of simulated seconds and keeps per-second series,
so its memory grows with the run's length only through those series (and the world's
per-tick timelines), and its time grows linearly with the samples it traces. Beyond these
limits a run would not fit in 1 GiB, or would take hours; validation refuses such a file up
front, naming the field and the limit, rather than letting the engine die part-way.
"""

from __future__ import annotations

MAX_DURATION_S = 86_400
"""The longest run, in virtual seconds (one day: a 24-hour soak, a Black Friday). Per-second
series, the journal's timeline and the world's per-tick timelines grow with it; `make bench`
measures a 24-hour az-outage within 1 GiB."""

MAX_SAMPLES_PER_S = 100_000
"""The most sampled customers per virtual second. Each second's samples are traced together,
and the customers still waiting for an answer (up to their timeout) are held at once."""

MAX_RUN_SAMPLES = 172_800_000
"""The most sampled customers in a whole run (``duration_s`` x ``samples_per_s``): a 24-hour
run at the default 2,000 a second. Time grows linearly with the samples traced (a few
minutes for this many); beyond it a run would take hours."""

MAX_LIVE_SAMPLES = 4_000_000
"""The most sampled customers held at once: ``samples_per_s`` x (``customer_timeout_s`` +
``SETTLE_MARGIN_S``). A customer's samples are kept until its timeout has passed; at about
100 bytes each this bounds that part of memory to some 400 MiB."""

SETTLE_MARGIN_S = 2
"""Seconds a customer's sample is kept beyond its timeout before its figures are final."""

MAX_TICKS = 864_000
"""The most world ticks in a run (``duration_s`` / ``tick_s``): one day at the default 0.1 s.
The world's timelines (routing shares, serving and healthy targets per zone) are per tick."""

MAX_STOP_WINDOW_SAMPLES = 8_000_000
"""The most samples a p99 stop condition looks back over (``over_s`` x ``samples_per_s``):
its latencies are kept for that long while the method runs (8 bytes each)."""


MAX_METHOD_STEPS = 50
"""The most steps a method may have. Each step is made and ended through the control plane,
and the stack is discovered again after each change (some ten API calls, about a second a
step against in-process moto, more on a loaded machine or a remote endpoint); the engine's
own cost per step is small. Beyond this a run spends minutes on the control plane alone."""


def limit_problems(
    duration_s: float,
    samples_per_s: int,
    tick_s: float,
    customer_timeout_s: float,
    p99_stop_over_s: float = 0.0,
    steps: int = 0,
) -> list[tuple[str, str]]:
    """(field, sentence) for each limit a run with these numbers would pass; empty if none."""
    out: list[tuple[str, str]] = []
    if duration_s > MAX_DURATION_S:
        out.append(("traffic.duration_s", f"at most {MAX_DURATION_S:,} s (one day)"))
    if samples_per_s > MAX_SAMPLES_PER_S:
        out.append(("engine.samples_per_s", f"at most {MAX_SAMPLES_PER_S:,}"))
    if duration_s * samples_per_s > MAX_RUN_SAMPLES:
        out.append(
            (
                "engine.samples_per_s",
                f"traffic.duration_s x engine.samples_per_s is at most {MAX_RUN_SAMPLES:,} "
                f"samples (here {duration_s * samples_per_s:,.0f})",
            )
        )
    if samples_per_s * (customer_timeout_s + SETTLE_MARGIN_S) > MAX_LIVE_SAMPLES:
        out.append(
            (
                "engine.samples_per_s",
                f"engine.samples_per_s x (clients.customer_timeout_s + {SETTLE_MARGIN_S}) is at "
                f"most {MAX_LIVE_SAMPLES:,} samples held at once",
            )
        )
    if tick_s > 0 and duration_s / tick_s > MAX_TICKS:
        out.append(
            (
                "engine.tick_s",
                f"traffic.duration_s / engine.tick_s is at most {MAX_TICKS:,} ticks",
            )
        )
    if p99_stop_over_s * samples_per_s > MAX_STOP_WINDOW_SAMPLES:
        out.append(
            (
                "stop_conditions",
                f"a p99_latency_ms stop condition's over_s x engine.samples_per_s is at most "
                f"{MAX_STOP_WINDOW_SAMPLES:,} samples",
            )
        )
    if steps > MAX_METHOD_STEPS:
        out.append(("method", f"at most {MAX_METHOD_STEPS} steps (here {steps})"))
    return out
