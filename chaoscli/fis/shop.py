"""A template read as an experiment document: its method on a shop.

An FIS template says what to break, not what the shop is, how customers use it or what they
must not notice. Those come from the experiment the template was exported from (its tags
name it, with the ``--set`` and ``--var`` it was exported with) or, for any other template,
from the default shop shipped beside this module; the hypothesis is that shop's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chaoscli.fis.importing import read
from chaoscli.fis.template import Template
from chaoscli.fis.timing import TemplateError

DEFAULT_SHOP = Path(__file__).with_name("shop.yaml")
EXPERIMENT_TAG = "chaoscli:experiment"
SET_TAG = "chaoscli:set"
VAR_TAG = "chaoscli:var"


@dataclass(frozen=True)
class Origin:
    """The experiment a template's shop comes from, with the overrides it was exported with."""

    name: str
    sets: tuple[str, ...] = ()
    vars: tuple[str, ...] = ()


def parse(raw: dict[str, Any]) -> Template:
    """The template in ``raw`` (GetExperimentTemplate's answer unwrapped); TemplateError names
    the first field that does not fit."""
    inner = raw.get("experimentTemplate", raw)
    prefix: tuple[str | int, ...] = ("experimentTemplate",) if inner is not raw else ()
    try:
        return Template.model_validate(inner)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "not a field of an FIS experiment template"
        elif err["type"] == "missing":
            message = "required by CreateExperimentTemplate"
        head, sep, rest = message.partition(": ")
        if not loc and sep and "." in head and " " not in head:
            loc, message = tuple(head.split(".")), rest
        raise TemplateError(prefix + loc, message) from None


def origin(template: Template) -> Origin | None:
    """The experiment the template was exported from, if its tags name one."""
    name = template.tags.get(EXPERIMENT_TAG)
    if not name:
        return None
    lists = []
    for tag in (SET_TAG, VAR_TAG):
        try:
            items = json.loads(template.tags.get(tag, "[]"))
        except ValueError:
            raise TemplateError(("tags", tag), "must be a JSON list of strings") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise TemplateError(("tags", tag), "must be a JSON list of strings")
        lists.append(tuple(items))
    return Origin(name, lists[0], lists[1])


def experiment(
    template: Template, shop: dict[str, Any], shop_name: str, source: str
) -> tuple[dict[str, Any], list[str]]:
    """The experiment document of ``template`` on ``shop`` (an experiment document as run),
    and the lines to show: how it was read and what the model does not run."""
    alarms = {a["name"] for a in shop.get("alarms", [])}
    steps = read(template, float(shop["traffic"]["duration_s"]), alarms)
    doc = {k: v for k, v in shop.items() if k not in ("method", "stop_conditions", "parameters")}
    doc["title"] = template.tags.get("Name") or f"AWS FIS template {Path(source).name}"
    doc["parameters"] = {}
    doc["method"] = steps.method
    doc["stop_conditions"] = [{"alarm": name} for name in steps.alarms]
    topology = dict(doc["topology"])
    if steps.stack:
        topology["stack"] = steps.stack
    regions = sorted({zone[:-1] for zone in steps.zones})
    if len(regions) > 1:
        raise TemplateError(("targets",), f"zones of {len(regions)} regions: {', '.join(regions)}")
    if regions and regions[0] != topology["region"]:
        steps.notes.append(
            f"the shop is placed in {regions[0]}, the region of the template's zones"
        )
        topology["region"] = regions[0]
    doc["topology"] = topology
    hypothesis = shop.get("hypothesis", {}).get("title", "")
    lines = [
        f"hypothesis: {hypothesis} (the shop's own, from {shop_name}; an FIS template has none)",
        *steps.notes,
        *(f"not modelled: {line}" for line in steps.not_modelled),
    ]
    words = [f"Read from the AWS FIS template {Path(source).name}: {template.description}"]
    if steps.not_modelled:
        words.append("Not modelled: " + "; ".join(steps.not_modelled) + ".")
    doc["description"] = " ".join(words)
    return doc, lines
