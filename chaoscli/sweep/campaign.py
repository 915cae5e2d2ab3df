"""A sweep file (``campaigns/*.yaml``): the experiment, its grid, seeds and the share of runs
each point must hold, said once instead of on the command line.

The file is read with the experiments' guarded YAML reader and validated by pydantic; a bad
file is refused in one line naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoscli.errors import SpecError
from chaoscli.experiment.loader import available as shipped_experiments
from chaoscli.experiment.yaml_guard import MAX_BYTES, compose_and_construct
from chaoscli.record.sweep import Scalar
from chaoscli.sweep.grid import EVERY, Axis, parse_axis

GridValues = list[Scalar] | Scalar


class Campaign(BaseModel):
    """A sweep file's fields; the command line's options override them."""

    model_config = ConfigDict(extra="forbid")

    title: str = ""
    description: str = ""
    experiment: str = Field(description="a shipped experiment's name, or a file beside this one")
    grid: dict[str, GridValues] = Field(
        description="field: [values], 'A..B:STEP', or 'every' (each zone of the stack)"
    )
    runs: int = Field(1, ge=1, le=100_000, description="seeds per point")
    seed: int = Field(0, ge=0, description="the root seed every run's seed derives from")
    must_hold: float = Field(
        0.95, gt=0, le=1, description="the share of runs a point must hold to count as held"
    )
    set: dict[str, Scalar] = Field(default_factory=dict, description="--set for every point")
    var: dict[str, Scalar] = Field(default_factory=dict, description="--var for every point")
    find_min: str | None = Field(None, description="FIELD=A..B:STEP to bisect instead of grid")

    def axes(self, source: str) -> list[Axis]:
        """The grid as axes, in the file's order."""
        out = []
        for field, values in self.grid.items():
            if isinstance(values, list):
                if not values:
                    raise SpecError(source, f"grid.{field}", "no values")
                out.append(Axis(field, tuple(dict.fromkeys(values)), source))
            elif isinstance(values, str) and ".." in values:
                out.append(parse_axis(f"{field}={values}", source))
            else:
                out.append(Axis(field, (values,), source))
        return out


@dataclass(frozen=True)
class Target:
    """What ``chaoscli sweep`` was given: an experiment, or a campaign and its experiment."""

    experiment: str
    campaign: Campaign | None = None
    source: str = ""


def campaigns_dir() -> Path:
    """The campaigns shipped inside the package (``campaigns/`` in the repository)."""
    return Path(str(resources.files("chaoscli") / "campaigns"))


def available() -> dict[str, Path]:
    """Shipped campaigns by name."""
    return {p.stem: p for p in sorted(campaigns_dir().glob("*.yaml"))}


def _read(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError(str(path), "", f"a sweep file may have at most {MAX_BYTES:,} bytes")
        return compose_and_construct(path.read_text(encoding="utf-8"))[1]
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "", f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SpecError(str(path), "", f"invalid YAML: {problem}") from None


def load_campaign(path: Path, raw: Any) -> Target:
    """The campaign in ``path`` (already read as ``raw``), validated."""
    source = str(path)
    try:
        campaign = Campaign.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        raise SpecError(source, field, message) from None
    if not campaign.grid and campaign.find_min is None:
        raise SpecError(source, "grid", "empty: give at least one field and its values")
    experiment = campaign.experiment
    if experiment.endswith((".yaml", ".yml")):
        experiment = str(path.parent / experiment)
    elif experiment not in shipped_experiments():
        raise SpecError(source, "experiment", f"{experiment!r} is not a shipped experiment")
    return Target(experiment, campaign, source)


def target(name_or_path: str) -> Target:
    """An experiment or a sweep file, by path or by shipped name (experiments first)."""
    path = Path(name_or_path)
    if path.is_file():
        raw = _read(path)
        if isinstance(raw, dict) and "grid" in raw and "experiment" in raw:
            return load_campaign(path, raw)
        return Target(name_or_path, None, name_or_path)
    if name_or_path in shipped_experiments() or path.suffix in (".yaml", ".yml"):
        return Target(name_or_path, None, name_or_path)
    found = available().get(name_or_path)
    if found is None:
        names = ", ".join([*shipped_experiments(), *available()])
        raise SpecError(name_or_path, "", f"no experiment or campaign of that name ({names})")
    return load_campaign(found, _read(found))


__all__ = ["EVERY", "Campaign", "Target", "available", "target"]
