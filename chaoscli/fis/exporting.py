"""An experiment's method as an AWS FIS experiment template, for the same faults at the same
times on the stack chaoscli provisions (its resources carry the ``chaoscli:stack`` tag).

FIS has no clock times: a step that starts later waits behind ``aws:fis:wait`` actions
chained by ``startAfter``. What FIS cannot do is said, never dropped without a word.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chaoscli.aws.regions import stack_zones
from chaoscli.fis import actions as fa
from chaoscli.fis.durations import iso, seconds
from chaoscli.fis.importing import STACK_TAG
from chaoscli.fis.shop import EXPERIMENT_TAG, SET_TAG, VAR_TAG

PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_ROLE = f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/chaoscli-fis-experiment"
PROCESS_PLACEHOLDER = "web"
TAG_MAX = 256  # characters of a tag value (the API's TagValue)


FIS_MIN_S, FIS_MAX_S = 60.0, 12 * 3600.0  # the actions' durations: one minute to 12 hours
NEEDS_ZONE = ("az-outage", "router-failure", "az-slowdown")


class ExportRefused(ValueError):
    """An experiment whose template would guess for the SRE: the field and what to give."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Exported:
    """The template, and lines for stderr: what was left out and what to fill in."""

    template: dict[str, Any]
    problems: list[str] = field(default_factory=list)


@dataclass
class _Writer:
    doc: Mapping[str, Any]
    targets: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def stack(self) -> str:
        return str(self.doc["topology"]["stack"])

    @property
    def region(self) -> str:
        return str(self.doc["topology"]["region"])

    def target(self, name: str, resource_type: str, selection: str = "ALL", **more: Any) -> str:
        """A target of the stack's resources of one type, by the stack's tag."""
        tags = {STACK_TAG: self.stack, **more.pop("tags", {})}
        body: dict[str, Any] = {
            "resourceType": resource_type,
            "resourceTags": tags,
            "selectionMode": selection,
        }
        body.update({k: v for k, v in more.items() if v})
        self.targets[name] = body
        return name

    def action(
        self,
        name: str,
        row: fa.Row,
        after: list[str],
        target: str | None,
        description: str | None = None,
        **p: str,
    ) -> None:
        """An action of the table's ``row`` on ``target``, starting after ``after``."""
        body: dict[str, Any] = {"actionId": row.action, "description": description or row.meaning}
        for key in ("duration", "startInstancesAfterDuration"):
            if key in p and not FIS_MIN_S <= seconds(p[key]) <= FIS_MAX_S:
                self.problems.append(
                    f"{name} {key} {p[key]}: FIS takes durations from PT1M to PT12H, so "
                    "CreateExperimentTemplate refuses this template until it is changed"
                )
        if p:
            body["parameters"] = p
        if target is not None and row.target_key is not None:
            body["targets"] = {row.target_key: target}
        if after:
            body["startAfter"] = after
        self.actions[name] = body

    def zone(self, step: Mapping[str, Any]) -> str:
        """The step's zone (``export`` refuses a step of ``NEEDS_ZONE`` without one)."""
        return str(step["az"])


def _instances(w: _Writer, name: str, step: Mapping[str, Any], zone: str | None) -> str:
    filters = [{"path": "State.Name", "values": ["running"]}]
    if zone:
        filters.append({"path": "Placement.AvailabilityZone", "values": [zone]})
    return w.target(
        name,
        "aws:ec2:instance",
        str(step.get("selection") or "ALL"),
        tags=dict(step.get("tags") or {}),
        filters=filters,
    )


def _az_outage(w: _Writer, n: int, step: Mapping[str, Any], after: list[str]) -> None:
    zone, lasts = w.zone(step), iso(float(step["duration_s"]))
    if step.get("mode") != "api-stop":
        w.problems.append(
            f"method[{n}] az-outage mode {step.get('mode')}: FIS cannot cut power; the template "
            "stops the instances through the API, as mode api-stop does (its model: "
            "--var mode=api-stop, or run the template)"
        )
    rows = fa.rows_of("az-outage")
    instances = _instances(w, f"step{n}-instances", {}, zone)
    w.action(
        f"step{n}-stop-instances",
        rows[fa.STOP_INSTANCES],
        after,
        instances,
        startInstancesAfterDuration=lasts,
        completeIfInstancesTerminated="true",
    )
    groups = w.target(f"step{n}-autoscaling-groups", "aws:ec2:autoscaling-group")
    w.action(
        f"step{n}-pause-launches",
        rows[fa.ASG_ICE],
        after,
        groups,
        availabilityZoneIdentifiers=zone,
        duration=lasts,
        percentage="100",
    )
    subnets = w.target(
        f"step{n}-subnets",
        "aws:ec2:subnet",
        filters=[{"path": "AvailabilityZone", "values": [zone]}],
    )
    w.action(f"step{n}-cut-network", rows[fa.DISRUPT], after, subnets, duration=lasts, scope="all")
    if w.doc["topology"].get("database"):
        db = _database(w, f"step{n}-database", zone)
        w.action(f"step{n}-failover-database", rows[fa.REBOOT_DB], after, db, forceFailover="true")


def _database(w: _Writer, name: str, zone: str | None) -> str:
    filters = [{"path": "MultiAZ", "values": ["true"]}]
    if zone:
        filters.append({"path": "AvailabilityZone", "values": [zone]})
    return w.target(name, "aws:rds:db", filters=filters)


def _router_failure(w: _Writer, n: int, step: Mapping[str, Any], after: list[str]) -> None:
    zone = w.zone(step)
    subnets = w.target(
        f"step{n}-subnets",
        "aws:ec2:subnet",
        filters=[{"path": "AvailabilityZone", "values": [zone]}],
    )
    row = fa.row("router-failure", fa.DISRUPT)
    w.action(
        f"step{n}-cut-network",
        row,
        after,
        subnets,
        duration=iso(float(step["duration_s"])),
        scope="all",
    )


def _rds_failover(w: _Writer, n: int, step: Mapping[str, Any], after: list[str]) -> None:
    """The reboot with failover, and a wait after it as long as the step: a reboot has no
    duration in FIS, so the wait holds the experiment (and its stop conditions) open for the
    step's window, and is how the template says how long the step lasts."""
    db = _database(w, f"step{n}-database", None)
    row = fa.row("rds-failover", fa.REBOOT_DB)
    failover = f"step{n}-failover-database"
    w.action(failover, row, after, db, forceFailover="true")
    w.action(
        f"step{n}-failover-window",
        fa.row("wait", fa.WAIT),
        [failover],
        None,
        description=WINDOW,
        duration=iso(float(step["duration_s"])),
    )


def _command(
    w: _Writer, n: int, step: Mapping[str, Any], after: list[str], fault: str, zone: str | None
) -> None:
    """An SSM document on the step's instances, as FIS's pre-configured documents run."""
    row = fa.row(
        fault,
        f"{fa.SEND_COMMAND} {fa.KILL_PROCESS if fault == 'instance-crash' else fa.NETWORK_LATENCY}",
    )
    lasts = float(step["duration_s"])
    if fault == "instance-crash":
        parameters = {"ProcessName": PROCESS_PLACEHOLDER, "Signal": "SIGKILL"}
    else:
        parameters = {
            "DelayMilliseconds": f"{float(step['latency_ms']):g}",
            "DurationSeconds": f"{lasts:g}",
            "InstallDependencies": "True",
        }
    instances = _instances(w, f"step{n}-instances", step, zone)
    w.action(
        f"step{n}-{'kill-web-process' if fault == 'instance-crash' else 'add-latency'}",
        row,
        after,
        instances,
        documentArn=f"arn:aws:ssm:{w.region}::document/{row.document}",
        documentParameters=json.dumps(parameters, separators=(",", ":")),
        duration=iso(lasts),
    )


def _instance_crash(w: _Writer, n: int, step: Mapping[str, Any], after: list[str]) -> None:
    _command(w, n, step, after, "instance-crash", step.get("az"))
    w.problems.append(
        f"method[{n}] instance-crash: replace ProcessName {PROCESS_PLACEHOLDER!r} in "
        f"step{n}-kill-web-process with your web server's process name"
    )


def _az_slowdown(w: _Writer, n: int, step: Mapping[str, Any], after: list[str]) -> None:
    _command(w, n, step, after, "az-slowdown", w.zone(step))


WINDOW = (
    "the failover's window: a reboot has no duration, so this wait keeps the experiment and "
    "its stop conditions open for as long as the step lasts"
)

WRITERS: dict[str, Callable[[_Writer, int, Mapping[str, Any], list[str]], None]] = {
    "az-outage": _az_outage,
    "router-failure": _router_failure,
    "rds-failover": _rds_failover,
    "instance-crash": _instance_crash,
    "az-slowdown": _az_slowdown,
}


def _waits(w: _Writer, starts: list[float]) -> dict[float, list[str]]:
    """A chain of ``aws:fis:wait`` actions, one ending at each later start time."""
    after: dict[float, list[str]] = {0.0: []}
    previous, done = 0.0, list[str]()
    for at in sorted({s for s in starts if s > 0}):
        name = f"wait-until-{at:g}s"
        w.action(name, fa.row("wait", fa.WAIT), done, None, duration=iso(at - previous))
        previous, done = at, [name]
        after[at] = done
    return after


def export(
    doc: Mapping[str, Any],
    origin: str,
    sets: tuple[str, ...] = (),
    vars_: tuple[str, ...] = (),
    role_arn: str = PLACEHOLDER_ROLE,
) -> Exported:
    """The template of the experiment document ``doc`` (as loaded: every step placed),
    loaded from ``origin`` with ``sets`` and ``vars_``."""
    w = _Writer(doc)
    method = [(n, s) for n, s in enumerate(doc["method"]) if s["fault"] != "wait"]
    _zones_named(doc, method, w.region)
    writable = [(n, s) for n, s in method if s["fault"] in WRITERS]
    for n, step in method:
        if step["fault"] not in WRITERS:
            why = fa.NOT_EXPORTABLE.get(step["fault"], "no FIS action does this")
            w.problems.append(f"method[{n}] {step['fault']}: not exportable: {why}")
    after = _waits(w, [float(s["at_s"]) for _, s in writable])
    for n, step in writable:
        WRITERS[step["fault"]](w, n, step, after[float(step["at_s"])])
        if step.get("fail_back"):
            w.problems.append(
                f"method[{n}] {step['fault']} fail_back: not exported: the template does not "
                "fail the database back; run aws rds reboot-db-instance --force-failover after "
                "it if you want to"
            )
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else PLACEHOLDER_ACCOUNT
    stop_conditions = []
    for n, cond in enumerate(doc.get("stop_conditions", [])):
        if cond.get("alarm"):
            arn = f"arn:aws:cloudwatch:{w.region}:{account}:alarm:{cond['alarm']}"
            stop_conditions.append({"source": fa.ALARM_SOURCE, "value": arn})
        else:
            w.problems.append(
                f"stop_conditions[{n}] {cond.get('metric')} above {cond.get('above')}: not "
                "exportable: FIS stops on CloudWatch alarms only (declare one under alarms)"
            )
    if role_arn == PLACEHOLDER_ROLE:
        w.problems.append(f"roleArn is a placeholder: replace {PLACEHOLDER_ROLE}")
    tags = {"Name": str(doc["title"])[:TAG_MAX], **_origin_tags(w, origin, sets, vars_)}
    template = {
        "description": _description(doc),
        "targets": w.targets,
        "actions": w.actions,
        "stopConditions": stop_conditions or [{"source": "none"}],
        "roleArn": role_arn,
        "tags": tags,
        "experimentOptions": {
            "accountTargeting": "single-account",
            "emptyTargetResolutionMode": "skip",
        },
    }
    return Exported(template, w.problems)


def _zones_named(
    doc: Mapping[str, Any], method: list[tuple[int, Mapping[str, Any]]], region: str
) -> None:
    """Refuse a zone-less step of a fault that strikes one zone: in a run, no zone means the
    database primary's, found when the run starts; a template for a real account must name
    the zone it breaks, since the primary may have moved and no guess is safe there."""
    missing = [n for n, s in method if s["fault"] in NEEDS_ZONE and not s.get("az")]
    if not missing:
        return
    zones = stack_zones(region, int(doc["topology"]["azs"])) or [f"{region}a"]
    how = (
        f"--var az={zones[0]}"
        if "az" in (doc.get("parameters") or {})
        else f"--set method.{missing[0]}.az={zones[0]}"
    )
    others = ", ".join(f"method[{n}] {doc['method'][n]['fault']}" for n in missing[1:])
    raise ExportRefused(
        f"method[{missing[0]}].az",
        f"{doc['method'][missing[0]]['fault']}{f' (and {others})' if others else ''} names "
        "no zone: a run takes the database primary's zone when it starts "
        f"({zones[0]} on the stack chaoscli builds), but a template for a real account must "
        f"name the zone it breaks: {how} (zones: {', '.join(zones)})",
    )


def _origin_tags(
    w: _Writer, origin: str, sets: tuple[str, ...], vars_: tuple[str, ...]
) -> dict[str, str]:
    """The tags that name the experiment and its overrides, if they fit FIS's tag values."""
    tags = {EXPERIMENT_TAG: origin}
    if sets:
        tags[SET_TAG] = json.dumps(list(sets))
    if vars_:
        tags[VAR_TAG] = json.dumps(list(vars_))
    if any(len(v) > TAG_MAX for v in tags.values()):
        w.problems.append(
            f"the experiment's name and overrides do not fit FIS's {TAG_MAX}-character tag "
            "values: left out, so running the template back uses the default shop"
        )
        return {}
    return tags


def _description(doc: Mapping[str, Any]) -> str:
    """The experiment's title and description, within the API's 512 characters."""
    text = f"{doc['title']} (chaoscli): {doc.get('description') or ''}".strip()
    return text if len(text) <= 512 else text[:509] + "..."
