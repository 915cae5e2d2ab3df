"""Faults: what each one does through the AWS API, chosen from what discovery found.

One module per family; ``FAULTS`` maps a step's ``fault`` name to its function. A fault only
ever touches resources discovery returned with the stack's tag.
"""

from __future__ import annotations

from chaoscli.experiment.faults.base import Fault, FaultContext, Injected, resolve_az
from chaoscli.experiment.faults.database import rds_failover, replica_loss
from chaoscli.experiment.faults.instances import gray_failure, instance_crash, slow_tag
from chaoscli.experiment.faults.traffic import traffic_spike, with_spikes
from chaoscli.experiment.faults.zone import az_outage, router_failure

FAULTS: dict[str, Fault] = {
    "az-outage": az_outage,
    "router-failure": router_failure,
    "instance-crash": instance_crash,
    "rds-failover": rds_failover,
    "replica-loss": replica_loss,
    "gray-failure": gray_failure,
    "traffic-spike": traffic_spike,
}

__all__ = [
    "FAULTS",
    "Fault",
    "FaultContext",
    "Injected",
    "resolve_az",
    "slow_tag",
    "with_spikes",
]
