"""The probe catalogue, stated once: each probe's name, whether it is a ratio, its unit, a
reader's words, its default bound and where that bound comes from. The hypothesis, the
experiment file's fields, the README's model table and every report read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    """One measure the steady-state hypothesis can bound."""

    name: str
    label: str  # as a person reads it in a report
    ratio: bool  # a fraction of 1, shown as a percentage
    unit: str  # of the value as measured ("" for ratios and counts)
    meaning: str  # what the value is, for the model table
    source: str  # where the default bound comes from
    default_min: float | None = None  # the experiment file's bound when it sets none
    default_max: float | None = None
    signed: bool = False  # a change from the before window: shown with its sign and unit


SLO = "assumed: a 99.9% request-based SLO (Google SRE Workbook: Implementing SLOs)"
CATALOGUE = (
    Probe(
        "availability",
        "availability",
        True,
        "",
        "successful / all customer requests in the window",
        SLO,
        default_min=0.999,
    ),
    Probe(
        "worst_second_success_ratio",
        "worst second",
        True,
        "",
        "the lowest per-second success ratio in the window",
        "assumed: a second in which more than 1% of requests fail is felt",
        default_min=0.99,
    ),
    Probe(
        "slow_request_ratio",
        "slow requests",
        True,
        "",
        "share of customer requests that succeeded later than hypothesis.patience_s, "
        "retries included: as bad for a customer as a failed one",
        SLO,
        default_max=0.001,
    ),
    Probe(
        "p99_latency_ms",
        "p99 latency (ms)",
        False,
        "ms",
        "p99 latency of successful requests, end to end (no bound unless set)",
        "the experiment's own bound",
    ),
    Probe(
        "p99_increase_ms",
        "p99 increase",
        False,
        "ms",
        "the window's p99 latency minus the before window's",
        "assumed: a second more is a delay users notice (Nielsen Norman Group: Response "
        "Times, The 3 Important Limits)",
        default_max=1000,
        signed=True,
    ),
    Probe(
        "p99_over_before",
        "p99 over before",
        False,
        "x",
        "the window's p99 latency divided by the before window's (no bound unless set)",
        "the experiment's own bound",
    ),
    Probe(
        "order_success_ratio",
        "orders taken",
        True,
        "",
        "acknowledged / attempted checkouts",
        SLO,
        default_min=0.999,
    ),
    Probe(
        "order_commit_delay_s",
        "order commit delay (s)",
        False,
        "s",
        "the longest wait from an order's acknowledgement to its commit on the database "
        "(until the end of the run for one still queued)",
        "assumed: an order is confirmed within three minutes, a Multi-AZ failover's one to "
        "two plus the queue's drain",
        default_max=180,
    ),
    Probe(
        "lost_orders",
        "lost orders",
        False,
        "orders",
        "acknowledged orders not on the primary at the end",
        "assumed: no acknowledged order may be lost",
        default_max=0,
    ),
)
PROBES = tuple(p.name for p in CATALOGUE)
RATIOS = tuple(p.name for p in CATALOGUE if p.ratio)
BY_NAME = {p.name: p for p in CATALOGUE}


def is_ratio(name: str) -> bool:
    """True for a probe measured as a fraction (shown as a percentage)."""
    probe = BY_NAME.get(name)
    return probe is not None and probe.ratio


def unit(name: str) -> str:
    """A probe's unit as measured ("" for ratios, counts and unknown probes)."""
    probe = BY_NAME.get(name)
    return probe.unit if probe else ""


def is_signed(name: str) -> bool:
    """True for a probe measured as a change from the before window (shown as +93 ms)."""
    probe = BY_NAME.get(name)
    return probe is not None and probe.signed


def change(value: float, unit_: str) -> str:
    """A signed change with its unit: "+10,709 ms", "-0.18 ms", "0 ms"; whole numbers from
    10 up, two significant digits below 1, so a tiny change is neither hidden nor a bare
    fraction."""
    size = abs(value)
    if size >= 10:
        text = f"{size:,.0f}"
    elif size >= 1:
        text = f"{size:.1f}".removesuffix(".0")
    else:
        text = f"{size:.2g}"
    sign = "" if text == "0" else ("-" if value < 0 else "+")
    return f"{sign}{text} {unit_}".rstrip()


def label(name: str) -> str:
    """A probe's name as a person reads it (an unknown probe keeps its own name)."""
    probe = BY_NAME.get(name)
    return probe.label if probe else name.replace("_", " ")


def percent(value: float | None) -> str:
    """A fraction as a percentage with enough digits to tell it from 100%."""
    if value is None:
        return "n/a"
    if value >= 1:
        return "100%"
    for digits in (3, 4, 5, 6):
        text = f"{value * 100:.{digits}f}"
        if not text.startswith("100"):
            return f"{text}%"
    return "99.99999%"


def fmt(value: float | None, probe: str) -> str:
    """A probe's measured value the way an SRE reads it, the same in findings and reports."""
    if value is None:
        return "n/a"
    if is_ratio(probe):
        return percent(value)
    if unit(probe) == "x":
        return f"{value:.3g}x"
    if is_signed(probe):
        return change(value, unit(probe))
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.3g}"
