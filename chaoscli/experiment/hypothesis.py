"""The steady-state hypothesis: each probe's measured value against its tolerance, per window."""

from __future__ import annotations

import math
from dataclasses import dataclass

from chaoscli.experiment.spec import HypothesisSpec, Tolerance
from chaoscli.record.probes import CATALOGUE, change, is_ratio, is_signed, unit
from chaoscli.sim.metrics import WindowMetrics
from chaoscli.sim.recovery import RecoveryRule

# the window metric holding a probe's 95% interval, for the probes that have one
CI_FIELD = {"availability": "availability_ci", "p99_latency_ms": "p99_latency_ci_ms"}
# probes measured against the before window's p99, so judged only after it
BEFORE_RELATIVE = ("p99_increase_ms", "p99_over_before")


@dataclass(frozen=True)
class ProbeResult:
    """One probe in one window: held or not, and by how much."""

    probe: str
    window: str
    value: float
    tolerance: Tolerance
    ok: bool
    ci: tuple[float, float] | None = None

    @property
    def bound(self) -> str:
        """The tolerance as a person reads it, e.g. ">= 99.9%", "<= 5000", "<= 3x" or, for a
        change, "<= +1,000 ms"."""
        ratio = is_ratio(self.probe)
        times = "x" if unit(self.probe) == "x" else ""

        def show(v: float) -> str:
            if is_signed(self.probe):
                return change(v, unit(self.probe))
            return f"{v * 100:g}%" if ratio else f"{v:g}{times}"

        parts = []
        if self.tolerance.min is not None:
            parts.append(f">= {show(self.tolerance.min)}")
        if self.tolerance.max is not None:
            parts.append(f"<= {show(self.tolerance.max)}")
        return " and ".join(parts) or "any"

    @property
    def margin(self) -> float:
        """Signed distance to the bound (negative when violated)."""
        t = self.tolerance
        gaps = []
        if t.min is not None:
            gaps.append(self.value - t.min)
        if t.max is not None:
            gaps.append(t.max - self.value)
        return min(gaps) if gaps else math.inf


def within(value: float, tol: Tolerance) -> bool:
    """True if the value is a number inside the tolerance."""
    if math.isnan(value):
        return False
    return (tol.min is None or value >= tol.min) and (tol.max is None or value <= tol.max)


def measured(probe: str, metrics: WindowMetrics, before: WindowMetrics | None) -> float | None:
    """A probe's value in one window; None when it cannot be judged there (a probe relative
    to the before window, in that window or in a run without one)."""
    if probe in BEFORE_RELATIVE:
        if before is None or metrics is before:
            return None
        base = before.p99_latency_ms
        if math.isnan(base) or base <= 0:
            return None
        if probe == "p99_increase_ms":
            return metrics.p99_latency_ms - base
        return metrics.p99_latency_ms / base
    return float(getattr(metrics, probe))


def check(spec: HypothesisSpec, windows: dict[str, WindowMetrics]) -> list[ProbeResult]:
    """Every bounded probe in every requested window that the run has; a probe with neither
    a minimum nor a maximum is not part of the hypothesis."""
    out = []
    before = windows.get("before")
    for name in spec.checked_windows:
        metrics = windows.get(name)
        if metrics is None:
            continue
        for probe in CATALOGUE:
            tol = spec.tolerance(probe.name)
            if tol.min is None and tol.max is None:
                continue
            value = measured(probe.name, metrics, before)
            if value is None:
                continue
            ci_field = CI_FIELD.get(probe.name)
            ci = getattr(metrics, ci_field) if ci_field else None
            out.append(ProbeResult(probe.name, name, value, tol, within(value, tol), ci))
    return out


def recovery_rule(spec: HypothesisSpec) -> RecoveryRule:
    """The rule for a normal second: the experiment's, its success floor defaulting to the
    worst-second probe's minimum (or the rule's own default when that probe has none)."""
    r = spec.recovery
    floor = r.success_ratio_min
    if floor is None:
        floor = spec.tolerance("worst_second_success_ratio").min
    return RecoveryRule(
        success_ratio_min=RecoveryRule.success_ratio_min if floor is None else floor,
        p99_factor=r.p99_factor,
        p99_margin_ms=r.p99_margin_ms,
    )
