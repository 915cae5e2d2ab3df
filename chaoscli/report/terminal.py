"""The terminal summary: topology, timeline, hypothesis table and verdict, in 80 columns."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
PROBE_LABEL = {
    "availability": "availability",
    "worst_second_success_ratio": "worst second",
    "p99_latency_ms": "p99 latency (ms)",
}


def sparkline(values: list[float], width: int = 60, floor: float | None = None) -> str:
    """Success ratio per second folded into ``width`` bars (each bar the worst of its span)."""
    if not values:
        return ""
    n = len(values)
    spans = [
        values[i * n // width : max(i * n // width + 1, (i + 1) * n // width)]
        for i in range(min(width, n))
    ]
    worst = [min(s) for s in spans]
    lo = min(worst) if floor is None else floor
    hi = 1.0
    out = []
    for v in worst:
        frac = 1.0 if hi <= lo else (v - lo) / (hi - lo)
        out.append(BARS[max(0, min(len(BARS) - 1, round(frac * (len(BARS) - 1))))])
    return "".join(out)


def fmt(value: Any, probe: str) -> str:
    """A measured value the way an SRE reads it."""
    if value is None:
        return "n/a"
    if probe == "p99_latency_ms":
        return f"{value:,.0f}"
    return f"{value * 100:.3f}%" if value < 0.99995 else "100%"


def _topology(j: dict[str, Any]) -> Text:
    topo = j["topology"]["before"] or {}
    exp = j["experiment"]
    t = exp["topology"]
    n = sum(topo.get("instances_per_az", {}).values())
    cap = n * t["instance_capacity_rps"]
    rps = exp["traffic"]["rps"]
    lines = [
        f"stack {topo.get('stack')} in {topo.get('region')}: {len(topo.get('azs', []))} zones, "
        f"{n} web instances",
        f"  capacity {cap:,.0f} req/s for {rps:,.0f} offered ({rps / cap:.0%} busy)"
        if cap
        else "  no capacity",
    ]
    lb = topo.get("load_balancer")
    if lb:
        hc = lb["health_check"]
        lines.append(
            f"  ALB {lb['algorithm']}, cross-zone {'on' if lb['cross_zone'] else 'off'}, "
            f"health check every {hc['interval_s']:g} s, out after {hc['unhealthy_threshold']}"
        )
    db = topo.get("database")
    if db:
        reps = ", ".join(sorted(db["replicas"].values())) or "none"
        standby = f", standby {db['standby_az']}" if db["multi_az"] else " (single-AZ)"
        lines.append(f"  MariaDB primary {db['primary_az']}{standby}; replicas {reps}")
    return Text("\n".join(lines))


def _events(j: dict[str, Any]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column(justify="right", style="cyan", no_wrap=True)
    table.add_column(overflow="fold", max_width=68)
    for e in j["events"]:
        table.add_row(f"{e['t']:.1f} s", e["message"])
    return table


def _probes(j: dict[str, Any]) -> Table:
    table = Table(
        title=f"hypothesis: {j['hypothesis']['title']}", title_justify="left", expand=False
    )
    table.add_column("window")
    table.add_column("probe")
    table.add_column("measured", justify="right")
    table.add_column("tolerance", justify="right")
    table.add_column("", justify="center")
    for p in j["hypothesis"]["probes"]:
        mark = Text("ok", style="green") if p["ok"] else Text("FAIL", style="bold red")
        table.add_row(
            p["window"], PROBE_LABEL[p["probe"]], fmt(p["value"], p["probe"]), p["bound"], mark
        )
    return table


def _traffic(j: dict[str, Any]) -> Text:
    m = j["metrics"]
    if not m:
        return Text("no traffic was simulated")
    reroute = m["reroute_s"]
    lines = [
        f"{m['requests']:,.0f} requests, {m['visible_errors']:,.0f} visible errors, "
        f"{m['hidden_errors']:,.0f} hidden by retries (x{m['retry_amplification']:.2f} load)",
        f"reroute {'n/a' if reroute is None else f'{reroute:.1f} s'}, database writes "
        f"unavailable {m['db_write_unavailable_s']:.0f} s",
    ]
    spark = sparkline([s["success_ratio"] for s in j["timeline"]], width=60)
    if spark:
        lines.append(f"success/s {spark}")
    return Text("\n".join(lines))


def verdict(j: dict[str, Any]) -> Text:
    """One line: held, deviated (and why), or aborted."""
    if j["status"] != "completed":
        return Text(f"{j['status'].upper()}: {j.get('error') or 'no verdict'}", style="bold yellow")
    if not j["deviated"]:
        return Text("HELD: customers would not have noticed.", style="bold green")
    failed = [p for p in j["hypothesis"]["probes"] if not p["ok"]]
    why = "; ".join(
        f"{PROBE_LABEL[p['probe']]} {p['window']} {fmt(p['value'], p['probe'])} "
        f"(needs {p['bound']})"
        for p in failed[:3]
    )
    return Text(f"DEVIATED: {why}", style="bold red")


def summary(j: dict[str, Any]) -> Group:
    """The whole summary as one renderable."""
    rb = j["rollback"]
    check = j["rollback_check"]
    restored = (
        "control plane restored (re-discovered, identical to before)"
        if not check
        else "differences after rollback: " + "; ".join(check)
    )
    parts: list[Any] = [
        Text(f"{j['title']}  (seed {j['seed']})", style="bold"),
        _topology(j),
        Text("\ntimeline (virtual time)", style="bold"),
        _events(j),
        Text(""),
    ]
    if j["hypothesis"]["probes"]:
        parts.append(_probes(j))
    parts += [_traffic(j), Text(f"rollback: {len(rb)} step(s) undone; {restored}"), verdict(j)]
    return Group(*parts)


def print_summary(j: dict[str, Any], console: Console) -> None:
    """Print the summary."""
    console.print(summary(j))
