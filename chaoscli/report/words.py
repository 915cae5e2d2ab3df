"""Shared wording for every report format, so the terminal, Markdown, HTML and JUnit agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from chaoscli.record.model import ProbeVerdict, Record
from chaoscli.record.probes import PROBES, change, fmt, is_ratio, is_signed, label, percent, unit
from chaoscli.record.runs import RunSummary
from chaoscli.report.recovery import p99_moved
from chaoscli.report.series import resolution

__all__ = [
    "checked",
    "clause",
    "fmt",
    "is_ratio",
    "label",
    "moved",
    "ms",
    "percent",
    "shortfall",
    "verdict_line",
]


def capacity(r: Record) -> tuple[int, float, float]:
    """Discovered web instances, their capacity in req/s, and the offered peak in req/s."""
    n = r.topology.before.instances if r.topology.before else 0
    rps = r.metrics.peak_offered_rps if r.metrics else 0.0
    return n, n * r.experiment.topology.instance_capacity_rps, rps


def shortfall(p: ProbeVerdict) -> str:
    """How far a probe missed its tolerance, e.g. "0.41 points below the minimum 99.9%"."""
    if p.value is None:
        return "no value was measured"
    for side, bound in (("min", p.tolerance.min), ("max", p.tolerance.max)):
        if bound is None:
            continue
        gap = bound - p.value if side == "min" else p.value - bound
        if gap <= 0:
            continue
        word = "below the minimum" if side == "min" else "above the maximum"
        if p.ratio:
            return f"{gap * 100:.3f} points {word} {bound * 100:g}%"
        if is_signed(p.probe):
            size = change(gap, unit(p.probe)).lstrip("+")
            return f"{size} {word} {change(bound, unit(p.probe))}"
        return f"{gap:,.0f} {word} {bound:,g}"
    return "within tolerance"


def _missed(p: ProbeVerdict, r: Record) -> str:
    """A failed probe in a few words: what, where, how much."""
    what = p.label
    if p.probe == "slow_request_ratio":
        what = f"requests past {r.experiment.hypothesis.patience_s:g} s"
    return f"{what} {p.window} {fmt(p.value, p.probe)}"


WINDOW_ORDER = ("before", "during", "after")
_ID = re.compile(r"\b(?:i|subnet|acl|sg|vpc|igw|nat|rtb|eni|aclassoc)-[0-9a-f]{8,}\b")
_ONE_ID = r"(?:i|subnet|acl|sg|vpc|eni)-[0-9a-f]{8,}"
_ID_LIST = re.compile(rf":\s*{_ONE_ID}(?:(?:,\s*|\s+and\s+){_ONE_ID})*(?:,?\s+and\s+\d+\s+more)?")


def checked(r: Record) -> str:
    """Which probes were judged in which windows, e.g. "availability, worst second and p99
    latency, before, during and after the fault"."""
    judged = {p.probe for p in r.hypothesis.probes}
    probes = [label(name).split(" (")[0] for name in PROBES if name in judged]
    windows = [w for w in WINDOW_ORDER if any(p.window == w for p in r.hypothesis.probes)]
    if not probes:
        return "no probe was checked"

    def joined(items: list[str]) -> str:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    where = joined(windows) + (" the fault" if r.experiment.method else " the run")
    return f"checked {joined(probes)}, {where}"


def moved(r: Record) -> tuple[str, str]:
    """(what moved once the fault struck, how much a customer could feel it): failed requests,
    requests that waited past the customer's patience, p99 before vs during and for how long
    per-second p99 stayed above normal. The second part is "felt" when a request failed or
    waited past patience, "p99" when only the latency moved, and "" when nothing did."""
    m = r.metrics
    if m is None:
        return "no traffic was simulated", ""
    fault = [r.windows[w] for w in ("during", "after") if w in r.windows]
    failed = sum(w.visible_errors for w in fault) if fault else m.visible_errors
    slow = sum(w.slow_requests for w in fault) if fault else m.slow_requests
    patience = f"{r.experiment.hypothesis.patience_s:g} s"
    before, during = r.windows.get("before"), r.windows.get("during")
    count, late = round(failed), round(slow)
    fails = f"{count:,} request{'s' if count != 1 else ''} failed"
    if not count and not late:
        out = [f"no request failed or waited past {patience}"]
    elif count and late:
        out = [f"{fails} and {late:,} waited past {patience}"]
    elif count:
        out = [f"{fails} and none waited past {patience}"]
    else:
        out = [f"no request failed; {late:,} waited past {patience}"]
    p99 = p99_moved(
        m.recovery,
        before.p99_latency_ms if before else None,
        during.p99_latency_ms if during else None,
    )
    if p99:
        out.append(p99)
    felt = "felt" if count or late else ("p99" if m.recovery.p99_above_limit_s > 0 else "")
    return "; ".join(out), felt


def _next_margin(run: RunSummary) -> float:
    """The smallest margin above zero (a probe whose bound is its best value sits at zero)."""
    return min((p.margin for p in run.probes if p.margin), default=0.0)


def runs_line(r: Record) -> str:
    """Over many runs: the share that held with its 95% interval, against the share needed,
    and the worst run; empty for a single run."""
    if r.runs is None:
        return ""
    s = r.runs
    lo, hi = s.interval
    worst = s.runs[s.worst]
    failed = [p for p in worst.probes if not p.ok]
    how = (
        "; ".join(f"{label(p.probe)} {p.window} {fmt(p.value, p.probe)}" for p in failed[:2])
        if failed
        else f"nearest probe {_next_margin(worst):.1%} inside its bound"
    )
    stop = f", stopped at {worst.stopped_at_s:g} s" if worst.stopped_at_s is not None else ""
    return (
        f"{s.held} of {s.count} runs held ({s.share_held:.0%}, 95% interval "
        f"{lo:.0%}-{hi:.0%}; needs {s.must_hold:.0%}); worst run "
        f"{s.worst + 1} (seed {worst.seed}): {how}{stop}."
    )


SPREAD_WORDS = {
    "db_write_outage_s": ("database write outage", " s"),
    "customer_recovery_s": ("customers' recovery", " s"),
    "visible_errors": ("visible errors", ""),
}


def spread_line(r: Record) -> str:
    """Over many runs: min / median / max of the parts that vary with the seed."""
    if r.runs is None:
        return ""
    parts = []
    for key, (name, suffix) in SPREAD_WORDS.items():
        s = r.runs.spread.get(key)
        if s is None or s.min is None:
            continue
        parts.append(f"{name} {s.min:,.0f} / {s.median:,.0f} / {s.max:,.0f}{suffix}")
    targets = (
        "targets drawn again for each seed"
        if r.runs.targets == "per seed"
        else "control plane driven once"
    )
    return f"over {r.runs.count} runs ({targets}), min / median / max: " + "; ".join(parts)


def verdict_line(r: Record) -> tuple[str, str]:
    """(word, sentence): HELD, DEVIATED or the status, and why: what was checked, what failed
    (a counter-example's expectation is said next to the word: see :func:`expectation`)
    and what moved. "Would not have noticed" only when no request failed or waited past the
    customer's patience and per-second p99 stayed normal; "customers felt the fault" when a
    request failed or waited past patience, even if every probe held. Over
    many runs the sentence leads with the share that held, then tells the first run."""
    if not r.judged:
        return r.status.upper(), r.error or "no verdict"
    if r.runs is not None:
        first = r.model_copy(update={"runs": None, "deviated": not r.runs.runs[0].held})
        word, why = verdict_line(first)
        verdict = "DEVIATED" if r.deviated else "HELD"
        return verdict, f"{runs_line(r)} Run 1 (seed {r.runs.runs[0].seed}) {word.lower()}: {why}"
    stopped = r.stopped
    early = (
        f" A stop condition ended the method at {stopped.t:.0f} s ({clause(stopped.reason)})."
        if stopped
        else ""
    )
    change, felt = moved(r)
    what = f"{checked(r)}; {change}."
    failed = r.hypothesis.failed()
    if stopped and r.deviated:
        also = "; also " + "; ".join(_missed(p, r) for p in failed[:2]) if failed else ""
        also += f"; and {len(failed) - 2} more" if len(failed) > 2 else ""
        return "DEVIATED", early.strip().rstrip(".") + also + ". " + _cap(what)
    if not r.deviated:
        judged = {p.window for p in r.hypothesis.probes}
        if "during" not in judged and r.experiment.method:
            return "HELD", f"the fault window itself was not judged; {what}" + early
        if not felt:
            return "HELD", f"customers would not have noticed: {what}" + early
        if felt == "felt":
            return (
                "HELD",
                f"every probe within tolerance, but customers felt the fault: {what}" + early,
            )
        return "HELD", f"every probe within tolerance: {what}" + early
    why = "; ".join(f"{_missed(p, r)} (needs {p.bound})" for p in failed[:3])
    more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    return "DEVIATED", f"{why}{more}. {_cap(what)}{early}"


def clause(text: str) -> str:
    """A piece of text to be put inside a sentence: without the full stop, semicolon or
    comma it may end with, so the sentence's own punctuation never doubles (no ".).;")."""
    return text.rstrip().rstrip(".;,").rstrip()


def _cap(text: str) -> str:
    """A sentence's first letter in capitals."""
    return text[:1].upper() + text[1:]


def ms(value: float | None) -> str:
    """Milliseconds for prose."""
    return "n/a" if value is None else f"{value:,.0f} ms"


def overrides(r: Record) -> str:
    """The ``--set``/``--var`` the run was loaded with, as a command line gives them."""
    return " ".join(r.provenance.overrides)


def titled(r: Record) -> str:
    """The experiment's title, with the overrides it ran with: a run with overrides is not
    the shipped file."""
    title = r.title or r.experiment.title or "chaoscli experiment"
    more = overrides(r)
    return f"{title} (with {more})" if more else title


ENDPOINTS = {
    "in-process": "in-process moto",
    "endpoint": "endpoint (moto server or LocalStack)",
    "aws": "a real AWS account",
}


def endpoint(r: Record) -> str:
    """Where the run's AWS calls went, in words."""
    p = r.provenance
    where = ENDPOINTS.get(p.endpoint or "", "not recorded")
    return f"{where} at {p.endpoint_url}" if p.endpoint_url else where


def ran_at(r: Record) -> str:
    """When the run began and ended on the wall clock, e.g. "2026-11-30 13:45:02 to
    13:46:40 UTC"; empty for a journal that recorded no wall-clock time."""
    try:
        start, end = datetime.fromisoformat(r.start), datetime.fromisoformat(r.end)
    except ValueError:
        return ""
    if start.year <= 1970:
        return ""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    till = end.strftime("%H:%M:%S" if end.date() == start.date() else "%Y-%m-%d %H:%M:%S")
    return f"{start:%Y-%m-%d %H:%M:%S} to {till} UTC"


def provenance(r: Record) -> list[tuple[str, str, bool]]:
    """Where the run came from, as (what, value, whether the value is code) rows for a
    report's run details."""
    p = r.provenance
    missing = "not recorded"
    return [
        ("ran", ran_at(r) or missing, False),
        ("command", p.command or missing, p.command is not None),
        ("overrides", overrides(r) or "none: the file as it is", bool(p.overrides)),
        ("experiment file", r.source, True),
        ("file SHA-256", p.experiment_sha256 or missing, p.experiment_sha256 is not None),
        ("endpoint", endpoint(r), False),
        ("chaoscli", r.chaoscli_version, False),
        ("seed", str(r.seed), False),
        ("virtual time", f"{r.duration:,g} s of simulated traffic", False),
        *([("timeline", resolution(r), False)] if r.timeline else []),
    ]


def expectation(r: Record) -> str:
    """What the experiment expected, when it matters to read the verdict: " (expected)" for
    a counter-example that deviated as declared, " (expected to deviate)" for one that held."""
    if r.experiment.expect != "deviated" or not r.judged:
        return ""
    return " (expected)" if r.deviated else " (expected to deviate)"


def primary_note(r: Record) -> str:
    """One plain sentence when the model's failover moved the database's primary and the
    control plane still reports it where it began: moto does not move a Multi-AZ primary, so
    the zone it reports is not where the primary would be. Empty otherwise, and against a
    real account (where the reported zone is AWS's own)."""
    m, after = r.metrics, r.topology.after
    model = m.db_primary_az.after if m else None
    reported = after.database.primary_az if after and after.database else None
    if not model or not reported or model == reported or r.provenance.endpoint == "aws":
        return ""
    return (
        f"The database failover is the model's: it moves the primary to {model}. moto does "
        f"not move a Multi-AZ primary, so the control plane still reports it in {reported}, "
        "and the rollback had nothing to fail back."
    )


def short_event(message: str) -> str:
    """An event's message without the resource ids it lists (the journal keeps them), so a
    line of the event list reads at a glance."""
    text = _ID_LIST.sub("", message)
    text = _ID.sub("", text)
    return " ".join(text.replace(" :", ":").split()).rstrip(":; ")
