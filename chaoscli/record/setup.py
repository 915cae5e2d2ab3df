"""The experiment as it ran, inside the record: the fields reports read are typed, the rest
of the document rides along as written, so the journal carries the whole experiment."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from chaoscli.record.base import Part
from chaoscli.record.figures import Figure


class Open(Part):
    """A part of the experiment document: typed where read, other fields kept as they are."""

    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=True)


class LoadBalancerAsRun(Open):
    """What clients and the load balancer wait for."""

    connect_timeout_s: Figure = 10.0
    dns_ttl_s: Figure = 60.0


class DatabaseAsRun(Open):
    """The database's engine and replication."""

    engine_version: str = ""
    replica_lag_s: Figure = 0.0


class OrderQueueAsRun(Open):
    """Whether checkout goes through a durable queue."""

    enabled: bool = False


class TopologyAsRun(Open):
    """The stack the experiment asked for."""

    instances_per_az: int
    instance_capacity_rps: Figure
    load_balancer: LoadBalancerAsRun = LoadBalancerAsRun()
    database: DatabaseAsRun = DatabaseAsRun()
    order_queue: OrderQueueAsRun = OrderQueueAsRun()


class TrafficAsRun(Open):
    """Customer traffic."""

    rps: Figure
    duration_s: Figure


class ClientsAsRun(Open):
    """How customers' clients connect."""

    connect_timeout_s: Figure


class HypothesisAsRun(Open):
    """The steady-state hypothesis as written, with the customer's patience it judged by."""

    patience_s: Figure = 2.0


class StepAsRun(Open):
    """One step of the method, placed in time."""

    fault: str
    at_s: Figure = 0.0
    duration_s: Figure = 0.0
    az: str | None = None

    @property
    def end_s(self) -> float:
        """When the step's fault is undone (before the end of traffic or not)."""
        return self.at_s + self.duration_s


class ExperimentAsRun(Open):
    """The experiment document after overrides and defaults, as the run used it."""

    title: str
    description: str = ""
    expect: str = "held"
    parameters: dict[str, Any] = Field(default_factory=dict)
    topology: TopologyAsRun
    traffic: TrafficAsRun
    clients: ClientsAsRun
    hypothesis: HypothesisAsRun = HypothesisAsRun()
    method: list[StepAsRun] = Field(default_factory=list)
