"""The terminal summary: topology, timeline, hypothesis table, findings and verdict, in at most
80 columns; rich drops colour under NO_COLOR and all control codes when output is piped."""

from __future__ import annotations

import textwrap
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from chaoscli.record.model import Record
from chaoscli.report import recovery, series
from chaoscli.report.findings import Shown, combined, findings, verification
from chaoscli.report.words import (
    capacity,
    expectation,
    fmt,
    percent,
    primary_note,
    spread_line,
    titled,
    verdict_line,
)

BARS = "▁▂▃▄▅▆▇█"
WIDTH = 80
SPARK = 60


def sparkline(values: list[float], width: int = SPARK, floor: float | None = None) -> str:
    """Success ratio per second folded into ``width`` bars (each bar the worst of its span);
    bars scale from ``floor`` (or the lowest value) to 100%."""
    if not values:
        return ""
    n = len(values)
    spans = [
        values[i * n // width : max(i * n // width + 1, (i + 1) * n // width)]
        for i in range(min(width, n))
    ]
    worst = [min(s) for s in spans]
    lo = min(worst) if floor is None else min(floor, min(worst))
    out = []
    for v in worst:
        frac = 1.0 if lo >= 1.0 else (v - lo) / (1.0 - lo)
        out.append(BARS[max(0, min(len(BARS) - 1, round(frac * (len(BARS) - 1))))])
    return "".join(out)


def _wrap(text: str, indent: str = "  ") -> str:
    """Wrap prose to the summary's width."""
    return textwrap.fill(text, WIDTH - 1, initial_indent=indent, subsequent_indent=indent + "  ")


def _topology(r: Record) -> Text:
    """Zones, capacity, load balancer and database in a few lines."""
    topo = r.topology.before
    if topo is None:
        return Text("the stack was not discovered")
    _, cap, rps = capacity(r)
    lines = [
        f"stack {topo.stack} in {topo.region}: "
        f"{len(topo.azs)} zone(s), {topo.instances} web instances",
        f"  capacity {cap:,.0f} req/s for {rps:,.0f} offered at the peak ({rps / cap:.0%} busy)"
        if cap
        else "  no capacity",
    ]
    lb = topo.load_balancer
    if lb:
        hc = lb.health_check
        lines.append(
            f"  ALB {lb.algorithm}, cross-zone {'on' if lb.cross_zone else 'off'}, "
            f"checks every {hc.interval_s:g} s, out after {hc.unhealthy_threshold}"
        )
    db = topo.database
    if db:
        standby = f", standby {db.standby_az}" if db.multi_az else " (single-AZ)"
        lines.append(
            _wrap(f"MariaDB primary {db.primary_az}{standby}; {len(db.replicas)} replica(s)")
        )
    return Text("\n".join(lines))


def _events(r: Record) -> Text:
    """One wrapped line per event, time first."""
    lines = []
    for e in r.events:
        head = f"{e.t:7.1f} s  "
        body = textwrap.wrap(e.message, WIDTH - 1 - len(head)) or [""]
        lines.append(head + body[0])
        lines += [" " * len(head) + rest for rest in body[1:]]
    return Text("\n".join(lines))


def _probes(r: Record) -> Table:
    """The hypothesis table."""
    table = Table(
        title=f"hypothesis: {r.hypothesis.title}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("window")
    table.add_column("probe")
    table.add_column("measured", justify="right")
    table.add_column("tolerance", justify="right")
    table.add_column("", justify="center")
    for p in r.hypothesis.probes:
        mark = Text("ok", style="green") if p.ok else Text("FAIL", style="bold red")
        table.add_row(p.window, p.label, fmt(p.value, p.probe), p.bound, mark)
    return table


def _spark(r: Record) -> Text:
    """Sparkline of visible success per second with the fault window marked under it."""
    values = [
        v if v is not None else 0.0 for v in series.per_second(r, lambda s: s.success_ratio, "low")
    ]
    if not values:
        return Text("")
    tol = r.hypothesis.tolerance("worst_second_success_ratio")
    need = tol.min if tol else None
    floor = max(0.0, 2 * need - 1) if need is not None else None
    bars = sparkline(values, SPARK, floor)
    n = len(values)
    out = Text("success/s ")
    for i, ch in enumerate(bars):
        lo = i * n // len(bars)
        hi = max(lo + 1, (i + 1) * n // len(bars))
        bad = need is not None and min(values[lo:hi]) < need
        out.append(ch, style="red" if bad else "green")
    worst = min(values)
    out.append(f" {percent(worst)}" if worst < 1 else " 100%")
    ruler = [" "] * len(bars)
    for start, stop in r.step_spans():
        a = int(start * len(bars) / n)
        b = int(min(n, stop) * len(bars) / n)
        for i in range(max(0, a), min(len(bars), max(a + 1, b))):
            ruler[i] = "^"
    if "^" in ruler:
        out.append("\n" + " " * 10 + "".join(ruler).rstrip() + " fault")
    end = f"{n} s"
    out.append(f"\n{'':10}0 s{end:>{len(bars) - 3}}")
    return out


def _recovery(r: Record) -> list[str]:
    """Customers' recovery as the headline, the rule, its parts, then the reroute time."""
    m = r.metrics
    assert m is not None
    rec = m.recovery
    lines = [_wrap(recovery.headline(rec), "")]
    rule = recovery.rule(rec)
    if rule:
        lines.append(_wrap(rule))
    found = recovery.parts_text(rec)
    if found:
        lines.append(_wrap(f"parts: {found}"))
    line = recovery.reroute(m)
    return [*lines, _wrap(line)] if line else lines


def _traffic(r: Record) -> Text:
    """Requests and errors, customers' recovery and its parts, reroute and database."""
    m = r.metrics
    if m is None:
        return Text("no traffic was simulated")
    lines = [
        _wrap(
            f"{m.requests:,.0f} requests, {m.visible_errors:,.0f} visible errors, "
            f"{m.slow_requests:,.0f} slower than {r.experiment.hypothesis.patience_s:g} s, "
            f"{m.hidden_errors:,.0f} hidden by retries "
            f"(x{m.retry_amplification:.2f} load)",
            "",
        ),
        *_recovery(r),
        f"database writes unavailable {m.db_write_unavailable_s:.0f} s",
    ]
    (lo, hi), (p99_lo, p99_hi) = m.availability_ci95, m.p99_latency_ci95_ms
    if lo is not None and hi is not None and p99_lo is not None and p99_hi is not None:
        lines.append(
            _wrap(
                f"whole run, 95% intervals: availability {lo * 100:.4f}-{hi * 100:.4f}%, "
                f"p99 {p99_lo:,.0f}-{p99_hi:,.0f} ms",
                "",
            )
        )
    if m.orders:
        text = f"orders: {m.orders_acked:,.0f} of {m.orders:,.0f} taken, {m.lost_orders:,.0f} lost"
        if m.order_queue.enabled:
            text += (
                f"; order queue peaked at {m.order_queue.max_depth:,.0f}, longest commit delay "
                f"{m.order_queue.longest_commit_delay_s:.0f} s"
            )
        lines.append(_wrap(text, ""))
    return Text("\n".join(lines))


def _findings(r: Record) -> Text:
    """The findings, each with its fix, the fix's overrides and its re-run's result."""
    found = findings(r)
    if not found:
        return Text("")
    out = Text("findings\n", style="bold")
    for n, f in enumerate(found, 1):
        style = "red" if f.severity == "cause" else "yellow"
        out.append(textwrap.fill(f"{n}. {f.title}", WIDTH - 1, subsequent_indent="   "), style)
        out.append("\n" + _fix(f))
    together = combined(r)
    if together is not None:
        out.append("all fixes together\n", style="bold")
        out.append(_fix(together))
    proof = verification(r)
    if proof:
        out.append(_wrap(proof, "") + "\n", style="dim")
    return out


def _fix(f: Shown) -> str:
    """A fix's words, its ``--set`` overrides and its re-run's result, wrapped."""
    lines = [_wrap(f"{f.kind_words}: {f.fix}", "   ")] if f.fix else []
    lines += [_wrap(text, "     ") for text in (f.args, f.result) if text]
    return "".join(line + "\n" for line in lines)


def verdict(r: Record) -> Text:
    """One line: held, deviated (and why), or aborted."""
    word, why = verdict_line(r)
    style = {"HELD": "bold green", "DEVIATED": "bold red"}.get(word, "bold yellow")
    if expectation(r):  # a counter-example: as declared, or a surprise
        style = "bold yellow"
    return Text(textwrap.fill(f"{word}{expectation(r)}: {why}", WIDTH - 1), style=style)


def summary(r: Record) -> Group:
    """The whole summary as one renderable."""
    rb, check = r.rollbacks, r.rollback_check
    restored = (
        "control plane restored (re-discovered, identical to before)"
        if not check
        else "differences after rollback: " + "; ".join(check)
    )
    parts: list[Any] = [
        Text(_wrap(f"{titled(r)}  (seed {r.seed})", ""), style="bold"),
        _topology(r),
        Text("\ntimeline (virtual time)", style="bold"),
        _events(r),
    ]
    note = primary_note(r)
    if note:
        parts.append(Text(_wrap(note, "")))
    parts.append(Text(""))
    if r.hypothesis.probes:
        parts.append(_probes(r))
    parts += [
        _traffic(r),
        _spark(r),
        _findings(r),
        Text(_wrap(f"rollback: {len(rb)} change(s) undone; {restored}", "")),
    ]
    if r.runs is not None:
        parts.append(Text(_wrap(spread_line(r), "")))
    parts.append(verdict(r))
    return Group(*parts)


def print_summary(r: Record, console: Console) -> None:
    """Print the summary, never wider than 80 columns."""
    console.print(summary(r), width=min(console.width, WIDTH), highlight=False)
