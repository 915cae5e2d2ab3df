"""The probe catalogue, stated once: each probe's name, whether it is a ratio, its unit and a
reader's words. The hypothesis, the experiment file's fields and every report read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    """One measure the steady-state hypothesis can bound."""

    name: str
    label: str  # as a person reads it in a report
    ratio: bool  # a fraction of 1, shown as a percentage
    unit: str  # of the value as measured ("" for ratios and counts)
    default_min: float | None = None  # the experiment file's bound when it sets none
    default_max: float | None = None


CATALOGUE = (
    Probe("availability", "availability", True, "", default_min=0.999),
    Probe("worst_second_success_ratio", "worst second", True, "", default_min=0.99),
    Probe("p99_latency_ms", "p99 latency (ms)", False, "ms", default_max=5000),
    Probe("order_success_ratio", "orders taken", True, "", default_min=0.999),
    Probe("lost_orders", "lost orders", False, "orders", default_max=0),
)
PROBES = tuple(p.name for p in CATALOGUE)
RATIOS = tuple(p.name for p in CATALOGUE if p.ratio)
BY_NAME = {p.name: p for p in CATALOGUE}


def is_ratio(name: str) -> bool:
    """True for a probe measured as a fraction (shown as a percentage)."""
    probe = BY_NAME.get(name)
    return probe is not None and probe.ratio


def label(name: str) -> str:
    """A probe's name as a person reads it (an unknown probe keeps its own name)."""
    probe = BY_NAME.get(name)
    return probe.label if probe else name.replace("_", " ")
