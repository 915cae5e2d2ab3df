"""An assessment as a terminal matrix, Markdown, printable HTML, JSON and JUnit XML: the same
rows in each, made from the ``Assessment`` alone."""

from __future__ import annotations

import html
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

from chaoscli.assess.model import Assessment, Cell

HEADERS = (
    "fault",
    "zone",
    "verdict",
    "visible errors",
    "worst second",
    "recovery",
    "writes down",
    "zone back",
)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def row(c: Cell) -> tuple[str, ...]:
    """One cell's columns, as every format shows them."""
    if c.recovery == "recovered" and c.recovery_s is not None:
        recovery = f"{c.recovery_s:.0f} s"
    else:
        recovery = c.recovery.replace("_", " ")
    return (
        c.fault,
        c.zone or "-",
        "n/a" if c.held is None else "held" if c.held else "DEVIATED",
        f"{c.visible_errors:,}",
        _pct(c.worst_second),
        recovery,
        f"{c.db_write_unavailable_s:.0f} s",
        "-" if c.zone is None or c.held is None else _zone_back(c.zone_back_s),
    )


def _zone_back(seconds: float | None) -> str:
    """How long after the fault ended its zone served customers again."""
    return "not by end" if seconds is None else f"+{seconds:.0f} s"


def proven(c: Cell) -> str:
    """What re-running a cell's fault with its fix showed: held, did not hold, not re-run."""
    if c.fix_proven == "did not hold" and c.fix_visible_errors is not None:
        return f"did not hold: visible errors {c.visible_errors:,} -> {c.fix_visible_errors:,}"
    return c.fix_proven or "not re-run"


_CUSTOMER_COLUMNS = slice(3, 7)  # visible errors, worst second, recovery, writes down


def alike_line(a: Assessment) -> str | None:
    """Why power loss and router failure show the same customer figures, when in every zone
    they do: said once, so the rows do not read as a copy."""
    by = {(c.fault, c.zone): c for c in a.cells if c.zone is not None}
    pairs = [
        (by[("zone power loss", z)], by[("router failure", z)])
        for z in a.stack.zones
        if ("zone power loss", z) in by and ("router failure", z) in by
    ]
    if not pairs or any(row(p)[_CUSTOMER_COLUMNS] != row(r)[_CUSTOMER_COLUMNS] for p, r in pairs):
        return None
    scaling = (
        ", and Auto Scaling may not launch in a zone without power but may in a cut-off one"
        if a.stack.auto_scaling_groups
        else ""
    )
    return (
        "zone power loss and router failure cost customers alike here: either way the zone's "
        "instances and load-balancer node answer nothing (no refusal), so health checks, DNS "
        "and the database see the same loss; they differ elsewhere: powered-off instances boot "
        f"before they serve again (zone back){scaling}"
    )


def weak_point_lines(a: Assessment) -> list[str]:
    """The weak point, its fix and what re-running with the fix showed."""
    w = a.weak_point
    if w is None:
        return [
            "no weak point: every fault held in every zone"
            if a.held
            else "no weak point with a fix the model can try"
        ]
    lines = [f"weak point: {w.cell}: {w.why}", f"finding: {w.finding}", f"fix: {w.fix}"]
    if w.after_visible_errors is not None:
        lines.append(
            f"re-run with the fix: visible errors {w.before_visible_errors:,} -> "
            f"{w.after_visible_errors:,}, database writes down "
            f"{w.before_db_write_unavailable_s:.0f} s -> "
            f"{w.after_db_write_unavailable_s or 0:.0f} s; "
            + ("the weak point is gone" if w.gone else "the weak point remains")
            + ("" if not w.after_held else ", and the hypothesis held")
        )
    return lines


WIDTH = 100


def _wrapped(lines: list[str]) -> list[str]:
    """Each line of prose folded at ``WIDTH``, its continuation indented."""
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, WIDTH, subsequent_indent="  ", break_on_hyphens=False) or [""]
    return out


def terminal(a: Assessment) -> str:
    """Plain text: the stack, the matrix, each deviated cell's top finding, the weak point."""
    s = a.stack
    head = [
        a.title,
        f"stack: load balancer {s.load_balancer} in {s.region}, zones {', '.join(s.zones)}; "
        f"{sum(s.instances_per_zone.values())} instances "
        f"({', '.join(f'{k} x{v}' for k, v in s.instance_types.items())}); "
        + (
            f"database {s.database} ({s.database_engine}, "
            f"{'Multi-AZ' if s.multi_az else 'single-AZ'} in {s.primary_zone}, "
            f"{len(s.read_replicas)} read replica(s))"
            if s.database
            else "no database"
        ),
        "inputs: " + "; ".join(f"{i.name} {i.value} ({i.source})" for i in a.inputs),
    ]
    out = [*_wrapped(head), ""]
    rows = [HEADERS, *(row(c) for c in a.cells)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    for n, r in enumerate(rows):
        out.append(
            "  ".join(
                v.ljust(w) if i < 3 else v.rjust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    alike = alike_line(a)
    out += _wrapped([alike]) if alike else []
    out.append("")
    notes: list[str] = []
    for c in a.cells:
        if c.not_run:
            notes.append(f"{c.fault}: not run: {c.not_run}")
        if c.top_finding:
            notes.append(
                f"{c.fault}{f' in {c.zone}' if c.zone else ''}: {c.top_finding}; "
                f"fix ({proven(c)}): {c.fix}"
            )
    notes += ["", *weak_point_lines(a)]
    if a.approximations:
        notes += ["", "approximations: " + "; ".join(a.approximations)]
    if a.not_modelled:
        notes += ["not modelled: " + "; ".join(a.not_modelled)]
    notes += ["", a.read_only]
    return "\n".join([*out, *_wrapped(notes)])


def markdown(a: Assessment) -> str:
    """A Markdown summary: the matrix as a table, then findings and the weak point."""
    lines = [
        f"# {a.title}",
        "",
        "| " + " | ".join(HEADERS) + " | top finding | fix |",
        "|" + "---|" * (len(HEADERS) + 2),
    ]
    for c in a.cells:
        cols = [
            *row(c),
            c.top_finding or c.not_run or "",
            _fix_cell(c),
        ]
        lines.append("| " + " | ".join(v.replace("|", "\\|") for v in cols) + " |")
    alike = alike_line(a)
    lines += ["", alike] if alike else []
    lines += ["", *(f"- {line}" for line in weak_point_lines(a))]
    lines += ["", "Inputs: " + "; ".join(f"{i.name} {i.value} ({i.source})" for i in a.inputs)]
    if a.approximations:
        lines.append("Approximations: " + "; ".join(a.approximations))
    if a.not_modelled:
        lines.append("Not modelled: " + "; ".join(a.not_modelled))
    lines += ["", a.read_only, ""]
    return "\n".join(lines)


def _fix_cell(c: Cell) -> str:
    """A cell's fix with what its re-run showed, for the reports' tables."""
    return f"{c.fix} ({proven(c)})" if c.fix else ""


def html_page(a: Assessment) -> str:
    """A printable HTML page of the same content."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in (*HEADERS, "top finding", "fix"))
    body = "".join(
        "<tr class='{}'>".format("deviated" if c.held is False else "held")
        + "".join(f"<td>{e(v)}</td>" for v in (*row(c), c.top_finding or "", _fix_cell(c)))
        + "</tr>"
        for c in a.cells
    )
    items = "".join(f"<li>{e(x)}</li>" for x in weak_point_lines(a))
    notes = "".join(f"<li>{e(x)}</li>" for x in (*a.approximations, *a.not_modelled))
    given = "".join(
        f"<tr><td>{e(i.name)}</td><td>{e(i.value)}</td><td>{e(i.source)}</td></tr>"
        for i in a.inputs
    )
    alike = alike_line(a)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{e(a.title)}</title><style>body{{font-family:sans-serif}}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:3px 6px}"
        ".deviated td:nth-child(3){color:#b00;font-weight:bold}</style></head><body>"
        f"<h1>{e(a.title)}</h1><table><tr>{head}</tr>{body}</table>"
        + (f"<p>{e(alike)}</p>" if alike else "")
        + f"<ul>{items}</ul><h2>Inputs</h2><table><tr><th>input</th><th>value</th>"
        f"<th>source</th></tr>{given}</table><ul>{notes}</ul><p>{e(a.read_only)}</p></body></html>\n"
    )


def junit(a: Assessment) -> str:
    """JUnit XML: one test case per cell; a deviated cell fails with its top finding."""
    suite = ET.Element(
        "testsuite",
        name=a.title,
        tests=str(len(a.cells)),
        failures=str(sum(c.held is False for c in a.cells)),
    )
    properties = ET.SubElement(suite, "properties")
    for i in a.inputs:
        ET.SubElement(properties, "property", name=i.name, value=f"{i.value} ({i.source})")
    for c in a.cells:
        case = ET.SubElement(
            suite, "testcase", classname="chaoscli.assess", name=f"{c.fault} {c.zone or ''}".strip()
        )
        if c.held is None:
            ET.SubElement(case, "skipped", message=c.not_run or "not run")
        elif not c.held:
            failure = ET.SubElement(case, "failure", message=c.top_finding or "deviated")
            failure.text = f"visible errors {c.visible_errors}; fix: {c.fix or 'none found'}"
    return ET.tostring(suite, encoding="unicode") + "\n"


WRITERS = {
    ".md": markdown,
    ".html": html_page,
    ".json": lambda a: a.model_dump_json(indent=2) + "\n",
    ".xml": junit,
}


def write(a: Assessment, path: Path) -> None:
    """Write the report its suffix names (.md .html .json .xml)."""
    path.write_text(WRITERS[path.suffix.lower()](a), encoding="utf-8")
