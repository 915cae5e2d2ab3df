"""An AWS FIS experiment template as CreateExperimentTemplate takes it (``aws fis
create-experiment-template --cli-input-json``), or as GetExperimentTemplate returns it.

Field names and required fields are the API's; what the API reference constrains (selection
modes, ISO 8601 durations, names pointing at targets and actions) is checked here, so a bad
template is refused on one line naming its field.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chaoscli.fis.durations import seconds

SELECTION = re.compile(r"^(ALL|COUNT\([1-9][0-9]*\)|PERCENT\((100|[1-9][0-9]?)(\.[0-9]+)?\))$")
# GetExperimentTemplate's read-only fields, accepted and ignored
READ_ONLY = ("id", "arn", "creationTime", "lastUpdateTime", "targetAccountConfigurationsCount")


class _Api(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Filter(_Api):
    """A target filter: an attribute path of the describe call and the values it may have."""

    path: str = Field(min_length=1, max_length=256)
    values: list[str]


class Target(_Api):
    """Resources of one type, chosen by ARNs or tags, filtered, then drawn by selectionMode."""

    resourceType: str = Field(min_length=1, max_length=128)
    selectionMode: str
    resourceArns: list[str] | None = None
    resourceTags: dict[str, str] | None = None
    filters: list[Filter] = Field(default_factory=list)
    parameters: dict[str, str] = Field(default_factory=dict)

    @field_validator("selectionMode")
    @classmethod
    def _mode(cls, v: str) -> str:
        """ALL, COUNT(n) or PERCENT(n)."""
        if not SELECTION.match(v):
            raise ValueError(f"{v!r} is not ALL, COUNT(n) or PERCENT(n)")
        return v

    @model_validator(mode="after")
    def _arns_or_tags(self) -> Target:
        """ARNs or tags, not both (the API's rule)."""
        if self.resourceArns and self.resourceTags:
            raise ValueError("give resourceArns or resourceTags, not both")
        return self

    def zones(self) -> list[str]:
        """The zones the target's filters or parameters keep it to."""
        return self.filter_zones() + self.parameter_zones()

    def filter_zones(self) -> list[str]:
        """The zones the target's filters keep it to (names: they match what Describe says)."""
        found = [
            v
            for f in self.filters
            if f.path in ("Placement.AvailabilityZone", "AvailabilityZone")
            for v in f.values
        ]
        return [z.strip() for z in found if z.strip()]

    def parameter_zones(self) -> list[str]:
        """The zones the target's parameters keep it to (names or zone IDs)."""
        found: list[str] = []
        for name in ("availabilityZoneIdentifier", "writerAvailabilityZoneIdentifiers"):
            if name in self.parameters:
                found += self.parameters[name].split(",")
        return [z.strip() for z in found if z.strip()]


class Action(_Api):
    """One action: what it does, its parameters, its targets by name, what it starts after."""

    actionId: str = Field(min_length=1, max_length=128)
    description: str | None = None
    parameters: dict[str, str] = Field(default_factory=dict)
    targets: dict[str, str] = Field(default_factory=dict)
    startAfter: list[str] = Field(default_factory=list)

    @field_validator("parameters")
    @classmethod
    def _durations(cls, v: dict[str, str]) -> dict[str, str]:
        """Every duration parameter is an ISO 8601 duration."""
        for name in ("duration", "startInstancesAfterDuration"):
            if name in v:
                try:
                    seconds(v[name])
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        return v

    def seconds(self, name: str) -> float | None:
        """The duration parameter ``name`` in seconds, if the action has it."""
        return seconds(self.parameters[name]) if name in self.parameters else None


class StopCondition(_Api):
    """What stops the experiment: ``none``, or a CloudWatch alarm by ARN."""

    source: str = Field(min_length=1, max_length=64)
    value: str | None = None

    @model_validator(mode="after")
    def _alarm_arn(self) -> StopCondition:
        """An alarm stop condition names its alarm by ARN."""
        if self.source == "aws:cloudwatch:alarm" and not (self.value or "").startswith("arn:aws"):
            raise ValueError("value: an aws:cloudwatch:alarm stop condition needs the alarm's ARN")
        return self

    @property
    def alarm_name(self) -> str:
        """The alarm's name, the ARN's last part (``arn:aws:cloudwatch:...:alarm:NAME``)."""
        return (self.value or "").split(":alarm:", 1)[-1]


class Template(_Api):
    """A whole experiment template."""

    description: str = Field(max_length=512)
    actions: dict[str, Action] = Field(min_length=1)
    stopConditions: list[StopCondition] = Field(min_length=1)
    roleArn: str = Field(min_length=20, max_length=2048)
    targets: dict[str, Target] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    clientToken: str | None = None
    logConfiguration: dict[str, Any] | None = None
    experimentOptions: dict[str, Any] | None = None
    experimentReportConfiguration: dict[str, Any] | None = None
    id: Any = None
    arn: Any = None
    creationTime: Any = None
    lastUpdateTime: Any = None
    targetAccountConfigurationsCount: Any = None

    @model_validator(mode="after")
    def _names_resolve(self) -> Template:
        """Every action's targets and startAfter name a target and an action of the template."""
        for name, action in self.actions.items():
            for key, target in action.targets.items():
                if target not in self.targets:
                    raise ValueError(
                        f"actions.{name}.targets.{key}: {target!r} is not a target of the template"
                    )
            for before in action.startAfter:
                if before not in self.actions:
                    raise ValueError(
                        f"actions.{name}.startAfter: {before!r} is not an action of the template"
                    )
        return self


def looks_like_template(raw: dict[str, Any]) -> bool:
    """A document that is an FIS template (or GetExperimentTemplate's answer), not an
    experiment file: it has ``actions`` and no ``method``."""
    inner = raw.get("experimentTemplate", raw)
    return isinstance(inner, dict) and "actions" in inner and "method" not in inner
