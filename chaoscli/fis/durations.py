"""ISO 8601 durations as FIS writes them (``PT10M``, ``PT1H30M``, ``PT45S``), to and from
seconds."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def iso(seconds: float) -> str:
    """``seconds`` as the shortest ISO 8601 duration, e.g. 120 -> ``PT2M``, 90 -> ``PT1M30S``."""
    whole = round(seconds, 3)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours:g}H" if hours else "", f"{minutes:g}M" if minutes else ""]
    parts.append(f"{secs:g}S" if secs or not (hours or minutes) else "")
    return "PT" + "".join(parts)


def seconds(text: str) -> float:
    """The seconds of an ISO 8601 duration of hours, minutes and seconds; ValueError else."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT10M or PT1H30M")
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + secs
