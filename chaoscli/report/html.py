"""The HTML report: one self-contained file (inline CSS and SVG, nothing fetched) that an SRE
files with a postmortem and that prints cleanly on A4 and Letter."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from chaoscli.report import charts
from chaoscli.report.findings import findings
from chaoscli.report.style import CSS
from chaoscli.report.words import expected_deviation, fmt, label, shortfall, verdict_line


def _e(value: Any) -> str:
    """Escaped text."""
    return escape(str(value), quote=True)


def _table(head: list[str], rows: list[list[Any]], num: set[int] | None = None) -> str:
    """A table; ``num`` lists the columns to right-align. Cells are escaped unless pre-built."""
    num = num or set()

    def cell(tag: str, i: int, v: Any) -> str:
        cls = ' class="num"' if i in num else ""
        text = v if isinstance(v, Raw) else _e(v)
        return f"<{tag}{cls}>{text}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


class Raw(str):
    """Markup already escaped, passed through a table cell as is."""


def _verdict(j: dict[str, Any]) -> str:
    """The verdict banner."""
    word, why = verdict_line(j)
    cls = {"HELD": "held", "DEVIATED": "deviated"}.get(word, "other")
    if expected_deviation(j):
        cls = "held"  # what the counter-example is for
    return f'<div class="verdict {cls}"><b>{_e(word)}</b>: {_e(why)}</div>'


def _probes(j: dict[str, Any]) -> str:
    """The hypothesis table: every probe in every window."""
    hyp = j.get("hypothesis") or {}
    rows = []
    for p in hyp.get("probes") or []:
        mark = (
            Raw('<span class="ok">ok</span>')
            if p["ok"]
            else Raw(f'<span class="fail">FAIL</span> {_e(shortfall(p))}')
        )
        ci = p.get("ci95")
        ci_text = (
            "" if not ci or None in ci else f"{fmt(ci[0], p['probe'])} – {fmt(ci[1], p['probe'])}"
        )
        rows.append(
            [p["window"], label(p["probe"]), fmt(p["value"], p["probe"]), ci_text, p["bound"], mark]
        )
    if not rows:
        return "<p>No probe was measured.</p>"
    head = ["window", "probe", "measured", "95% interval", "tolerance", "result"]
    return f"<h3>{_e(hyp.get('title', ''))}</h3>" + _table(head, rows, {2, 3, 4})


def _findings(j: dict[str, Any]) -> str:
    """Each finding as a box: what happened and the fix."""
    found = findings(j)
    if not found:
        return "<p>Nothing to report: every probe held and nothing else stood out.</p>"
    out = []
    for f in found:
        cls = "finding" if f.severity == "cause" else "finding note"
        tag = "" if f.severity == "cause" else ' <span class="muted">(note)</span>'
        explains = f'<p class="muted">explains: {_e(", ".join(f.probes))}</p>' if f.probes else ""
        out.append(
            f'<div class="{cls}"><h3>{_e(f.title)}{tag}</h3><p>{_e(f.detail)}</p>'
            f'<p class="fix">{_e(f.fix)}</p>{explains}</div>'
        )
    return "".join(out)


def _numbers(j: dict[str, Any]) -> str:
    """Whole-run figures that are present, including ones added after this was written."""
    m = j.get("metrics") or {}
    known = {
        "requests": ("customer requests", lambda v: f"{v:,.0f}"),
        "visible_errors": ("visible errors", lambda v: f"{v:,.0f}"),
        "hidden_errors": ("errors hidden by retries", lambda v: f"{v:,.0f}"),
        "availability": ("availability", lambda v: fmt(v, "availability")),
        "worst_second_success_ratio": ("worst second", lambda v: fmt(v, "ratio")),
        "worst_second_at_s": ("worst second at", lambda v: f"{v:g} s"),
        "p99_latency_ms": ("p99 latency", lambda v: f"{v:,.0f} ms"),
        "retry_amplification": ("load with retries", lambda v: f"x{v:.2f}"),
        "reroute_s": ("reroute time", lambda v: f"{v:.1f} s"),
        "db_write_unavailable_s": ("database writes unavailable", lambda v: f"{v:.0f} s"),
        "peak_utilisation": ("peak utilisation", lambda v: f"{v:.0%}"),
        "orders": ("checkout orders", lambda v: f"{v:,.0f}"),
        "orders_acked": ("orders acknowledged", lambda v: f"{v:,.0f}"),
        "order_success_ratio": ("orders taken", lambda v: fmt(v, "ratio")),
        "lost_orders": ("lost orders", lambda v: f"{v:,.0f}"),
    }
    rows = [[name, show(m[k])] for k, (name, show) in known.items() if m.get(k) is not None]
    queue = m.get("order_queue") or {}
    if queue.get("enabled"):
        rows.append(["order queue: peak depth", f"{queue.get('max_depth', 0):,.0f} orders"])
        rows.append(
            ["order queue: longest commit delay", f"{queue.get('longest_commit_delay_s', 0):.0f} s"]
        )
    for k, v in m.items():
        if k not in known and isinstance(v, int | float) and not isinstance(v, bool):
            rows.append([k.replace("_", " "), f"{v:,.6g}"])
    causes = m.get("visible_error_causes") or {}
    rows += [[f"visible errors: {c}", f"{n:,.0f}"] for c, n in causes.items() if n]
    return (
        _table(["measure", "whole run"], rows, {1}) if rows else "<p>No traffic was simulated.</p>"
    )


def _topology(j: dict[str, Any]) -> str:
    """Zones, load balancer and health checks, database placement before and after."""
    before = (j.get("topology") or {}).get("before") or {}
    after = (j.get("topology") or {}).get("after") or {}
    exp = j.get("experiment") or {}
    if not before:
        return "<p>The stack was not discovered.</p>"
    lost = {s.get("az") for s in exp.get("method") or [] if s.get("az")}
    lb = before.get("load_balancer") or {}
    db = before.get("database") or {}
    moved = (j.get("metrics") or {}).get("db_primary_az") or {}
    cap = (exp.get("topology") or {}).get("instance_capacity_rps")
    rows = []
    for az in before.get("azs", []):
        role = []
        if db.get("primary_az") == az:
            role.append("primary")
        if db.get("standby_az") == az:
            role.append("standby")
        role += ["replica" for r in (db.get("replicas") or {}).values() if r == az]
        rows.append(
            [
                az,
                before.get("instances_per_az", {}).get(az, 0),
                (after.get("running_per_az") or {}).get(az, "n/a"),
                "yes" if az in lb.get("azs", []) else "no",
                ", ".join(role) or "–",
                "fault" if az in lost else "",
            ]
        )
    zones = _table(["zone", "instances", "running after", "LB node", "database", ""], rows, {1, 2})
    n = sum(before.get("instances_per_az", {}).values())
    rps = max([s.get("requests", 0) for s in j.get("timeline") or []], default=0) or (
        (exp.get("traffic") or {}).get("rps")
    )  # the peak second: a traffic spike raises it above traffic.rps
    cap_line = ""
    if cap and rps and n:
        cap_line = (
            f"<p>{n} web instances x {cap:,.0f} req/s = {n * cap:,.0f} req/s for "
            f"{rps:,.0f} offered at the peak ({rps / (n * cap):.0%} busy)"
        )
        if len(rows) > 1:
            left = n * cap * (len(rows) - 1) / len(rows)
            cap_line += f"; without one zone {left:,.0f} req/s ({rps / left:.0%} busy)"
        cap_line += ".</p>"
    hc = lb.get("health_check") or {}
    lb_rows = [
        ["load balancer", lb.get("name", "none")],
        ["algorithm", lb.get("algorithm", "n/a")],
        ["cross-zone", "on" if lb.get("cross_zone") else "off"],
        ["deregistration delay", f"{lb.get('deregistration_delay_s', 0):g} s"],
    ]
    if hc:
        out_s = hc["interval_s"] * hc["unhealthy_threshold"]
        back_s = hc["interval_s"] * hc["healthy_threshold"]
        lb_rows += [
            [
                "health check",
                f"{hc['path']} every {hc['interval_s']:g} s, timeout {hc['timeout_s']:g} s",
            ],
            [
                "out after",
                f"{hc['unhealthy_threshold']} failures ≈ {out_s:g} s",
            ],
            [
                "back after",
                f"{hc['healthy_threshold']} passes ≈ {back_s:g} s",
            ],
        ]
    db_rows = [
        [
            "engine",
            f"MariaDB {(exp.get('topology') or {}).get('database', {}).get('engine_version', '')}",
        ],
        [
            "Multi-AZ",
            "yes, standby in " + str(db.get("standby_az")) if db.get("multi_az") else "no",
        ],
        ["primary before", db.get("primary_az", "n/a")],
        ["primary after the fault (model)", moved.get("after", "n/a")],
        [
            "primary after rollback (control plane)",
            ((after.get("database") or {}).get("primary_az")) or "n/a",
        ],
        ["read replicas", ", ".join(sorted((db.get("replicas") or {}).values())) or "none"],
    ]
    return (
        f'<div class="keep"><p>Stack <code>{_e(before.get("stack"))}</code> in '
        f"{_e(before.get('region'))}, as discovered through the AWS API.</p>{zones}{cap_line}"
        f'</div><div class="grid">{_table(["load balancer", ""], lb_rows)}'
        f"{_table(['database', ''], db_rows)}</div>"
    )


def _span(group: list[dict[str, Any]]) -> str:
    """The time or time range of an event group."""
    a, b = group[0]["t"], group[-1]["t"]
    return f"{a:g} s" if a == b else f"{a:g}–{b:g} s"


def _charts(j: dict[str, Any]) -> str:
    """Every chart the journal has data for, with the numbered event list under the first."""
    if not j.get("timeline"):
        return "<p>No traffic was simulated, so there is nothing to chart.</p>"
    items = "".join(
        f'<li value="{n}"><b>{_span(group)}</b> '
        + "; ".join(_e(e["message"]) for e in group)
        + "</li>"
        for n, (_, group) in enumerate(charts.event_groups(j), 1)
    )
    limit = (
        ((j.get("experiment") or {}).get("hypothesis") or {}).get("p99_latency_ms", {}).get("max")
    )
    key = charts.queue_key(j)
    db_title = "Database write availability" + (" and order-queue depth" if key else "")
    tl = j["timeline"]

    def has(key: str) -> bool:
        """Whether any second carries this field."""
        return any(s.get(key) is not None for s in tl)

    parts: list[tuple[str, Callable[[], str], str] | None] = [
        (
            "Customer requests per second",
            lambda: charts.load(j),
            "Offered load, successful and visibly failed requests; the fault window is shaded and "
            "numbered lines mark the events listed below.",
        ),
        None,
    ]
    if has("served"):
        parts.append(
            (
                "Traffic share per zone",
                lambda: charts.zones(j),
                "Share of successful requests each zone served.",
            )
        )
    if has("p99_latency_ms"):
        parts.append(
            (
                "Latency p99 per second",
                lambda: charts.latency(j, limit),
                "99th percentile of successful requests, log scale.",
            )
        )
    if has("utilisation"):
        parts.append(
            (
                "Utilisation per zone",
                lambda: charts.utilisation(j),
                "Offered load over capacity; above 100% queues grow.",
            )
        )
    if has("db_writable") or key:
        parts.append(
            (
                db_title,
                lambda: charts.database(j),
                "Whether the primary accepted writes each second.",
            )
        )
    out = []
    for part in parts:
        if part is None:
            out.append(f'<h3>Events</h3><ol class="events">{items}</ol>')
            continue
        title, draw, caption = part
        out.append(
            f"<figure><h3>{_e(title)}</h3>{draw()}<figcaption>{_e(caption)}</figcaption></figure>"
        )
    return "".join(out)


def render(j: dict[str, Any]) -> str:
    """The whole report as one HTML document."""
    exp = j.get("experiment") or {}
    title = j.get("title") or exp.get("title") or "chaoscli experiment"
    rb = j.get("rollbacks") or []
    check = j.get("rollback_check") or []
    restored = "the stack was re-discovered identical to before" if not check else "; ".join(check)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body>
<header><h1>{_e(title)}</h1>
<div class="meta">seed {_e(j.get("seed"))} · {j.get("duration", 0):g} s of virtual time ·
chaoscli {_e(j.get("chaoscli_version", ""))} · {_e(j.get("source", ""))}</div>
<p>{_e(exp.get("description", ""))}</p>
{_verdict(j)}</header>
<section><h2>Findings</h2>{_findings(j)}</section>
<section><h2>Steady-state hypothesis</h2>{_probes(j)}</section>
<section><h2>Numbers</h2>{_numbers(j)}</section>
<section><h2>Topology</h2>{_topology(j)}</section>
<section class="charts"><h2>Timeline</h2>{_charts(j)}</section>
<section><h2>Rollback</h2><p>{len(rb)} change(s) undone; {_e(restored)}.</p></section>
<footer>Times are virtual seconds from the start of simulated traffic. Generated by chaoscli
from the run's journal; the same seed gives the same report.</footer>
</body></html>
"""
