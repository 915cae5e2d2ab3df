"""Findings as every report prints them, read from the record: each deviation explained, and
beside each fix its ``--set`` overrides and what re-running the experiment with them
measured in the model. A fix whose re-run did not help is not offered.

Only a change the model re-ran and found to help is called a fix; a change not re-run is a
proposal, and words with no change to re-run are advice, so no report calls something a fix
that nothing checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chaoscli.record.findings import Finding, Fix
from chaoscli.record.model import Record
from chaoscli.record.probes import label
from chaoscli.report.words import ms, percent

Kind = Literal["fix", "proposal", "advice"]
KIND_WORDS: dict[str, str] = {
    "fix": "fix",  # re-run in the model: held, or helped
    "proposal": "proposal",  # a change of the experiment nothing re-ran (its result line says so)
    "advice": "advice",  # words only: no change the model could re-run, or none that helped
}


@dataclass(frozen=True)
class Shown:
    """One finding as a report shows it: the fix's words, its overrides as ``--set``
    arguments and the verified result (empty strings when there is none), and what kind of
    remedy the words are: a ``fix`` (re-run, and it helped), a ``proposal`` (a change not
    re-run) or ``advice`` (nothing to re-run)."""

    finding: Finding
    fix: str
    args: str
    result: str
    kind: Kind = "advice"

    @property
    def kind_words(self) -> str:
        """The label a report puts before the words: "fix" only for a re-run fix."""
        return KIND_WORDS[self.kind]

    @property
    def title(self) -> str:
        return self.finding.title

    @property
    def detail(self) -> str:
        return self.finding.detail

    @property
    def severity(self) -> str:
        return self.finding.severity

    @property
    def probes(self) -> list[str]:
        return self.finding.probes

    @property
    def held(self) -> bool:
        """The fix's re-run held."""
        fix = self.finding.fix
        return fix is not None and fix.result is not None and fix.result.held


def findings(r: Record) -> list[Shown]:
    """The record's findings, causes first, each with what a report says of its fix."""
    return [_shown(r, f) for f in r.findings]


def _shown(r: Record, f: Finding) -> Shown:
    fix = f.fix
    if fix is None or not fix.set:
        return Shown(f, f.advice or (fix.words if fix else ""), "", "", "advice")
    if not fix.offered:
        none = "none proven: the change tried did not help in the model"
        words = f"{f.advice.rstrip('.')} ({none})." if f.advice else _cap(none) + "."
        return Shown(f, words, "", "", "advice")
    kind: Kind = "proposal" if fix.result is None else "fix"
    return Shown(f, fix.words, set_args(fix), result_words(r, fix), kind)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def set_args(fix: Fix) -> str:
    """The overrides as a command line would take them."""
    return " ".join(f"--set {a}" for a in fix.args())


def result_words(r: Record, fix: Fix) -> str:
    """What re-running with the fix measured, or why it was not re-run."""
    res = fix.result
    if res is None:
        check = r.fixes.status if r.fixes else None
        return {
            "skipped": "not re-run (--no-verify-fixes): a proposal, not proven",
            "not_needed": "not re-run: the run held",
        }.get(check or "", "not re-run: a proposal, not proven")
    over = f"{res.runs_held} of {res.runs} runs held; run 1: " if res.runs > 1 else ""
    figures = over + (
        f"{res.visible_errors:,.0f} visible errors, worst second "
        f"{percent(res.worst_second_success_ratio)}, p99 {ms(res.p99_latency_ms)}"
    )
    if res.held:
        return f"re-run with it: held ({figures})"
    still = ", ".join(_probe(k) for k in res.failed_probes)
    return f"helps, not enough: re-run with it deviated ({figures}; still failing: {still})"


def _probe(key: str) -> str:
    """``during/availability`` as "availability during"."""
    window, _, probe = key.partition("/")
    return f"{label(probe)} {window}"


def verification(r: Record) -> str:
    """One sentence on how the fixes were proven, or that they were not (empty: no fixes)."""
    check = r.fixes
    if check is None or check.status == "not_needed":
        return ""
    if check.status == "skipped":
        return "Fixes were not re-run (--no-verify-fixes): each is a proposal, not proven."
    return (
        f"Each fix was proven in the model, not on the real stack: the experiment re-run with "
        f"its overrides, same seed, method and hypothesis ({check.reruns} re-run(s), each in a "
        "fresh moto sandbox, never at the run's endpoint)."
    )


def combined(r: Record) -> Shown | None:
    """Every fix applied together, when no single one held and that was tried."""
    fix = r.fixes.combined if r.fixes else None
    if fix is None:
        return None
    together = Finding(title="All fixes together", detail="", severity="cause", fix=fix)
    return _shown(r, together)
