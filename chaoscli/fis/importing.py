"""A template's actions as method steps of chaoscli's faults, and what the model cannot run.

Actions that start together on one zone and stop its instances and cut its subnets off are
one zone outage (as AWS's "AZ Availability: Power Interruption" builds it); each other action
is the fault its row of ``actions.TABLE`` names, or is listed as not modelled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from chaoscli.fis import actions as fa
from chaoscli.fis.durations import iso
from chaoscli.fis.template import Action, Target, Template
from chaoscli.fis.timing import TemplateError, own_seconds, starts

ZONE_NAME = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$")
ZONE_ID = re.compile(r"^[a-z]{2,5}\d-az\d+$")  # e.g. aps1-az1, use1-az6, usw2-az4
STACK_TAG = "chaoscli:stack"
_ZONE_FILTERS = {"Placement.AvailabilityZone", "AvailabilityZone"}
_ASIDE_FILTERS = {"State.Name", "MultiAZ"}  # what the model's own choice of targets does too


@dataclass
class Steps:
    """The method read from a template: steps, alarm stop conditions, what was left out."""

    method: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    stack: str | None = None
    not_modelled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Reader:
    """Reads one template against the shop's traffic length and alarm names."""

    def __init__(self, template: Template, horizon_s: float, alarms: set[str]) -> None:
        self.t, self.horizon_s, self.alarms = template, horizon_s, alarms
        self.at = starts(template)
        self.out = Steps()
        self.used: set[str] = set()
        self.modelled: set[str] = set()  # actions some step stands for
        self.carried: set[str] = set()  # target tags ("k=v") a step selects its instances by

    def targets(self, action: Action) -> list[Target]:
        return [self.t.targets[name] for name in action.targets.values()]

    def zones(self, name: str) -> list[str]:
        """The zones an action is kept to, by its targets' filters and its own parameters; a
        zone ID in a parameter is the one zone the template's filters name (AWS's scenario
        writes IDs there), else the template cannot be read."""
        action = self.t.actions[name]
        filtered = [z for target in self.targets(action) for z in target.filter_zones()]
        given = [z for target in self.targets(action) for z in target.parameter_zones()]
        given += action.parameters.get("availabilityZoneIdentifiers", "").split(",")
        zones = {z.strip() for z in filtered if z.strip()}
        for zone in sorted({z.strip() for z in given if z.strip()}):
            zones.add(self._zone_id(name, zone) if ZONE_ID.match(zone) else zone)
        for zone in sorted(zones):
            if not ZONE_NAME.match(zone):
                raise TemplateError(
                    ("actions", name),
                    f"{zone!r} is not a zone name such as us-east-1a (a zone ID names a zone "
                    "differently in each account; chaoscli needs the name)",
                )
        return sorted(zones)

    def _zone_id(self, name: str, zone_id: str) -> str:
        """The zone name a zone ID stands for: the one zone the template's filters name."""
        named = sorted(
            {z for t in self.t.targets.values() for z in t.filter_zones() if ZONE_NAME.match(z)}
        )
        if len(named) != 1:
            raise TemplateError(
                ("actions", name),
                f"zone ID {zone_id!r}: a zone ID names a zone differently in each account, and "
                f"the template's filters name {len(named)} zones to read it as; give the name",
            )
        note = f"zone ID {zone_id} read as {named[0]}, the one zone the template's filters name"
        if note not in self.out.notes:
            self.out.notes.append(note)
        return named[0]

    def every(self, name: str) -> bool:
        """The action takes every target its targets find (selection mode ALL)."""
        return all(t.selectionMode == "ALL" for t in self.targets(self.t.actions[name]))

    def selection(self, name: str) -> str:
        modes = {t.selectionMode for t in self.targets(self.t.actions[name])}
        return modes.pop() if len(modes) == 1 else "ALL"

    def tags(self, name: str) -> dict[str, Any]:
        """``{"tags": ...}``: the tags an action's instances must carry, for a step that draws
        instances by tags, when its targets are on a chaoscli stack (their tags are then the
        step's own, and the shop's instances can carry them); else nothing."""
        targets = self.targets(self.t.actions[name])
        if not targets or not all(STACK_TAG in (t.resourceTags or {}) for t in targets):
            return {}
        wanted = {
            k: v
            for t in targets
            for k, v in (t.resourceTags or {}).items()
            if not k.startswith("chaoscli:")
        }
        self.carried.update(f"{k}={v}" for k, v in wanted.items())
        return {"tags": wanted} if wanted else {}

    def skip(self, name: str, why: str) -> None:
        self.out.not_modelled.append(f"{name} ({self.t.actions[name].actionId}): {why}")
        self.used.add(name)

    def step(self, name: str, fault: str, end: float | None = None, **settings: Any) -> None:
        """A step of ``fault`` at the action's start, lasting to ``end`` if given."""
        at = self.at[name]
        step: dict[str, Any] = {"fault": fault, "at_s": at, **settings}
        if end is not None:
            step["duration_s"] = max(end - at, 1.0)
        self.out.method.append(step)
        self.used.add(name)
        self.modelled.add(name)

    def until(self, name: str) -> float:
        """When the action ends: its own duration, else the end of the shop's traffic."""
        own = own_seconds(self.t.actions[name])
        return self.at[name] + own if own else self.horizon_s


def read(template: Template, horizon_s: float, alarms: set[str]) -> Steps:
    """The steps, stop conditions and notes of ``template`` for a shop whose traffic lasts
    ``horizon_s`` and which declares the alarms ``alarms``."""
    r = _Reader(template, horizon_s, alarms)
    _zone_outages(r)
    for name, action in template.actions.items():
        if name not in r.used:
            _one(r, name, action)
    _stop_conditions(r)
    _targets_notes(r)
    r.out.method.sort(key=lambda s: s["at_s"])
    r.out.zones = sorted({z for name in template.actions for z in r.zones(name)})
    stacks = {(t.resourceTags or {}).get(STACK_TAG) for t in template.targets.values()} - {None}
    r.out.stack = stacks.pop() if len(stacks) == 1 else None
    for step in r.out.method:
        end = step["at_s"] + step.get("duration_s", 0)
        if end > horizon_s:
            r.out.notes.append(
                f"{step['fault']} at {step['at_s']:g} s lasts to {end:g} s, past the end of the "
                f"shop's traffic at {horizon_s:g} s (--set traffic.duration_s to see the end)"
            )
    return r.out


def _zone_outages(r: _Reader) -> None:
    """Instances stopped and subnets cut off in one zone at one time: a zone outage."""
    for name, action in r.t.actions.items():
        if name in r.used or action.actionId != fa.STOP_INSTANCES:
            continue
        zones, at = r.zones(name), r.at[name]
        if len(zones) != 1 or not r.every(name):
            continue
        together = [
            n
            for n, a in r.t.actions.items()
            if n not in r.used and r.at[n] == at and r.zones(n) in ([], zones)
        ]
        cuts = [
            n
            for n in together
            if r.t.actions[n].actionId == fa.DISRUPT
            and r.zones(n) == zones
            and r.t.actions[n].parameters.get("scope", "all") == "all"
        ]
        if not cuts:
            continue
        zone, end = zones[0], r.until(name)
        members = [
            n
            for n in together
            if (r.t.actions[n].actionId == fa.STOP_INSTANCES and r.zones(n) == zones)
            or n in cuts
            or r.t.actions[n].actionId
            in (fa.ASG_ICE, fa.API_ICE, fa.REBOOT_DB, fa.FAILOVER_CLUSTER)
        ]
        r.step(name, "az-outage", end, az=zone, mode="api-stop")
        r.used.update(members)
        r.modelled.update(members)
        r.out.notes.append(
            f"{', '.join(members)}: one zone outage of {zone} (mode api-stop: FIS stops the "
            f"instances through the API) from {at:g} s for {iso(end - at)}"
        )
        cut = r.t.actions[cuts[0]].seconds("duration")
        if cut is not None and abs(at + cut - end) > 0.5:
            r.out.notes.append(
                f"{cuts[0]} cuts the network for {iso(cut)}; the model's zone outage keeps "
                f"{zone} cut off for the whole {iso(end - at)}"
            )
        for n in members:
            if r.t.actions[n].actionId == fa.FAILOVER_CLUSTER:
                r.out.notes.append(f"{n}: {fa.row('rds-failover', fa.FAILOVER_CLUSTER).meaning}")
            if r.t.actions[n].actionId == fa.API_ICE:
                r.out.notes.append(f"{n}: {fa.row('az-outage', fa.API_ICE).meaning}")
        if not any(r.t.actions[n].actionId == fa.ASG_ICE for n in members):
            r.out.notes.append(
                f"the model's zone outage also keeps Auto Scaling from launching in {zone}"
            )


def _one(r: _Reader, name: str, action: Action) -> None:
    """An action on its own: the fault its row names, or not modelled and why."""
    kind, zones = action.actionId, r.zones(name)
    zone = zones[0] if len(zones) == 1 else None
    if kind == fa.WAIT:
        r.used.add(name)
    elif kind == fa.DISRUPT:
        if action.parameters.get("scope", "all") != "all":
            r.skip(name, f"scope {action.parameters['scope']}: chaoscli cuts a zone off whole")
        elif zone is None:
            r.skip(name, "not kept to one zone: chaoscli cuts one zone's subnets off")
        else:
            r.step(name, "router-failure", r.until(name), az=zone)
    elif kind == fa.REBOOT_DB:
        if action.parameters.get("forceFailover", "false").lower() != "true":
            r.skip(name, "a reboot without forceFailover: the model has no plain reboot")
        else:
            _failover(r, name)
    elif kind == fa.FAILOVER_CLUSTER:
        _failover(r, name)
        r.out.notes.append(f"{name}: {fa.row('rds-failover', fa.FAILOVER_CLUSTER).meaning}")
    elif kind == fa.SEND_COMMAND:
        _command(r, name, action, zones)
    elif kind == fa.STOP_INSTANCES:
        r.skip(
            name,
            "chaoscli stops instances only in a zone outage (every instance of one zone, with "
            "aws:network:disrupt-connectivity on its subnets at the same time)",
        )
    elif kind in (fa.ASG_ICE, fa.API_ICE):
        r.skip(name, "chaoscli blocks launches only in a zone outage")
    else:
        r.skip(name, "no chaoscli fault does this")


def _failover(r: _Reader, name: str) -> None:
    """A database failover, lasting as long as the wait that starts after it alone (how
    ``export`` writes the step's window: a reboot has no duration in FIS)."""
    windows = [
        n
        for n, a in r.t.actions.items()
        if a.actionId == fa.WAIT and a.startAfter == [name] and a.seconds("duration")
    ]
    if len(windows) == 1:
        r.step(name, "rds-failover", r.until(windows[0]))
        r.used.add(windows[0])
        return
    r.step(name, "rds-failover")
    r.out.notes.append(
        f"{name}: a reboot has no duration and no one aws:fis:wait starts after it alone to "
        "give the failover's window: the model judges it over a step's default duration_s"
    )


def _command(r: _Reader, name: str, action: Action, zones: list[str]) -> None:
    """An SSM document run on instances: a crash, a zone's latency, or not modelled."""
    document = action.parameters.get("documentArn", "").rsplit("/", 1)[-1]
    end = r.until(name)
    zone = zones[0] if len(zones) == 1 else None
    if len(zones) > 1:
        r.skip(name, f"runs in {len(zones)} zones: chaoscli strikes one zone or the whole stack")
    elif document == fa.KILL_PROCESS:
        settings: dict[str, Any] = {"selection": r.selection(name), **r.tags(name)}
        if zone:
            settings["az"] = zone
        r.step(name, "instance-crash", end, **settings)
    elif document == fa.NETWORK_LATENCY and zone:
        latency = _document_parameter(name, action, "DelayMilliseconds")
        if r.every(name):
            r.step(name, "az-slowdown", end, az=zone, latency_ms=latency)
        else:
            r.step(
                name,
                "gray-failure",
                end,
                az=zone,
                selection=r.selection(name),
                latency_ms=latency,
                error_share=0.0,
                **r.tags(name),
            )
    else:
        r.skip(name, f"SSM document {document or '(none)'}: no chaoscli fault runs it")


def _document_parameter(name: str, action: Action, key: str) -> float:
    """A number from the action's ``documentParameters`` (a JSON object in a string)."""
    loc = ("actions", name, "parameters", "documentParameters")
    try:
        value = json.loads(action.parameters.get("documentParameters", "{}"))[key]
        return float(value)
    except (ValueError, KeyError, TypeError):
        raise TemplateError(loc, f"needs {key} as a number in a JSON object") from None


def _stop_conditions(r: _Reader) -> None:
    """Alarms the shop declares become stop conditions; others are listed."""
    for n, cond in enumerate(r.t.stopConditions):
        if cond.source == "none":
            continue
        if cond.source != fa.ALARM_SOURCE:
            r.out.not_modelled.append(f"stopConditions[{n}] ({cond.source}): not an alarm")
        elif cond.alarm_name in r.alarms:
            r.out.alarms.append(cond.alarm_name)
        else:
            r.out.not_modelled.append(
                f"stopConditions[{n}] (alarm {cond.alarm_name}): the shop declares no alarm of "
                "that name, so the model cannot watch it"
            )


def _targets_notes(r: _Reader) -> None:
    """How the model chose the targets of what it runs where the template chooses otherwise."""
    used = [
        r.t.targets[target] for name in r.modelled for target in r.t.actions[name].targets.values()
    ]
    foreign = sorted(
        {
            f"{k}={v}"
            for t in used
            for k, v in (t.resourceTags or {}).items()
            if not k.startswith("chaoscli:")
        }
        - r.carried
    )
    if foreign:
        r.out.notes.append(
            f"targets chosen by tags chaoscli does not put on its stack ({', '.join(foreign)}): "
            "the model takes the shop's own resources of each type"
        )
    if any(t.resourceArns for t in used):
        r.out.notes.append("targets chosen by ARN: the model takes the shop's own resources")
    filters = sorted(
        {f.path for t in used for f in t.filters if f.path not in _ZONE_FILTERS | _ASIDE_FILTERS}
    )
    if filters:
        r.out.not_modelled.append(f"target filters on {', '.join(filters)}")
