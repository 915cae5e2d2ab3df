"""Faults: one module each, registering itself; ``FAULTS`` maps a step's fault name to it.

Every module of this package is imported here, so a new fault module is registered by being
there. A fault only ever touches resources discovery returned with the stack's tag.
"""

from __future__ import annotations

import importlib
import pkgutil

from chaoscli.experiment.faults.base import (
    Fault,
    FaultContext,
    Injected,
    StackShape,
    resolve_az,
)
from chaoscli.experiment.faults.registry import (
    FAULTS,
    FaultKind,
    cause_words,
    register,
    shaped_traffic,
)
from chaoscli.experiment.faults.step import WAIT, FaultStep, StepSettings, fault_names

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "FAULTS",
    "WAIT",
    "Fault",
    "FaultContext",
    "FaultKind",
    "FaultStep",
    "Injected",
    "StackShape",
    "StepSettings",
    "cause_words",
    "fault_names",
    "register",
    "resolve_az",
    "shaped_traffic",
]
