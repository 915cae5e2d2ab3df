"""The matrix of the shipped template's shop: power loss and router failure are run each on
its own (they part once the fault ends), and each cell's fix is re-run, once per distinct run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaoscli.assess import matrix
from chaoscli.assess.assessment import assess
from chaoscli.assess.imported import read_file
from chaoscli.assess.inputs import load_inputs
from chaoscli.assess.model import Assessment, Cell
from chaoscli.assess.render import alike_line, terminal
from chaoscli.aws.real_aws_guard import Access

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "two-tier-shop.yaml"
QUICK = (
    "instance_capacity_rps: 1000\nrps: 4000\nrun_s: 480\nat_s: 60\nduration_s: 180\n"
    "samples_per_s: 200\n"
)


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assessment, int]:
    """The shop's power loss and router failure in every zone, fixes re-run; and how many
    runs of the model that took."""
    inputs = tmp_path_factory.mktemp("inputs") / "inputs.yaml"
    inputs.write_text(QUICK)
    given, sources = load_inputs(inputs, {})
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        read = read_file(
            TEMPLATE, "us-east-1", Access(), parameters={}, load_balancer=None, db_ids=(), tags={}
        )
        runs: list[Any] = []
        real_run = matrix.run

        def counted(*args: Any, **kwargs: Any) -> Any:
            runs.append(args)
            return real_run(*args, **kwargs)

        mp.setattr(matrix, "run", counted)
        result = assess(
            read.found,
            given,
            sources,
            calls=read.calls,
            where=read.where,
            verify=True,
            faults=matrix.FAULTS[:2],
        )
    return result, len(runs)


def _cells(a: Assessment, fault: str) -> dict[str, Cell]:
    return {c.zone or "": c for c in a.cells if c.fault == fault}


def test_power_loss_and_router_failure_part_once_the_fault_ends(
    assessed: tuple[Assessment, int],
) -> None:
    """After a power loss the zone's instances boot (60 s) before serving again; after a
    router failure they serve once the load balancer's healthy checks pass (2 x 10 s), the
    replacements Auto Scaling launched into the cut-off zone too: in every zone, so router
    failure's cells are not power loss's figures again."""
    a, _ = assessed
    power, router = _cells(a, "zone power loss"), _cells(a, "router failure")
    assert sorted(power) == sorted(router) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    for zone in power:
        p, r = power[zone].zone_back_s, router[zone].zone_back_s
        assert p is not None and r is not None
        assert p >= r + 50, (zone, p, r)
        assert r >= 10, (zone, r)
    out = terminal(a)
    assert "zone back" in out.splitlines()[out.splitlines().index("") + 1]


def test_each_cells_fix_is_re_run_once_and_the_weak_point_reuses_that_run(
    assessed: tuple[Assessment, int],
) -> None:
    """Six cells, six fix re-runs; the weak point's re-run is its cell's fix re-run (the
    same experiment, overrides and seed), not a seventh; the text says what each showed."""
    a, runs = assessed
    deviated = [c for c in a.cells if c.held is False and c.fix_set]
    assert len(deviated) == 6
    assert runs == len(a.cells) + len(deviated)
    said = " ".join(terminal(a).split())
    for c in deviated:
        assert c.fix_proven in ("held", "did not hold")
        assert c.fix_visible_errors is not None
        if c.fix_proven == "held":
            assert f"{c.top_finding}; fix (held):" in said
        else:
            assert (
                f"{c.top_finding}; fix (did not hold: visible errors {c.visible_errors:,} -> "
                f"{c.fix_visible_errors:,}):"
            ) in said
    assert "not re-run" not in said
    weak = a.weak_point
    assert weak is not None
    cell = next(c for c in deviated if f"{c.fault} in {c.zone}" == weak.cell)
    assert weak.after_visible_errors == cell.fix_visible_errors
    assert weak.after_held == (cell.fix_proven == "held")


def _cell(fault: str, zone: str, errors: int) -> Cell:
    return Cell(
        fault=fault,
        experiment="x",
        zone=zone,
        model_zone=zone,
        held=False,
        visible_errors=errors,
        availability=0.99,
        worst_second=0.9,
        recovery_s=100,
        recovery="recovered",
        db_write_unavailable_s=0,
        zone_back_s=80 if fault == "zone power loss" else 0,
        top_finding=None,
        fix=None,
        fix_proven=None,
    )


def test_the_alike_line_is_printed_only_when_every_zone_costs_customers_alike(
    assessed: tuple[Assessment, int],
) -> None:
    """Same customer figures in every zone: one line says why; one zone apart: no line."""
    a, _ = assessed
    alike = [_cell(f, z, 100) for f in ("zone power loss", "router failure") for z in a.stack.zones]
    same = a.model_copy(update={"cells": alike, "weak_point": None})
    line = alike_line(same)
    assert line is not None and "boot" in line
    assert line.split(":")[0] in " ".join(terminal(same).split())
    apart = [*alike[:-1], _cell("router failure", a.stack.zones[-1], 101)]
    assert alike_line(a.model_copy(update={"cells": apart})) is None
