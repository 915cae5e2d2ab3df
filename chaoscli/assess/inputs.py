"""What an assessment needs that AWS cannot tell: per-instance capacity, customer traffic and
the clients' retry policy, from options or a small YAML file, each with where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from chaoscli.errors import SpecError
from chaoscli.experiment.spec_fields import Strict, assumed


class AssessmentInputs(Strict):
    """The assessment file's fields; empty ones come from AWS (traffic) or a stated default."""

    instance_capacity_rps: Annotated[
        float | None,
        assumed(
            "requests per second one web instance serves at full load (empty: the shipped "
            "experiments' 5000)",
            "requests/s",
            "assumed: measure it with a load test of the instance type",
            gt=0,
            le=10_000_000,
        ),
    ] = None
    rps: Annotated[
        float | None,
        assumed(
            "customer requests per second (empty: the busiest minute of the load balancer's "
            "CloudWatch RequestCount over the last day, else half the web tier's capacity)",
            "requests/s",
            "CloudWatch AWS/ApplicationELB RequestCount, else assumed",
            gt=0,
            le=10_000_000,
        ),
    ] = None
    vcpus: Annotated[int | None, Field(ge=1, le=448)] = None
    max_attempts: Annotated[
        int,
        assumed(
            "attempts a client makes per request, the first included",
            "attempts",
            "AWS SDKs' standard retry mode (3 attempts)",
            ge=1,
            le=10,
        ),
    ] = 3
    backoff: Literal["none", "full", "equal", "decorrelated"] = "full"
    connect_timeout_s: Annotated[
        float,
        assumed(
            "how long a client waits for a connection before it tries again",
            "s",
            "assumed: the clients' setting",
            gt=0,
            le=120,
        ),
    ] = 3.0
    order_queue: bool = False
    at_s: Annotated[float, Field(ge=30, le=3000)] = 120
    duration_s: Annotated[float, Field(gt=0, le=3000)] = 300
    run_s: Annotated[float, Field(ge=120, le=7200)] = 600
    samples_per_s: Annotated[int, Field(ge=100, le=100_000)] = 2000

    @model_validator(mode="after")
    def _fault_inside_run(self) -> AssessmentInputs:
        if self.at_s + self.duration_s >= self.run_s:
            raise ValueError("at_s + duration_s must end before run_s")
        return self


Source = Literal["option", "file", "CloudWatch", "default"]


def load_inputs(
    path: Path | None, options: dict[str, object]
) -> tuple[AssessmentInputs, dict[str, Source]]:
    """The file's inputs overlaid with the options given, and where each field came from."""
    raw: dict[str, object] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(str(path), "", f"cannot read: {exc}") from None
        except yaml.YAMLError as exc:
            raise SpecError(str(path), "", f"invalid YAML: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise SpecError(str(path), "", "an assessment file is a mapping of field: value")
        raw = dict(loaded or {})
    sources: dict[str, Source] = {k: "file" for k in raw}
    for key, value in options.items():
        if value is not None:
            raw[key] = value
            sources[key] = "option"
    try:
        inputs = AssessmentInputs.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SpecError(str(path) if path else "assess", where, first["msg"]) from None
    for name in AssessmentInputs.model_fields:
        sources.setdefault(name, "default")
    return inputs, sources
