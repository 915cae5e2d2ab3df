"""What an assessment needs that AWS cannot tell: per-instance capacity, customer traffic and
the clients' retry policy, from options or a small YAML file, each with where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from chaoscli.errors import SpecError
from chaoscli.experiment.clients_spec import Backoff, ClientsSpec, MaxAttempts
from chaoscli.experiment.model_table import as_written, assumptions
from chaoscli.experiment.spec_fields import Strict, assumed

_CLIENTS = ClientsSpec.model_fields  # the model's clients: their defaults are the inputs'


class AssessmentInputs(Strict):
    """The assessment file's fields; empty ones come from AWS (traffic) or a stated default."""

    instance_capacity_rps: Annotated[
        float,
        assumed(
            "requests per second one web instance serves at full load",
            "requests/s",
            "assumed: the shipped experiments' capacity (topology.instance_capacity_rps); "
            "measure yours with a load test of the instance type",
            gt=0,
            le=10_000_000,
        ),
    ] = 5000
    rps: Annotated[
        float | None,
        Field(
            description="customer requests per second",
            json_schema_extra={
                "unit": "requests/s",
                "source": "CloudWatch AWS/ApplicationELB RequestCount, else assumed: half "
                "the web tier's capacity (the model's web instances x instance_capacity_rps / 2)",
                "empty": "the busiest minute of the load balancer's RequestCount over the "
                "last day, else half the web tier's capacity",
            },
            gt=0,
            le=10_000_000,
        ),
    ] = None
    vcpus: Annotated[int | None, Field(ge=1, le=448)] = None
    max_attempts: MaxAttempts = _CLIENTS["max_attempts"].default
    backoff: Backoff = _CLIENTS["backoff"].default
    connect_timeout_s: Annotated[
        float,
        assumed(
            "how long a client waits for a connection before it tries again",
            "s",
            "assumed: the clients' setting (the model's clients.connect_timeout_s default)",
            gt=0,
            le=120,
        ),
    ] = _CLIENTS["connect_timeout_s"].default
    order_queue: Annotated[
        bool,
        assumed(
            "whether a durable order queue (SQS) takes orders between web and database",
            "",
            "assumed: none, as discovery reads no queue",
        ),
    ] = False
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


# The option that sets each input on the command line (the others only in the file).
OPTIONS = {
    "instance_capacity_rps": "--capacity-rps",
    "rps": "--rps",
    "max_attempts": "--max-attempts",
}


def markdown() -> str:
    """The README's table of what AWS cannot tell: each input, its option, default, unit and
    where the default comes from, made from the fields themselves so it cannot go stale."""
    rows = [
        "| Input (file field) | Option | Default | Unit | Source of the default | Meaning |",
        "|---|---|---|---|---|---|",
    ]
    for a in assumptions(AssessmentInputs):
        extra = a.info.json_schema_extra
        empty = extra.get("empty") if isinstance(extra, dict) else None
        default = str(empty) if empty else as_written(a.default)
        option = f"`{OPTIONS[a.path]}`" if a.path in OPTIONS else "-"
        rows.append(
            f"| `{a.path}` | {option} | {default} | {a.unit} | {a.source} | {a.info.description} |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
