"""What a simulation is given: control-plane snapshots in virtual time and the model's numbers.

The experiment layer fills these from discovery; the simulation never reads an experiment file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chaoscli.sim.retry import ClientPolicy
from chaoscli.topology import Topology


@dataclass(frozen=True)
class Snapshot:
    """The stack as discovery saw it at virtual time ``t`` (seconds)."""

    t: float
    topology: Topology


@dataclass(frozen=True)
class ControlAction:
    """A control-plane call whose effect moto does not show (e.g. a forced DB failover)."""

    t: float
    kind: str
    target: str = ""


@dataclass(frozen=True)
class TrafficProfile:
    """Customer request rate over time: piecewise linear through (t, requests/s) points."""

    points: tuple[tuple[float, float], ...]
    duration_s: float
    checkout_share: float = 0.0

    @classmethod
    def constant(cls, rps: float, duration_s: float, checkout_share: float = 0.0) -> TrafficProfile:
        """A flat rate for the whole run."""
        return cls(((0.0, rps), (duration_s, rps)), duration_s, checkout_share)

    def rate_per_second(self) -> np.ndarray:
        """Mean rate in each whole second of the run."""
        ts, rs = zip(*self.points, strict=True)
        mids = np.arange(int(np.ceil(self.duration_s))) + 0.5
        return np.interp(mids, ts, rs)


@dataclass(frozen=True)
class ModelParams:
    """The numbers the model assumes where AWS does something moto does not."""

    instance_capacity_rps: float = 5000.0
    workers_per_instance: int = 4
    network_s: float = 0.005
    boot_s: float = 60.0
    queue_limit_s: float = 1.0
    lb_connect_timeout_s: float = 10.0
    lor_refused_weight_cap: float = 20.0
    control_plane_delay_s: float = 1.0
    api_stop_answer: str = "refuse"
    dns_ttl_s: float = 60.0
    dns_removal_s: float = 60.0
    failover_s: tuple[float, float] = (60.0, 120.0)
    write_timeout_s: float = 2.0
    replica_lag_s: float = 1.0
    promote_replica_after_s: float | None = None
    order_drain_rps: float = 10_000.0
    autoscaling: bool = True
    asg_replace_after_s: float = 60.0
    asg_alarm_periods: int = 3

    @property
    def service_time_s(self) -> float:
        """Mean time a request holds a worker: capacity = workers / service time, so a
        measured capacity and the number of parallel workers fix it."""
        return self.workers_per_instance / self.instance_capacity_rps


# a customer's patience: a request answered later than this is as bad as a failed one
DEFAULT_PATIENCE_S = 2.0


@dataclass(frozen=True)
class EngineParams:
    """Sampling resolution, and what the run must keep for its judges; none of these
    depends on the request rate.

    ``patience_s`` is the latency above which a success counts as slow; ``stop_window_s``
    how far back a p99 stop condition looks (successes' latencies are kept that long).
    """

    samples_per_s: int = 2000
    tick_s: float = 0.1
    seed: int = 0
    load_iterations: int = 3
    patience_s: float = DEFAULT_PATIENCE_S
    stop_window_s: float = 60.0


@dataclass(frozen=True)
class Scenario:
    """Everything one simulation run needs."""

    snapshots: tuple[Snapshot, ...]
    traffic: TrafficProfile
    clients: ClientPolicy = field(default_factory=ClientPolicy)
    model: ModelParams = field(default_factory=ModelParams)
    engine: EngineParams = field(default_factory=EngineParams)
    actions: tuple[ControlAction, ...] = ()
    windows: tuple[tuple[float, float], ...] = ()  # the judged windows, (start, end) s
