"""Markdown for pull requests, issues and GitHub's job summary: verdict, probes, findings."""

from __future__ import annotations

from typing import Any

from chaoscli.report.findings import findings
from chaoscli.report.words import expected_deviation, fmt, label, shortfall, verdict_line

ICON = {"HELD": "✅", "DEVIATED": "❌"}


def _cell(text: Any) -> str:
    """Text safe inside a table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _facts(j: dict[str, Any]) -> list[str]:
    """The numbers a reviewer asks for first, as bullet points (only those present)."""
    m = j.get("metrics") or {}
    out = []
    if "requests" in m:
        out.append(
            f"- {m['requests']:,.0f} requests, {m.get('visible_errors', 0):,.0f} visible errors"
            f", {m.get('hidden_errors', 0):,.0f} hidden by retries"
        )
    if m.get("reroute_s") is not None:
        out.append(f"- reroute time {m['reroute_s']:.1f} s")
    if m.get("db_write_unavailable_s") is not None:
        out.append(f"- database writes unavailable {m['db_write_unavailable_s']:.0f} s")
    if m.get("orders"):
        out.append(
            f"- orders: {m.get('orders_acked', 0):,.0f} of {m['orders']:,.0f} taken "
            f"({fmt(m.get('order_success_ratio', 1.0), 'ratio')}), "
            f"{m.get('lost_orders', 0):,.0f} lost"
        )
    queue = m.get("order_queue") or {}
    if queue.get("enabled"):
        out.append(
            f"- order queue: peak {queue.get('max_depth', 0):,.0f} orders, longest commit "
            f"delay {queue.get('longest_commit_delay_s', 0):.0f} s"
        )
    return out


def render(j: dict[str, Any], heading: int = 2) -> str:
    """The summary as Markdown; ``heading`` sets the level of its title."""
    word, why = verdict_line(j)
    h = "#" * heading
    icon = ICON.get(word, "⚠️")
    if expected_deviation(j):
        icon = "✅"
    lines = [
        f"{h} {icon} {j.get('title', 'experiment')}: {word}",
        "",
        f"**{word}**: {why}  ",
        f"seed {j.get('seed')}, {j.get('duration', 0):g} s of virtual time",
        "",
    ]
    probes = (j.get("hypothesis") or {}).get("probes") or []
    if probes:
        lines += [
            f"{h}# Hypothesis: {_cell(j['hypothesis'].get('title', ''))}",
            "",
            "| window | probe | measured | tolerance | result |",
            "|---|---|--:|--:|---|",
        ]
        for p in probes:
            result = "ok" if p["ok"] else f"**FAIL** ({shortfall(p)})"
            lines.append(
                f"| {p['window']} | {label(p['probe'])} | {fmt(p['value'], p['probe'])} "
                f"| {_cell(p['bound'])} | {result} |"
            )
        lines.append("")
    facts = _facts(j)
    if facts:
        lines += [*facts, ""]
    found = findings(j)
    if found:
        lines += [f"{h}# Findings", ""]
        for n, f in enumerate(found, 1):
            tag = "" if f.severity == "cause" else " _(note)_"
            lines.append(f"{n}. **{f.title}**{tag}. {f.detail} *Fix:* {f.fix}")
        lines.append("")
    return "\n".join(lines)
