"""Markdown for pull requests, issues and GitHub's job summary: verdict, probes, findings."""

from __future__ import annotations

from typing import Any

from chaoscli.record.model import Record
from chaoscli.report import recovery
from chaoscli.report.findings import Shown, combined, findings, verification
from chaoscli.report.words import (
    clause,
    expectation,
    fmt,
    percent,
    primary_note,
    provenance,
    ran_at,
    shortfall,
    spread_line,
    titled,
    verdict_line,
)

ICON = {"HELD": "✅", "DEVIATED": "❌"}
EXPECTED = "🔶"  # a deviation the counter-example declares: not a failure, not "all good"


def icon(r: Record, word: str) -> str:
    """The heading's mark: a tick only for a run that held as expected."""
    if r.expected_deviation:
        return EXPECTED
    if expectation(r):  # a counter-example that held: a surprise
        return "⚠️"
    return ICON.get(word, "⚠️")


def _cell(text: Any) -> str:
    """Text safe inside a table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _facts(r: Record) -> list[str]:
    """The numbers a reviewer asks for first, as bullet points."""
    m = r.metrics
    if m is None:
        return []
    out = [
        f"- {m.requests:,.0f} requests, {m.visible_errors:,.0f} visible errors"
        f", {m.slow_requests:,.0f} slower than {r.experiment.hypothesis.patience_s:g} s"
        f", {m.hidden_errors:,.0f} hidden by retries"
    ]
    rec = m.recovery
    rule = recovery.rule(rec)
    out.append(f"- **{recovery.headline(rec)}**" + (f"; {rule}" if rule else ""))
    out += [f"  - {what}: {recovery.seconds(t)}" for what, t in recovery.parts(rec)]
    line = recovery.reroute(m)
    out += [f"- {line}"] if line else []
    out.append(f"- database writes unavailable {m.db_write_unavailable_s:.0f} s")
    note = primary_note(r)
    if note:
        out.append(f"- {note}")
    if m.orders:
        out.append(
            f"- orders: {m.orders_acked:,.0f} of {m.orders:,.0f} taken "
            f"({percent(m.order_success_ratio)}), {m.lost_orders:,.0f} lost"
        )
    if m.order_queue.enabled:
        out.append(
            f"- order queue: peak {m.order_queue.max_depth:,.0f} orders, longest commit "
            f"delay {m.order_queue.longest_commit_delay_s:.0f} s"
        )
    return out


def render(r: Record, heading: int = 2) -> str:
    """The summary as Markdown; ``heading`` sets the level of its title."""
    word, why = verdict_line(r)
    h = "#" * heading
    word += expectation(r)
    when = ran_at(r)
    lines = [
        f"{h} {icon(r, word.split()[0])} {_cell(titled(r))}: {word}",
        "",
        f"**{word}**: {why}  ",
        f"seed {r.seed}, {r.duration:,g} s of virtual time"
        + (f"; ran {when}" if when else "")
        + f"; chaoscli {r.chaoscli_version}",
        "",
    ]
    if r.runs is not None:
        spread = spread_line(r)
        lines += [spread[0].upper() + spread[1:] + ".", ""]
    if r.hypothesis.probes:
        lines += [
            f"{h}# Hypothesis: {_cell(r.hypothesis.title)}",
            "",
            "| window | probe | measured | tolerance | result |",
            "|---|---|--:|--:|---|",
        ]
        for p in r.hypothesis.probes:
            result = "ok" if p.ok else f"**FAIL** ({shortfall(p)})"
            lines.append(
                f"| {p.window} | {p.label} | {fmt(p.value, p.probe)} "
                f"| {_cell(p.bound)} | {result} |"
            )
        lines.append("")
    facts = _facts(r)
    if facts:
        lines += [*facts, ""]
    found = findings(r)
    if found:
        lines += [f"{h}# Findings", ""]
        for n, f in enumerate(found, 1):
            tag = "" if f.severity == "cause" else " _(note)_"
            lines.append(f"{n}. **{clause(f.title)}**{tag}. {f.detail}{_fix(f)}")
        together = combined(r)
        if together is not None:
            lines.append(f"{len(found) + 1}. **All fixes together**.{_fix(together)}")
        proof = verification(r)
        lines += ["", f"_{proof}_"] if proof else []
        lines.append("")
    lines += [
        f"{h}# Run",
        "",
        *(f"- {what}: " + (f"`{v}`" if code else v) for what, v, code in provenance(r)),
        "",
    ]
    return "\n".join(lines)


def _fix(f: Shown) -> str:
    """A fix's words, its overrides as code and its re-run's result, in one paragraph."""
    text = f" *{f.kind_words.capitalize()}:* {f.fix}" if f.fix else ""
    if f.args:
        text += f" `{f.args}`"
    if f.result:
        text += f" — **{f.result}**"
    return text
