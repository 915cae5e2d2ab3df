"""When each action of a template starts and ends: FIS has no clock times, only ``startAfter``
(an action starts once every action it names has completed) and each action's duration."""

from __future__ import annotations

from chaoscli.fis.actions import REBOOT_DB, STOP_INSTANCES
from chaoscli.fis.template import Action, Template


class TemplateError(ValueError):
    """A template that cannot be read: where in it (a path of keys) and what is wrong."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def own_seconds(action: Action) -> float | None:
    """How long the action lasts by its own parameters; None when it has no end of its own
    (a stop without restart) or ends at once (a reboot)."""
    if action.actionId == STOP_INSTANCES:
        return action.seconds("startInstancesAfterDuration")
    if action.actionId == REBOOT_DB:
        return None
    return action.seconds("duration")


def starts(template: Template) -> dict[str, float]:
    """Each action's start in seconds after the experiment starts, in the template's order."""
    found: dict[str, float] = {}
    open_: list[str] = []

    def start(name: str) -> float:
        if name in found:
            return found[name]
        if name in open_:
            raise TemplateError(
                ("actions", name, "startAfter"),
                f"{' -> '.join([*open_[open_.index(name) :], name])}: actions that start after "
                "each other in a circle never start",
            )
        open_.append(name)
        at = max((end(before) for before in template.actions[name].startAfter), default=0.0)
        open_.pop()
        found[name] = at
        return at

    def end(name: str) -> float:
        return start(name) + (own_seconds(template.actions[name]) or 0.0)

    return {name: start(name) for name in template.actions}
