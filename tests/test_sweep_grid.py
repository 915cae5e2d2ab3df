"""A sweep's grid and seeds: the points an axis makes, the plan's validation, the seeds."""

from __future__ import annotations

import pytest

from chaoscli.errors import SpecError
from chaoscli.sweep import plan as sweep_plan
from chaoscli.sweep.campaign import available, target
from chaoscli.sweep.grid import Axis, parse_axis, point_key, product
from chaoscli.sweep.seeds import run_seed


def test_a_list_keeps_its_values_and_types_in_order() -> None:
    axis = parse_axis("clients.backoff=full,equal, none")
    assert axis == Axis("clients.backoff", ("full", "equal", "none"))
    assert parse_axis("topology.azs=2,3").values == (2, 3)
    assert parse_axis("x=0.5,true").values == (0.5, True)


def test_a_range_steps_from_a_to_b_inclusive_without_float_drift() -> None:
    assert parse_axis("topology.instances_per_az=10..40:10").values == (10, 20, 30, 40)
    assert parse_axis("traffic.checkout_share=0.1..0.3:0.1").values == (0.1, 0.2, 0.3)
    assert parse_axis("a=1..4:2").values == (1, 3)


@pytest.mark.parametrize(
    "item",
    ["nofield", "=1,2", "x=", "x=1,,2", "x=5..1:1", "x=1..5:0", "x=a..5:1", "x=1..5:-1"],
)
def test_a_malformed_axis_is_one_line_naming_the_grid(item: str) -> None:
    with pytest.raises(SpecError) as exc:
        parse_axis(item)
    assert str(exc.value).startswith("--grid: ")
    assert "\n" not in str(exc.value)


def test_points_are_the_product_and_a_key_does_not_depend_on_field_order() -> None:
    points = product([Axis("a", (1, 2)), Axis("b", ("x", "y"))])
    assert points == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]
    assert point_key({"a": 1, "b": "x"}) == point_key({"b": "x", "a": 1}) == '{"a":1,"b":"x"}'


def test_a_seed_depends_on_the_root_the_point_and_the_index_alone() -> None:
    key = point_key({"a": 1})
    assert run_seed(0, key, 0) == run_seed(0, key, 0)
    seeds = {run_seed(r, k, n) for r in (0, 1) for k in (key, point_key({"a": 2})) for n in (0, 1)}
    assert len(seeds) == 8


def test_every_zone_makes_one_point_per_zone_of_each_stack() -> None:
    axes = [parse_axis("topology.azs=2,3"), parse_axis("az=every")]
    plan = sweep_plan.build("az-outage", axes, [], [], 1, 0, 0.95)
    assert [p.values for p in plan.points] == [
        {"topology.azs": 2, "az": "ap-south-1a"},
        {"topology.azs": 2, "az": "ap-south-1b"},
        {"topology.azs": 3, "az": "ap-south-1a"},
        {"topology.azs": 3, "az": "ap-south-1b"},
        {"topology.azs": 3, "az": "ap-south-1c"},
    ]
    assert [p.loaded.experiment.method[0].az for p in plan.points][-1] == "ap-south-1c"


@pytest.mark.parametrize(
    ("grid", "says"),
    [
        ("topology.instances_per_az=20,0", "--grid: topology.instances_per_az:"),
        ("topology.no_such_field=1,2", "--grid: topology.no_such_field: unknown field"),
        ("az=ap-south-1a,eu-west-1a", "--grid: az: eu-west-1a is not a zone of ap-south-1"),
    ],
)
def test_a_point_run_would_refuse_is_refused_naming_the_grid_field(grid: str, says: str) -> None:
    with pytest.raises(SpecError) as exc:
        sweep_plan.build("az-outage", [parse_axis(grid)], [], [], 1, 0, 0.95)
    assert str(exc.value).startswith(says), str(exc.value)


def test_an_empty_grid_is_refused() -> None:
    with pytest.raises(SpecError, match="the grid is empty"):
        sweep_plan.build("az-outage", [], [], [], 1, 0, 0.95)


def test_the_shipped_campaigns_name_points_run_would_accept() -> None:
    assert "black-friday-capacity" in available()
    for name in available():
        found = target(name)
        assert found.campaign is not None
        c = found.campaign
        plan = sweep_plan.build(
            found.experiment, c.axes(found.source), [], [], c.runs, c.seed, c.must_hold
        )
        assert len(plan.points) >= 2 * len(c.grid)
