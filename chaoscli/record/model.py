"""The run record: one typed journal of a run, from which every report is made.

Its core fields keep Chaos Toolkit's names (status, deviated, steady_states, run, rollbacks,
start, end, duration) so that tooling written for it can read ours. ``start`` and ``end`` are
the wall-clock times the run began and ended (UTC); every other time is virtual, seconds of
simulated traffic. chaoscli's own fields (metrics, windows, timeline, events, topology,
provenance) sit beside them. The record carries figures measured by the simulation; it
measures nothing itself.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import ConfigDict, Field

from chaoscli.record.base import Part
from chaoscli.record.figures import (
    Count,
    MaybeCount,
    MaybeFigure,
    MaybeRatio,
    Ratio,
    Stamp,
)
from chaoscli.record.findings import Finding, FixCheck
from chaoscli.record.probes import is_ratio, label
from chaoscli.record.runs import Runs
from chaoscli.record.setup import ExperimentAsRun, StepAsRun
from chaoscli.record.topology import Topologies

SCHEMA_VERSION: Final = 2
SCHEMA_ID = f"https://chaoscli.dev/schemas/journal-{SCHEMA_VERSION}.json"
WindowName = Literal["before", "during", "after"]
Status = Literal["running", "completed", "failed", "aborted", "interrupted"]
# Chaos Toolkit's words: completed (ran, held), failed (ran, deviated), aborted (a stop
# condition or an error ended it), interrupted (SIGINT or SIGTERM); running while under way.


def judged(status: str, stopped: bool, error: str | None) -> bool:
    """Whether a run with this ending reached a verdict: it ran to the end, or a stop
    condition (not an error) ended its method."""
    return status in ("completed", "failed") or (status == "aborted" and stopped and not error)


class Tolerance(Part):
    """A probe's bound: the measured value must be >= min and/or <= max."""

    min: MaybeFigure = None
    max: MaybeFigure = None


class ProbeActivity(Part):
    """Chaos Toolkit's description of a probe, with the window it judged."""

    type: Literal["probe"] = "probe"
    name: str
    window: WindowName
    tolerance: Tolerance


class ProbeRun(Part):
    """One probe as Chaos Toolkit's activity result."""

    activity: ProbeActivity
    output: MaybeFigure
    status: Literal["succeeded", "failed"]
    tolerance_met: bool
    start: Stamp
    end: Stamp
    duration: Count


class SteadyState(Part):
    """Did the steady state hold in one window."""

    steady_state_met: bool
    probes: list[ProbeRun]


class SteadyStates(Part):
    """Before, during and after the method (null for a window the run did not have)."""

    before: SteadyState | None
    during: SteadyState | None
    after: SteadyState | None


class Provider(Part):
    """Which chaoscli fault an action ran, and in which zone."""

    type: Literal["chaoscli"] = "chaoscli"
    fault: str
    az: str | None


class ActionActivity(Part):
    """Chaos Toolkit's description of an action of the method."""

    type: Literal["action"] = "action"
    name: str
    provider: Provider


class ActionRun(Part):
    """One fault of the method as Chaos Toolkit's action result, in virtual time."""

    activity: ActionActivity
    output: list[str]
    status: Literal["succeeded", "failed"]
    start: Stamp
    end: Stamp
    duration: Count


class RollbackActivity(Part):
    """Chaos Toolkit's description of a rollback action."""

    type: Literal["action"] = "action"
    name: Literal["rollback"] = "rollback"


class RollbackRun(Part):
    """One change undone, at the virtual time it was undone."""

    activity: RollbackActivity = RollbackActivity()
    output: str
    status: Literal["succeeded", "failed"] = "succeeded"
    t: Count


class ProbeVerdict(Part):
    """One probe in one window: the measured value against its tolerance."""

    probe: str
    window: WindowName
    value: MaybeFigure
    tolerance: Tolerance
    bound: str  # the tolerance as a person reads it, e.g. ">= 99.9%"
    margin: MaybeFigure  # signed distance to the bound, negative when violated
    ok: bool
    ci95: list[MaybeFigure] | None = Field(default=None, min_length=2, max_length=2)

    @property
    def key(self) -> str:
        """``window/probe``, how findings name the probes they explain."""
        return f"{self.window}/{self.probe}"

    @property
    def label(self) -> str:
        """The probe's name as a person reads it."""
        return label(self.probe)

    @property
    def ratio(self) -> bool:
        """Measured as a fraction, shown as a percentage."""
        return is_ratio(self.probe)


class Hypothesis(Part):
    """The steady-state hypothesis's verdict, probe by probe."""

    title: str
    held: bool
    probes: list[ProbeVerdict]

    def failed(
        self, probe: str | None = None, windows: tuple[str, ...] | None = None
    ) -> list[ProbeVerdict]:
        """The probes that did not hold, of one kind and in some windows if given."""
        return [
            p
            for p in self.probes
            if not p.ok
            and (probe is None or p.probe == probe)
            and (windows is None or p.window in windows)
        ]

    def tolerance(self, probe: str) -> Tolerance | None:
        """The bound one probe was judged against (None when it was not judged)."""
        return next((p.tolerance for p in self.probes if p.probe == probe), None)


class Stop(Part):
    """A stop condition that ended the method: when, which, and why."""

    t: Count
    condition: int
    reason: str


class OrderQueue(Part):
    """How the durable order queue fared over the run."""

    enabled: bool
    max_depth: Count
    longest_commit_delay_s: Count
    pending_at_end: Count


class PrimaryZone(Part):
    """Where the database's primary was when the fault struck and when the run ended."""

    before: str | None = None
    after: str | None = None


class Window(Part):
    """What customers saw between ``start_s`` and ``end_s``, and what explains it."""

    start_s: Count
    end_s: Count
    requests: Count
    visible_errors: Count
    availability: Ratio
    availability_ci: list[MaybeRatio] = Field(min_length=2, max_length=2)
    worst_second_success_ratio: Ratio
    worst_second_at_s: Count
    p99_latency_ms: MaybeCount
    p99_latency_ci_ms: list[MaybeCount] = Field(min_length=2, max_length=2)
    retried_hidden: Count
    retry_amplification: Count
    orders: Count
    orders_acked: Count
    order_success_ratio: Ratio
    lost_orders: Count
    patience_s: Count
    slow_requests: Count
    slow_request_ratio: Ratio
    order_commit_delay_s: Count
    visible_error_causes: dict[str, Count]
    slow_tail_retried_share: MaybeRatio
    peak_offered_rps: Count
    peak_utilisation: MaybeCount

    @property
    def dominant_cause(self) -> str | None:
        """The cause of most visible errors (None when there were none)."""
        causes = {k: v for k, v in self.visible_error_causes.items() if v}
        return max(causes, key=lambda k: causes[k]) if causes else None


class Recovery(Part):
    """Recovery as customers see it, from the fault, with the rule and the parts behind it.

    A second is normal when its success ratio is at least ``success_ratio_min`` and its p99
    at most ``p99_limit_ms`` (from the before window's p99). ``customer_recovery_s`` runs
    from the fault to the first second after which every second to the end is normal; it is
    null unless ``status`` is "recovered". Each part is seconds after the fault, null when
    it did not happen in this run.
    """

    status: Literal["recovered", "not_recovered", "no_fault", "no_baseline"]
    fault_at_s: MaybeCount
    customer_recovery_s: MaybeCount
    success_ratio_min: Ratio
    before_p99_ms: MaybeCount
    p99_limit_ms: MaybeCount
    p99_above_limit_s: Count
    peak_p99_ms: MaybeCount
    last_target_out_of_rotation_s: MaybeCount
    dark_node_out_of_dns_s: MaybeCount
    client_dns_caches_expired_s: MaybeCount
    database_writable_s: MaybeCount


class RunMetrics(Part):
    """Whole-run figures."""

    requests: Count
    visible_errors: Count
    availability: Ratio
    availability_ci95: list[MaybeRatio] = Field(min_length=2, max_length=2)
    worst_second_success_ratio: Ratio
    worst_second_at_s: Count
    p99_latency_ms: MaybeCount
    p99_latency_ci95_ms: list[MaybeCount] = Field(min_length=2, max_length=2)
    hidden_errors: Count
    retry_amplification: Count
    slow_requests: Count  # succeeded later than the customer's patience (hypothesis.patience_s)
    slow_request_ratio: Ratio
    customer_recovery_s: MaybeCount
    recovery: Recovery
    reroute_s: MaybeCount
    db_write_unavailable_s: Count
    db_primary_az: PrimaryZone
    peak_utilisation: MaybeCount
    peak_offered_rps: Count
    visible_error_causes: dict[str, Count]
    orders: Count
    orders_acked: Count
    order_success_ratio: Ratio
    lost_orders: Count
    order_queue: OrderQueue


class Event(Part):
    """Something that happened at a virtual time: a fault, a rollback, the model's doing."""

    t: Count
    kind: str
    message: str


class Extremes(Part):
    """The lowest (or highest) second of each series over a timeline entry of many seconds;
    ``db_writable`` is whether any second had the database writable (the highest) or all did
    (the lowest)."""

    requests: Count
    visible_errors: Count
    success_ratio: MaybeRatio
    attempts: Count
    served: dict[str, Count]
    utilisation: dict[str, Count]
    p99_latency_ms: MaybeCount
    db_writable: bool
    queue_depth: Count
    lb_errors: Count


class Second(Part):
    """One virtual second, or from ``t`` a whole minute (``span_s`` 60) in a long run's
    quiet stretches: load, outcomes, zones, latency and the database.

    Over many seconds the figures are per-second means (the success ratio is the entry's own
    visible errors over its requests; the database writable only if it was every second),
    and ``low`` and ``high`` hold each series' lowest and highest second, so a worst second
    stays visible. A run of an hour or less has one entry per second; a longer one keeps
    every second in its first hour and around each fault."""

    t: int = Field(ge=0)
    span_s: int = Field(default=1, ge=1)
    requests: Count
    visible_errors: Count
    success_ratio: MaybeRatio
    attempts: Count
    served: dict[str, Count]
    utilisation: dict[str, Count]
    p99_latency_ms: MaybeCount
    db_writable: bool
    queue_depth: Count
    lb_errors: Count
    low: Extremes | None = None  # over many seconds: each series' lowest second
    high: Extremes | None = None  # and its highest

    @property
    def lowest(self) -> Second | Extremes:
        """Each series' lowest second (this entry itself when it is one second)."""
        return self.low or self

    @property
    def highest(self) -> Second | Extremes:
        """Each series' highest second (this entry itself when it is one second)."""
        return self.high or self


class FaultWords(Part):
    """How findings speak of one fault of the method, in its own module's words, so that a
    report needs nothing but the record: ``words`` explain a failed probe no failure cause
    explains, ``causes`` the failure causes only this fault brings about (each pair: what
    happened, and the change that would fix it)."""

    words: tuple[str, str] | None = None
    causes: dict[str, tuple[str, str]] = Field(default_factory=dict)


class Provenance(Part):
    """What a report needs to stand alone besides the figures: the command line, the
    overrides the experiment ran with (``--set``/``--var``, as given), the experiment file's
    SHA-256, and where the run's AWS calls went: ``in-process`` moto, an ``endpoint`` (a moto
    server or LocalStack, at ``endpoint_url``) or a real ``aws`` account."""

    command: str | None = None
    overrides: list[str] = Field(default_factory=list)
    experiment_sha256: str | None = None
    endpoint: Literal["in-process", "endpoint", "aws"] | None = None
    endpoint_url: str | None = None


WALL_CLOCK: Final = ("start", "end")  # the record's only wall-clock fields


def comparable(journal: dict[str, Any]) -> dict[str, Any]:
    """What the same seed must reproduce: a journal's JSON without its wall-clock fields and
    the command line that wrote it (its output paths may differ; its overrides are kept)."""
    out = {k: v for k, v in journal.items() if k not in WALL_CLOCK}
    if isinstance(out.get("provenance"), dict):
        out["provenance"] = {k: v for k, v in out["provenance"].items() if k != "command"}
    return out


class Record(Part):
    """One run of a chaoscli experiment."""

    model_config = ConfigDict(
        populate_by_name=True,
        title="chaoscli journal",
        json_schema_serialization_defaults_required=True,
    )

    schema_id: str = Field(default=SCHEMA_ID, alias="$schema")
    schema_version: Literal[2] = SCHEMA_VERSION
    chaoscli_version: str
    clock: Literal["virtual"] = "virtual"
    title: str
    source: str
    experiment: ExperimentAsRun
    seed: int = Field(ge=0)
    status: Status
    deviated: bool
    error: str | None
    stopped: Stop | None
    start: Stamp  # wall clock, UTC: when the run began (kept out of determinism comparisons)
    end: Stamp  # wall clock, UTC: when it ended, rollback included
    duration: Count  # virtual seconds of simulated traffic
    provenance: Provenance = Field(default_factory=Provenance)
    steady_states: SteadyStates
    run: list[ActionRun]
    faults: dict[str, FaultWords] = Field(default_factory=dict)  # by fault name
    rollbacks: list[RollbackRun]
    topology: Topologies
    hypothesis: Hypothesis
    metrics: RunMetrics | None
    windows: dict[WindowName, Window]
    events: list[Event]
    rollback_check: list[str]  # differences left after rollback; empty when restored
    timeline: list[Second]
    runs: Runs | None = None  # with --runs N: the verdict over N seeds
    findings: list[Finding] = Field(default_factory=list)  # causes first, then notes
    fixes: FixCheck | None = None  # whether the findings' fixes were re-run, and how

    @property
    def first_step(self) -> StepAsRun | None:
        """The method's first step, when it has one."""
        return self.experiment.method[0] if self.experiment.method else None

    def step_spans(self) -> list[tuple[float, float]]:
        """Each method step's (start, end) in virtual seconds as it ran: a stop condition
        that tripped ends every step still in place at the trip."""
        cut = self.stopped.t if self.stopped is not None else None
        spans = []
        for step in self.experiment.method:
            end = step.end_s if cut is None else min(step.end_s, max(cut, step.at_s))
            spans.append((step.at_s, end))
        return spans

    @property
    def expected_deviation(self) -> bool:
        """A deviation the experiment declares it expects (``expect: deviated``)."""
        return self.deviated and self.experiment.expect == "deviated"

    @property
    def judged(self) -> bool:
        """The run reached a verdict (see :func:`judged`)."""
        return judged(self.status, self.stopped is not None, self.error)

    @property
    def verdict(self) -> str:
        """held, deviated, or the status of a run that gave no verdict."""
        if not self.judged:
            return self.status
        return "deviated" if self.deviated else "held"

    def dump(self) -> dict[str, object]:
        """Plain JSON values, under the journal's own field names."""
        return self.model_dump(mode="json", by_alias=True)
