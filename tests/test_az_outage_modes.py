"""az-outage's two modes: a real power loss (nothing answers) and FIS's API stop."""

from __future__ import annotations

import pytest

from chaoscli.errors import SpecError
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.sim.metrics import window

SHORT = ["engine.samples_per_s=500", "traffic.duration_s=330", "traffic.checkout_share=0"]
AT, LENGTH = 30, 180
AWS_DEFAULT_CHECKS = [
    "topology.health_check.interval_s=30",
    "topology.health_check.timeout_s=5",
    "topology.health_check.healthy_threshold=5",
    "topology.health_check.unhealthy_threshold=2",
]


def _outage(mode: str, sets: list[str]):
    """az-outage in ``mode`` from 30 s for 180 s, at reduced sampling."""
    loaded = load(
        "az-outage", [*SHORT, *sets], [f"at_s={AT}", f"duration_s={LENGTH}", f"mode={mode}"]
    )
    return loaded, run(loaded, seed=0)


def test_power_loss_with_default_checks_and_one_attempt_fails_what_reaches_dead_targets() -> None:
    """Cross-zone on, AWS's default checks, one attempt: every request a node sends to the
    dark zone's targets before the checks take them out fails (504), and nothing else does:
    visible errors are rate x the zone's share of targets x the detection time, within 25%.

    A target leaves rotation at its ``unhealthy_threshold``-th failed check, which ends at the
    check's timeout; the first check after the power goes falls anywhere in the interval.
    """
    sets = [
        *AWS_DEFAULT_CHECKS,
        "topology.load_balancer.cross_zone=true",
        "clients.max_attempts=1",
        "topology.autoscaling.enabled=false",
    ]
    loaded, out = _outage("power-loss", sets)
    exp = loaded.experiment
    hc, topo = exp.topology.health_check, exp.topology
    detection_s = hc.interval_s / 2 + (hc.unhealthy_threshold - 1) * hc.interval_s + hc.timeout_s
    share = 1 / topo.azs  # the zone holds that share of the targets
    expected = exp.traffic.rps * share * detection_s
    assert out.deviated
    assert out.result is not None
    errors = window(out.result, AT, AT + LENGTH).visible_errors
    assert errors == pytest.approx(expected, rel=0.25), (errors, expected)


def test_power_loss_targets_leave_only_through_health_checks_and_boot_when_power_returns() -> None:
    """No target leaves before its checks fail; after the power returns the zone's targets
    come back only after booting and passing ``healthy_threshold`` checks."""
    loaded, out = _outage("power-loss", ["topology.load_balancer.cross_zone=true"])
    hc = loaded.experiment.topology.health_check
    boot = loaded.experiment.topology.boot_s
    assert out.result is not None
    lb = [e for e in out.result.world.events if e.kind == "lb"]
    gone, back = lb[0], lb[-1]
    assert "-> 0 targets" in gone.message
    assert AT + hc.timeout_s <= gone.t <= AT + hc.interval_s * hc.unhealthy_threshold + hc.timeout_s
    assert back.t >= AT + LENGTH + boot + (hc.healthy_threshold - 1) * hc.interval_s


@pytest.mark.parametrize(("notice_s", "deviated"), [(1, False), (15, True)])
def test_api_stop_verdict_rests_on_the_notice_with_cross_zone_on(
    notice_s: int, deviated: bool
) -> None:
    """Stopped instances refuse until ELB notices: at 1 s the outage holds, at 15 s it deviates
    (with cross-zone routing on, every node sends to the stopped zone until then)."""
    sets = [
        "topology.load_balancer.cross_zone=true",
        f"topology.load_balancer.api_stop_notice_s={notice_s}",
    ]
    _, out = _outage("api-stop", sets)
    assert out.deviated is deviated


def test_api_stop_answer_timeout_turns_refusals_into_504s() -> None:
    """When a stopped instance lets connections time out, the notice delay costs 10 s waits."""
    base = ["topology.load_balancer.cross_zone=true", "topology.load_balancer.api_stop_notice_s=5"]
    _, refused = _outage("api-stop", base)
    _, silent = _outage("api-stop", [*base, "topology.load_balancer.api_stop_answer=timeout"])
    assert refused.result is not None and silent.result is not None
    connect_ms = 1000 * refused.loaded.experiment.topology.load_balancer.connect_timeout_s
    assert window(silent.result, AT, AT + 30).p99_latency_ms >= connect_ms
    assert window(refused.result, AT, AT + 30).p99_latency_ms < connect_ms


def test_an_unknown_mode_is_one_clear_error() -> None:
    """``mode`` is power-loss or api-stop; anything else names the field."""
    with pytest.raises(SpecError, match="mode"):
        load("az-outage", vars_=["mode=unplugged"])


def test_the_api_stop_sample_is_the_same_shop_as_az_outage() -> None:
    """az-outage-api-stop differs from az-outage only in its words, verdict and mode."""
    power = load("az-outage").experiment
    stop = load("az-outage-api-stop").experiment
    assert power.method[0].mode == "power-loss" and stop.method[0].mode == "api-stop"
    same = {"title", "description", "expect", "method", "parameters"}
    dump_power = power.model_dump(exclude=same)
    assert dump_power == stop.model_dump(exclude=same)
    assert power.method[0].model_dump(exclude={"mode"}) == stop.method[0].model_dump(
        exclude={"mode"}
    )
