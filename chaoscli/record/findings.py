"""The findings section of the record: each deviation explained, with the change that would
fix it as ``--set`` overrides and what re-running the experiment with them measured.

A fix is proven in the model: the experiment is run again with the overrides in a fresh
in-process moto (same seeds, method and hypothesis), never against the user's endpoint.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chaoscli.record.base import Part
from chaoscli.record.figures import Count, MaybeCount, Ratio

Override = bool | int | float | str | list[int]
FixVerdict = Literal["held", "helps", "no_better", "worse"]


class FixResult(Part):
    """The re-run with a fix's overrides: its verdict against the run it would fix.

    ``verdict``: "held" when the hypothesis held; "helps" when it did not but fewer probes
    failed or fewer customers saw errors; "no_better" and "worse" otherwise (such a fix is
    not offered). The figures are the re-run's whole-run figures.
    """

    verdict: FixVerdict
    held: bool
    visible_errors: Count
    worst_second_success_ratio: Ratio
    p99_latency_ms: MaybeCount
    failed_probes: list[str]  # "window/probe" keys that failed in the re-run
    stopped: bool = False  # a stop condition ended the re-run's method
    runs: int = Field(default=1, ge=1)  # with --runs N, how many runs the re-run judged
    runs_held: int = Field(default=0, ge=0)  # and how many of them held


class Trial(Part):
    """One value a search tried, and whether the re-run with it held."""

    value: Count
    held: bool
    overloaded: bool  # some window from the fault on ran past 100% busy


class Fix(Part):
    """A change as ``--set`` overrides, its words, and what re-running with it measured
    (null when it was not re-run). ``searched`` names the field whose value a search over
    re-runs found (its trials in ``trials``), e.g. ``topology.instances_per_az``; for
    ``topology.instances_by_zone`` a trial's value is the count every zone was raised to."""

    words: str
    set: dict[str, Override]
    result: FixResult | None = None
    searched: str | None = None
    trials: list[Trial] = Field(default_factory=list)

    @property
    def offered(self) -> bool:
        """Shown as advice: re-run and at least helped, or not re-run at all."""
        return self.result is None or self.result.verdict in ("held", "helps")

    def args(self) -> list[str]:
        """The overrides as ``--set`` arguments, in the order the fix lists them."""
        return [f"{key}={_scalar(value)}" for key, value in self.set.items()]


def _scalar(value: Override) -> str:
    """A value as YAML reads it back from ``--set``: true/false, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return f"[{','.join(str(v) for v in value)}]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Finding(Part):
    """One explanation: what happened with numbers, and the change that would fix it."""

    title: str
    detail: str
    probes: list[str] = Field(default_factory=list)  # "window/probe" keys it explains
    severity: Literal["cause", "note"] = "cause"
    fix: Fix | None = None
    advice: str | None = None  # words when no change of the experiment would fix it


class FixCheck(Part):
    """Whether the fixes were re-run: "verified" (each offered fix was), "skipped" (asked
    not to), "not_needed" (the run held: nothing to fix). ``combined`` is every fix applied
    together, tried when no single fix held; ``reruns`` counts the runs it took."""

    status: Literal["verified", "skipped", "not_needed"]
    reruns: int = Field(default=0, ge=0)
    combined: Fix | None = None
