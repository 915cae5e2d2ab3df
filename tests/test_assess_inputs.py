"""What AWS cannot tell, with where each value came from: the default traffic says it is half
the web tier's capacity in every format that lists inputs, and the README's table of inputs
names every input with its default and source."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from chaoscli.assess import inputs as assess_inputs
from chaoscli.assess.assessment import assess
from chaoscli.assess.imported import read_file
from chaoscli.assess.inputs import AssessmentInputs, load_inputs
from chaoscli.assess.model import Assessment
from chaoscli.assess.render import WRITERS, terminal
from chaoscli.aws.real_aws_guard import Access

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "two-tier-shop.yaml"


@pytest.fixture(scope="module")
def unrun() -> Assessment:
    """The template's shop with no option and no file: every input a default, and traffic
    neither given nor in CloudWatch (no fault is run: only the inputs are looked at)."""
    given, sources = load_inputs(None, {})
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        read = read_file(
            TEMPLATE, "us-east-1", Access(), parameters={}, load_balancer=None, db_ids=(), tags={}
        )
    return assess(read.found, given, sources, calls=read.calls, where=read.where, faults=())


def test_default_traffic_is_half_the_capacity_and_says_so_everywhere(unrun: Assessment) -> None:
    """12 instances at the default 5000 req/s each: 30000 req/s, from the stated default."""
    values = {i.name: (i.value, i.source) for i in unrun.inputs}
    assert values["instance_capacity_rps"] == ("5000", "default")
    assert values["rps"] == ("30000", "default: half the web tier's capacity")
    shown = "rps 30000 (default: half the web tier's capacity)"
    assert shown in " ".join(terminal(unrun).split())
    for suffix, write in WRITERS.items():
        text = html.unescape(" ".join(write(unrun).split()))
        assert "half the web tier's capacity" in text, suffix
        assert "30000" in text, suffix


def test_an_option_overrides_the_default_and_says_so() -> None:
    """--rps given: its value, from the option; the rest stay defaults."""
    given, sources = load_inputs(None, {"rps": 1234.0, "instance_capacity_rps": None})
    assert (given.rps, sources["rps"]) == (1234.0, "option")
    assert sources["instance_capacity_rps"] == "default"


def test_the_readme_table_lists_every_input_with_its_default_and_source() -> None:
    """Capacity 5000, traffic's fallback, retries, backoff, connect timeout and order queue:
    each a row with a default and a source that is not empty."""
    rows = {
        line.split("|")[1].strip().strip("`"): [c.strip() for c in line.split("|")[2:-1]]
        for line in assess_inputs.markdown().splitlines()[2:]
    }
    assert sorted(rows) == sorted(
        [
            "instance_capacity_rps",
            "rps",
            "max_attempts",
            "backoff",
            "connect_timeout_s",
            "order_queue",
        ]
    )
    defaults = AssessmentInputs()
    assert rows["instance_capacity_rps"][1] == "5000" == f"{defaults.instance_capacity_rps:g}"
    assert "half the web tier's capacity" in rows["rps"][1]
    assert rows["max_attempts"][1] == str(defaults.max_attempts)
    assert rows["backoff"][1] == defaults.backoff
    assert rows["connect_timeout_s"][1] == f"{defaults.connect_timeout_s:g}"
    assert rows["order_queue"][1] == "false"
    assert all(cols[3] for cols in rows.values())  # a source for each
