"""The HTML report: one self-contained file (inline CSS and SVG, nothing fetched) that an SRE
files with a postmortem and that prints cleanly on A4 and Letter."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from chaoscli.record.model import Record
from chaoscli.report import charts, html_runs, impact, recovery, series
from chaoscli.report.findings import Shown, combined, findings, verification
from chaoscli.report.style import CSS
from chaoscli.report.words import (
    capacity,
    clause,
    endpoint,
    expectation,
    fmt,
    overrides,
    percent,
    primary_note,
    provenance,
    ran_at,
    short_event,
    shortfall,
    titled,
    verdict_line,
)


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


def _verdict(r: Record) -> str:
    """The verdict banner."""
    word, why = verdict_line(r)
    cls = {"HELD": "held", "DEVIATED": "deviated"}.get(word, "other")
    if expectation(r):
        cls = "expected" if r.expected_deviation else "other"  # neither "all good" nor a fault
    return f'<div class="verdict {cls}"><b>{_e(word + expectation(r))}</b>: {_e(why)}</div>'


def _probes(r: Record) -> str:
    """The hypothesis table: every probe in every window."""
    rows = []
    for p in r.hypothesis.probes:
        mark = (
            Raw('<span class="ok">ok</span>')
            if p.ok
            else Raw(f'<span class="fail">FAIL</span> {_e(shortfall(p))}')
        )
        ci = p.ci95
        ci_text = "" if not ci or None in ci else f"{fmt(ci[0], p.probe)} – {fmt(ci[1], p.probe)}"
        rows.append([p.window, p.label, fmt(p.value, p.probe), ci_text, p.bound, mark])
    if not rows:
        return "<p>No probe was measured.</p>"
    head = ["window", "probe", "measured", "95% interval", "tolerance", "result"]
    return f"<h3>{_e(r.hypothesis.title)}</h3>" + _table(head, rows, {2, 3, 4})


def _findings(r: Record) -> str:
    """Each finding as a box: what happened, the fix, its overrides and its re-run's result."""
    found = findings(r)
    if not found:
        return "<p>Nothing to report: every probe held and nothing else stood out.</p>"
    out = []
    for f in found:
        cls = "finding" if f.severity == "cause" else "finding note"
        tag = "" if f.severity == "cause" else ' <span class="muted">(note)</span>'
        explains = f'<p class="muted">explains: {_e(", ".join(f.probes))}</p>' if f.probes else ""
        out.append(
            f'<div class="{cls}"><h3>{_e(f.title)}{tag}</h3><p>{_e(f.detail)}</p>'
            f"{_fix(f)}{explains}</div>"
        )
    together = combined(r)
    if together is not None:
        out.append(f'<div class="finding"><h3>All fixes together</h3>{_fix(together)}</div>')
    proof = verification(r)
    if proof:
        out.append(f'<p class="muted">{_e(proof)}</p>')
    return "".join(out)


def _rerun(f: Shown) -> str:
    """A fix's re-run in a few words (the details say what it measured); empty if none."""
    fix = f.finding.fix
    if not f.result or fix is None or fix.result is None:  # not re-run, or not offered
        return ""
    if f.held:
        return ' <span class="verified held">Re-run with it: held.</span>'
    return ' <span class="verified">Re-run with it: helps, not enough.</span>'


def _findings_brief(r: Record) -> str:
    """Page 1's findings: each title with its fix and whether the fix held when re-run (the
    overrides and figures are in the details)."""
    found = findings(r)
    if not found:
        return "<p>Nothing to fix: every probe held and nothing else stood out.</p>"
    items = []
    for f in found:
        note = "" if f.severity == "cause" else ' <span class="muted">(note)</span>'
        fix = f' <span class="fix">{_labelled(f)}</span>' if f.fix else ""
        items.append(f"<li><b>{_e(clause(f.title))}</b>{note}.{fix}{_rerun(f)}</li>")
    together = combined(r)
    if together is not None:
        items.append(f"<li><b>All fixes together</b>.{_rerun(together)}</li>")
    proof = verification(r)
    more = f'<p class="muted">{_e(proof)}</p>' if proof else ""
    return f'<ol class="brief">{"".join(items)}</ol>{more}'


def _impact(r: Record) -> str:
    """Impact in customers' terms, as a row of figures."""
    shown = impact.figures(r)
    if not shown:
        return "<p>No traffic was simulated.</p>"
    cells = "".join(
        f'<div class="figure"><div class="what">{_e(f.what)}</div>'
        f'<div class="value">{_e(f.value)}</div><div class="detail">{_e(f.detail)}</div></div>'
        for f in shown
    )
    return f'<div class="figures">{cells}</div>'


def _labelled(f: Shown) -> str:
    """A remedy's words after its label: "Fix:" only for one the model re-ran."""
    return f"<b>{_e(f.kind_words.capitalize())}:</b> {_e(f.fix)}"


def _fix(f: Shown) -> str:
    """A fix's words, its ``--set`` overrides and what re-running with them measured."""
    text = f'<p class="fix">{_labelled(f)}</p>' if f.fix else ""
    if f.args:
        text += f"<p><code>{_e(f.args)}</code></p>"
    if f.result:
        held = " held" if f.held else ""
        text += f'<p class="verified{held}">{_e(f.result)}</p>'
    return text


def _recovery(r: Record) -> str:
    """Customers' recovery as the headline, the rule behind it, its parts, then reroute."""
    m = r.metrics
    if m is None:
        return "<p>No traffic was simulated.</p>"
    rec = m.recovery
    rule = recovery.rule(rec)
    out = f'<p class="headline"><b>{_e(recovery.headline(rec))}</b></p>'
    if rule:
        out += f"<p>{_e(rule)}; recovery ends when every later second is normal.</p>"
    found = recovery.parts(rec)
    if found:
        rows = [[what, recovery.seconds(t)] for what, t in found]
        out += _table(["part", "after the fault"], rows, {1})
    line = recovery.reroute(m)
    return out + (f'<p class="muted">{_e(line)}</p>' if line else "")


def _count(v: float) -> str:
    """A count for the numbers table."""
    return f"{v:,.0f}"


def _numbers(r: Record) -> str:
    """Whole-run figures, each under the name a reader knows it by."""
    m = r.metrics
    if m is None:
        return "<p>No traffic was simulated.</p>"
    shown: list[tuple[str, float | None, Callable[[float], str]]] = [
        ("customer requests", m.requests, _count),
        ("visible errors", m.visible_errors, _count),
        (f"slower than {r.experiment.hypothesis.patience_s:g} s", m.slow_requests, _count),
        ("errors hidden by retries", m.hidden_errors, _count),
        ("availability", m.availability, percent),
        ("worst second", m.worst_second_success_ratio, percent),
        ("worst second at", m.worst_second_at_s, lambda v: f"{v:g} s"),
        ("p99 latency", m.p99_latency_ms, lambda v: f"{v:,.0f} ms"),
        ("load with retries", m.retry_amplification, lambda v: f"x{v:.2f}"),
        ("database writes unavailable", m.db_write_unavailable_s, lambda v: f"{v:.0f} s"),
        ("peak utilisation", m.peak_utilisation, lambda v: f"{v:.0%}"),
        ("checkout orders", m.orders, _count),
        ("orders acknowledged", m.orders_acked, _count),
        ("orders taken", m.order_success_ratio, percent),
        ("lost orders", m.lost_orders, _count),
    ]
    rows = [[name, show(v)] for name, v, show in shown if v is not None]
    if m.order_queue.enabled:
        rows.append(["order queue: peak depth", f"{m.order_queue.max_depth:,.0f} orders"])
        rows.append(
            ["order queue: longest commit delay", f"{m.order_queue.longest_commit_delay_s:.0f} s"]
        )
    rows += [[f"visible errors: {c}", _count(n)] for c, n in m.visible_error_causes.items() if n]
    return _table(["measure", "whole run"], rows, {1})


def _zone_rows(r: Record) -> list[list[Any]]:
    """One row per zone: instances before, running after, load-balancer node, database."""
    before, after = r.topology.before, r.topology.after
    assert before is not None
    lost = {s.az for s in r.experiment.method if s.az}
    lb, db = before.load_balancer, before.database
    rows: list[list[Any]] = []
    for az in before.azs:
        role = []
        if db and db.primary_az == az:
            role.append("primary")
        if db and db.standby_az == az:
            role.append("standby")
        role += ["replica" for zone in (db.replicas.values() if db else []) if zone == az]
        rows.append(
            [
                az,
                before.instances_per_az.get(az, 0),
                after.running_per_az.get(az, "n/a") if after else "n/a",
                "yes" if lb and az in lb.azs else "no",
                ", ".join(role) or "–",
                "fault" if az in lost else "",
            ]
        )
    return rows


def _capacity(r: Record, zones: int) -> str:
    """Capacity against the offered peak, with every zone and without one."""
    n, total, rps = capacity(r)
    if not (total and rps):
        return ""
    each = r.experiment.topology.instance_capacity_rps
    line = (
        f"<p>{n} web instances x {each:,.0f} req/s = {total:,.0f} req/s for "
        f"{rps:,.0f} offered at the peak ({rps / total:.0%} busy)"
    )
    if zones > 1:
        left = total * (zones - 1) / zones
        line += f"; without one zone {left:,.0f} req/s ({rps / left:.0%} busy)"
    return line + ".</p>"


def _topology(r: Record) -> str:
    """Zones, load balancer and health checks, database placement before and after."""
    before, after = r.topology.before, r.topology.after
    if before is None:
        return "<p>The stack was not discovered.</p>"
    lb, db = before.load_balancer, before.database
    moved = r.metrics.db_primary_az.after if r.metrics else None
    rows = _zone_rows(r)
    zones = _table(["zone", "instances", "running after", "LB node", "database", ""], rows, {1, 2})
    lb_rows = [
        ["load balancer", lb.name if lb else "none"],
        ["algorithm", lb.algorithm if lb else "n/a"],
        ["cross-zone", "on" if lb and lb.cross_zone else "off"],
        ["deregistration delay", f"{lb.deregistration_delay_s if lb else 0:g} s"],
    ]
    if lb:
        hc = lb.health_check
        lb_rows += [
            ["health check", f"{hc.path} every {hc.interval_s:g} s, timeout {hc.timeout_s:g} s"],
            ["out after", f"{hc.unhealthy_threshold} failures ≈ {hc.out_after_s:g} s"],
            ["back after", f"{hc.healthy_threshold} passes ≈ {hc.back_after_s:g} s"],
        ]
    after_db = after.database if after else None
    replicas = ", ".join(sorted(db.replicas.values())) if db else ""
    db_rows = [
        ["engine", f"MariaDB {r.experiment.topology.database.engine_version}"],
        ["Multi-AZ", f"yes, standby in {db.standby_az}" if db and db.multi_az else "no"],
        ["primary before", db.primary_az if db else "n/a"],
        ["primary after the fault (model)", moved or "n/a"],
        ["primary after rollback (control plane)", after_db.primary_az if after_db else "n/a"],
        ["read replicas", replicas or "none"],
    ]
    return (
        f'<div class="keep"><p>Stack <code>{_e(before.stack)}</code> in '
        f"{_e(before.region)}, as discovered through the AWS API.</p>{zones}"
        f"{_capacity(r, len(rows))}"
        f'</div><div class="grid">{_table(["load balancer", ""], lb_rows)}'
        f"{_table(['database', ''], db_rows)}</div>"
        + (f"<p>{_e(primary_note(r))}</p>" if primary_note(r) else "")
    )


def _events(r: Record) -> str:
    """Every event on its own line, its short name, and the number the charts mark it with."""
    rows = []
    for n, (_, group) in enumerate(charts.event_groups(r), 1):
        for i, e in enumerate(group):
            rows.append(
                f'<tr><td class="num">{n if i == 0 else ""}</td><td class="num">{e.t:,.0f} s</td>'
                f"<td>{_e(short_event(e.message))}</td></tr>"
            )
    if not rows:
        return ""
    return (
        '<h2>Events</h2><table class="events"><thead><tr><th class="num">#</th>'
        '<th class="num">time</th>'
        f"<th>event (numbered as on the chart)</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table>"
    )


def _main_chart(r: Record) -> str:
    """The requests-per-second chart, with the fault shaded and the events numbered."""
    if not r.timeline:
        return "<p>No traffic was simulated, so there is nothing to chart.</p>"
    how = series.resolution(r)
    coarse = "" if how == "per second" else _e(f" The timeline is {how}.")
    return (
        f"<figure><h3>Customer requests per second</h3>{charts.load(r)}<figcaption>The "
        "fault window is shaded; numbered lines mark the events listed after the chart."
        f"{coarse}</figcaption></figure>"
    )


def _charts(r: Record) -> str:
    """The charts after the main one."""
    if not r.timeline:
        return ""
    bound = r.hypothesis.tolerance("p99_latency_ms")
    limit = bound.max if bound else None
    queue = charts.with_queue(r)
    parts: list[tuple[str, Callable[[], str], str]] = [
        (
            "Traffic share per zone",
            lambda: charts.zones(r),
            "Share of successful requests each zone served.",
        ),
        (
            "Latency p99 per second",
            lambda: charts.latency(r, limit),
            "99th percentile of successful requests, log scale.",
        ),
        (
            "Utilisation per zone",
            lambda: charts.utilisation(r),
            "Offered load over capacity; above 100% queues grow.",
        ),
        (
            "Database write availability" + (" and order-queue depth" if queue else ""),
            lambda: charts.database(r),
            "Whether the primary accepted writes each second"
            + (", and orders waiting in the queue." if queue else "."),
        ),
    ]
    return "".join(
        f"<figure><h3>{_e(title)}</h3>{draw()}<figcaption>{_e(caption)}</figcaption></figure>"
        for title, draw, caption in parts
    )


def _run_details(r: Record) -> str:
    """Where the run came from: wall-clock times, command, overrides, digest, endpoint."""
    rows = [
        [what, Raw(f"<code>{_e(value)}</code>") if code else value]
        for what, value, code in provenance(r)
    ]
    return f"<p>{_e(r.experiment.description)}</p>" + _table(["run", ""], rows)


def _runs(r: Record) -> str:
    """With --runs N: the verdict over the runs, as its own section."""
    body = html_runs.section(r, _table)
    return f"<section><h2>Over {r.runs.count} runs</h2>{body}</section>\n" if r.runs else ""


def _overrides(r: Record) -> str:
    """The overrides next to the title: a run with them is not the file as shipped."""
    more = overrides(r)
    if not more:
        return ""
    return f'<p class="overrides">run with <code>{_e(more)}</code>, not the file as it is</p>'


def _meta(r: Record) -> str:
    """One line: seed, virtual length, when, chaoscli, the file and its digest, the endpoint."""
    when = ran_at(r)
    digest = r.provenance.experiment_sha256
    parts = [
        f"seed {r.seed}",
        f"{r.duration:,g} s of virtual time",
        *([f"ran {when}"] if when else []),
        f"chaoscli {r.chaoscli_version}",
        r.source.rsplit("/", 1)[-1] + (f" (SHA-256 {digest[:12]}…)" if digest else ""),
        endpoint(r),
    ]
    return " · ".join(_e(p) for p in parts)


def render(r: Record) -> str:
    """The whole report as one HTML document: page 1 is the summary (verdict, impact,
    findings with their fixes, the main chart); the details follow from page 2."""
    title = titled(r)
    check = r.rollback_check
    restored = "the stack was re-discovered identical to before" if not check else "; ".join(check)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body>
<section class="summary">
<header><h1>{_e(r.title or r.experiment.title or "chaoscli experiment")}</h1>{_overrides(r)}
<div class="meta">{_meta(r)}</div>
{_verdict(r)}</header>
<h2>Impact on customers</h2>{_impact(r)}
<h2>Findings and fixes</h2>{_findings_brief(r)}
{_main_chart(r)}
</section>
<section class="details">{_events(r)}{_runs(r)}
<h2>Recovery as customers saw it</h2>{_recovery(r)}</section>
<section><h2>Findings in detail</h2>{_findings(r)}</section>
<section><h2>Steady-state hypothesis</h2>{_probes(r)}</section>
<section><h2>Numbers</h2>{_numbers(r)}</section>
<section><h2>Topology</h2>{_topology(r)}</section>
<section class="charts"><h2>More charts</h2>{_charts(r)}</section>
<section><h2>Rollback</h2><p>{len(r.rollbacks)} change(s) undone; {_e(restored)}.</p></section>
<section><h2>Run</h2>{_run_details(r)}</section>
<footer>Times are virtual seconds from the start of simulated traffic, but for when the run
ran. Generated by chaoscli from the run's journal; the same seed gives the same figures.</footer>
</body></html>
"""
