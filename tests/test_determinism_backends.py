"""One journal per seed, whatever the backend: what the simulation draws depends on stable
properties of the stack (zone, launch order), never on resource ids or listing order."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from chaoscli.aws.discover import discover
from chaoscli.aws.session import open_session
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import Outcome, run
from chaoscli.sim.engine import Engine
from chaoscli.sim.metrics import window
from chaoscli.sim.scenario import EngineParams, ModelParams, Scenario, Snapshot, TrafficProfile
from chaoscli.topology import Topology
from tests.endpoint_helpers import REGION, SMALL, cli, ec2, experiment_doc
from tests.topologies import AZS, shop, with_instances

SMALL_SETS = [arg for arg in SMALL if arg not in ("--set", "--var")]


def _figures(out: Outcome) -> dict[str, tuple[float, ...]]:
    """Every judged window's figures, to the last bit."""
    return {
        name: (w.availability, w.visible_errors, w.p99_latency_ms, w.retry_amplification)
        for name, w in out.windows.items()
    }


def _run(url: str | None) -> Outcome:
    sets = [a for a in SMALL_SETS if "=" in a and not a.startswith(("at_s", "duration_s"))]
    loaded = load("router-failure", sets, ["at_s=10", "duration_s=20"])
    return run(loaded, seed=0, endpoint_url=url)


def test_the_same_seed_gives_the_same_figures_in_process_and_on_a_moto_server(url: str) -> None:
    """moto in-process is seeded and a server is not: its ids differ, the figures do not."""
    local, served = _run(None), _run(url)
    assert local.topology_before is not None and served.topology_before is not None
    ids = lambda out: [i.id for i in out.topology_before.instances]  # noqa: E731
    assert ids(local) != ids(served)
    assert _figures(local) == _figures(served)


def _localstack_ids(topo: Topology, renamed: dict[str, str]) -> Topology:
    """The same stack with LocalStack-shaped instance ids (i- and 8 hex digits, in an order
    unrelated to the original ids)."""
    instances = tuple(replace(i, id=renamed[i.id]) for i in topo.instances)
    return replace(topo, instances=instances)


def test_ids_in_another_shape_and_order_give_the_same_run() -> None:
    """Rename every instance so that its id sorts in the reverse order: the same run."""
    base = shop(per_az=4)
    snaps = [Snapshot(0, base), Snapshot(30, with_instances(base, AZS[0], 3, fault="crash"))]
    ids = [i.id for i in base.instances]
    renamed = {
        old: "i-" + hashlib.sha256(f"{len(ids) - n:04d}".encode()).hexdigest()[:8]
        for n, old in enumerate(ids)
    }
    assert sorted(renamed.values()) != [renamed[i] for i in sorted(ids)]

    def scenario(snapshots: list[Snapshot]) -> Scenario:
        return Scenario(
            snapshots=tuple(snapshots),
            traffic=TrafficProfile.constant(6_000.0, 120.0),
            model=ModelParams(instance_capacity_rps=1000.0),
            engine=EngineParams(samples_per_s=300, seed=4),
        )

    one = Engine(scenario(snaps)).run()
    other = Engine(
        scenario([Snapshot(s.t, _localstack_ids(s.topology, renamed)) for s in snaps])
    ).run()
    assert np.array_equal(one.customers.ok, other.customers.ok)
    assert np.array_equal(one.served, other.served)
    assert window(one, 0, 120) == window(other, 0, 120)
    assert window(one, 30, 60).visible_errors > 0  # the crash did something


def _reversed_listing(parsed: dict[str, Any], **_: Any) -> None:
    """Turn every describe_instances page around, reservations and their instances."""
    for reservation in parsed.get("Reservations", []):
        reservation["Instances"].reverse()
    parsed.get("Reservations", []).reverse()


def test_discovery_lists_instances_by_zone_and_launch_order_whatever_the_listing(
    url: str, tmp_path: Path
) -> None:
    """An endpoint that lists instances in another order gives the same discovered order:
    by zone, then by each instance's index in its launch request."""
    exp = tmp_path / "small.yaml"
    exp.write_text(yaml.safe_dump(experiment_doc([], duration_s=60)), encoding="utf-8")
    assert cli("up", str(exp), "--endpoint-url", url).code == 0
    with open_session(REGION, url) as session:
        plain = discover(session, "shop")
    with open_session(REGION, url) as session:
        session.client("ec2").meta.events.register(
            "after-call.ec2.DescribeInstances", _reversed_listing
        )
        turned = discover(session, "shop")
    assert [i.id for i in turned.instances] == [i.id for i in plain.instances]
    listed = ec2(url).describe_instances()  # type: ignore[attr-defined]
    launch = {
        i["InstanceId"]: (i["Placement"]["AvailabilityZone"], i["AmiLaunchIndex"])
        for r in listed["Reservations"]
        for i in r["Instances"]
    }
    order = [launch[i.id] for i in turned.instances]
    assert order == sorted(order) and len(order) == 6
