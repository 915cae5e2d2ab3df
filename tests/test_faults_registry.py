"""The fault registry: each fault module declares its step settings, its pre-run check and
its words, and the spec, the runner and the findings read them from there."""

from __future__ import annotations

import importlib

import pytest
from pydantic import ValidationError

from chaoscli.experiment import journal
from chaoscli.experiment.faults import FAULTS, FaultStep, StepSettings, fault_names, register
from chaoscli.experiment.faults.step import SETTINGS
from chaoscli.experiment.findings import CAUSE_WORDS
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.report.findings import findings
from tests.endpoint_helpers import cli


def test_every_fault_is_one_module_named_after_it() -> None:
    """A fault's module carries its name, and the module registered that very fault."""
    assert fault_names() == sorted(FAULTS) and "az-outage" in FAULTS
    for name, kind in FAULTS.items():
        module = importlib.import_module(f"chaoscli.experiment.faults.{name.replace('-', '_')}")
        assert kind.inject.__module__ == module.__name__
        assert kind.settings.takes <= set(SETTINGS)


def test_a_setting_the_fault_does_not_declare_is_refused() -> None:
    """az-outage takes only a zone: a latency on it is an error naming the setting."""
    with pytest.raises(ValidationError, match="latency_ms: not a setting of az-outage"):
        FaultStep(fault="az-outage", latency_ms=100)


def test_a_faults_defaults_fill_only_its_own_steps() -> None:
    """gray-failure's defaults reach gray-failure steps and no other."""
    gray = FaultStep(fault="gray-failure")
    assert (gray.latency_ms, gray.error_share) == (800.0, 0.05)
    assert FaultStep(fault="instance-crash").latency_ms is None


def test_a_fault_cannot_register_twice_nor_declare_an_unknown_setting() -> None:
    """A second az-outage, or a setting no step has, is refused when the module loads."""
    kind = FAULTS["az-outage"]
    with pytest.raises(ValueError, match="declared twice"):
        register(kind)
    with pytest.raises(ValueError, match="no step setting colour"):
        register(type(kind)("paint", "x", StepSettings(frozenset({"colour"})), kind.inject))
    assert "paint" not in FAULTS


def test_cause_words_come_from_the_fault_that_causes_them() -> None:
    """A gray failure's record carries gray-failure's own words, and the findings explain its
    500s with them; the common table has no words of its own for that cause."""
    words = FAULTS["gray-failure"].cause_words["gray failure (500)"]
    assert "gray failure (500)" not in CAUSE_WORDS
    # one attempt: nothing hides the 500s, so availability during the fault falls short
    sets = ["traffic.duration_s=300", "engine.samples_per_s=500", "clients.max_attempts=1"]
    loaded = load("gray-failure", sets)
    record = journal.build(run(loaded, seed=0))
    assert record.faults["gray-failure"].causes["gray failure (500)"] == words
    texts = [f.detail + " " + f.fix for f in findings(record)]
    assert any(words[0] in t for t in texts), texts


def test_the_faults_pre_run_check_refuses_a_stack_without_a_standby() -> None:
    """rds-failover on a single-AZ database: one line naming the step, exit 2, no stack made."""
    r = cli("run", "rds-failover", "--set", "topology.database.multi_az=false")
    assert r.code == 2
    assert "method.0.fault" in r.err and "needs a Multi-AZ database" in r.err
    assert "Traceback" not in r.err


def test_the_shipped_experiments_still_load_with_the_registered_settings() -> None:
    """A shipped gray-failure step keeps its file's latency and gets its default error share."""
    gray = load("gray-failure", vars_=["latency_ms=650"]).experiment.faults[0]
    assert (gray.fault, gray.latency_ms, gray.error_share) == ("gray-failure", 650.0, 0.05)
