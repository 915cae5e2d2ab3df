"""The model's per-zone shape changes verdicts: groups that may launch only in their own zone
cannot replace a dark zone's capacity, and a zone holding one instance more carries more of
the load when another zone is lost. Counts are honoured by the stack-shape check and by the
faults' target counts."""

from __future__ import annotations

import pytest

from chaoscli.errors import SpecError
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import Outcome, run
from chaoscli.sim.metrics import window

SHORT = [
    "engine.samples_per_s=500",
    "traffic.duration_s=600",
    "traffic.checkout_share=0",
    "topology.load_balancer.cross_zone=true",
]
AT, LENGTH = 120, 300


def _outage(sets: list[str], az: str | None = None) -> Outcome:
    """A zone's power loss from 120 s for 300 s."""
    vars_ = [f"at_s={AT}", f"duration_s={LENGTH}", *([f"az={az}"] if az else [])]
    return run(load("az-outage", [*SHORT, *sets], vars_), seed=0)


def _asg_lines(out: Outcome) -> list[str]:
    return [e.message for e in out.events if "Auto Scaling" in e.message]


def test_per_zone_groups_cannot_replace_a_dark_zone_that_one_group_replaces() -> None:
    """Two zones cannot carry the load alone and no policy scales out (a CPU target of 100%).
    One group over every zone relaunches the 16 lost instances in the surviving zones; one
    group per zone cannot, as the dark zone's group may launch nowhere else: the outage costs
    customers about twice the visible errors, and no replacement is ever launched."""
    tight = [
        "topology.instances_per_az=16",
        "traffic.rps=180000",
        "topology.autoscaling.target_utilization=1",
    ]
    one = _outage([*tight, "topology.autoscaling.groups=one"])
    per_zone = _outage([*tight, "topology.autoscaling.groups=per_zone"])
    assert one.result is not None and per_zone.result is not None
    assert any(
        "launches 16 instance(s) in ap-south-1b, ap-south-1c: replacing 16" in line
        for line in _asg_lines(one)
    )
    lines = _asg_lines(per_zone)
    assert "Auto Scaling group shop-web-ap-south-1a has no other zone: launches suspended" in lines
    assert not [line for line in lines if line.startswith("Auto Scaling launches")]
    lost_one = window(one.result, AT, AT + LENGTH).visible_errors
    lost_per_zone = window(per_zone.result, AT, AT + LENGTH).visible_errors
    assert lost_per_zone > 1.8 * lost_one > 0, (lost_one, lost_per_zone)
    # after the replacements serve, the one group's zones are no longer overloaded
    late = AT + LENGTH - 60
    assert window(one.result, late, AT + LENGTH).visible_errors == 0
    assert window(per_zone.result, late, AT + LENGTH).visible_errors > 0


def test_per_zone_groups_still_scale_out_in_the_zones_that_may_launch() -> None:
    """With a CPU target, the surviving zones' groups add instances there, never in the dark
    zone."""
    out = _outage(
        [
            "topology.instances_per_az=16",
            "traffic.rps=180000",
            "topology.autoscaling.groups=per_zone",
        ]
    )
    launches = [line for line in _asg_lines(out) if line.startswith("Auto Scaling launches")]
    assert launches and all("above the 60% target" in line for line in launches)
    assert all(line.split(":")[0].endswith("in ap-south-1b, ap-south-1c") for line in launches)


def test_a_zone_with_one_instance_more_carries_the_load_three_even_zones_cannot() -> None:
    """4/3/3 against 3/3/3 at 32,000 req/s of 5,000 each, zone b (3) lost, no Auto Scaling:
    seven survivors run at 91% and only the detection's seconds fail; six run past 100% and
    customers see errors for the whole outage. 3/3/3 as counts models as instances_per_az=3."""
    sets = ["traffic.rps=32000", "topology.autoscaling.enabled=false"]
    uneven = _outage([*sets, "topology.instances_by_zone=[4,3,3]"], az="ap-south-1b")
    even = _outage([*sets, "topology.instances_by_zone=[3,3,3]"], az="ap-south-1b")
    plain = _outage([*sets, "topology.instances_per_az=3"], az="ap-south-1b")
    assert uneven.result is not None and even.result is not None and plain.result is not None
    lost_uneven = window(uneven.result, AT, AT + LENGTH).visible_errors
    lost_even = window(even.result, AT, AT + LENGTH).visible_errors
    assert lost_even > 20 * lost_uneven, (lost_uneven, lost_even)
    assert lost_even == window(plain.result, AT, AT + LENGTH).visible_errors
    late = AT + LENGTH - 60
    assert window(uneven.result, late, AT + LENGTH).visible_errors == 0
    assert window(even.result, late, AT + LENGTH).visible_errors > 0


def test_count_selection_is_checked_against_the_named_zone() -> None:
    """COUNT(4) fits the zone holding 4 and is refused in a zone holding 3."""
    base = ["topology.instances_by_zone=[4,3,3]"]

    def crash(az: str, selection: str) -> list[str]:
        return [f"az={az}", f"selection={selection}"]

    ok = load("instance-crash", base, crash("ap-south-1a", "COUNT(4)"))
    assert ok.experiment.topology.zone_counts == (4, 3, 3)
    with pytest.raises(SpecError, match="more targets than the 3 instances in the step's zone"):
        load("instance-crash", base, crash("ap-south-1b", "COUNT(4)"))
    with pytest.raises(SpecError, match="more targets than the 10 instances of the stack"):
        load("instance-crash", base, crash("", "COUNT(11)"))
