"""With a live view, the control plane is broken and restored in step with what it shows."""

from __future__ import annotations

from chaoscli.aws.discover import discover
from chaoscli.aws.session import open_session
from chaoscli.experiment.loader import load
from chaoscli.experiment.runner import run
from chaoscli.sim.results import SecondStats

FAST = ["engine.samples_per_s=200", "traffic.duration_s=300", "topology.instances_per_az=2"]


def test_the_zone_is_dark_on_the_control_plane_while_the_view_shows_the_outage() -> None:
    """At each watched second, discovery agrees with the view: cut off during, back after."""
    seen: dict[int, tuple[bool, int]] = {}
    with open_session("ap-south-1") as session:

        def watch(stats: SecondStats) -> None:
            if stats.t in (30, 150, 280):
                topo = discover(session, "shop")
                zone = topo.instances_in("ap-south-1a")
                running = sum(i.state == "running" and not i.fault for i in zone)
                seen[stats.t] = (topo.zone_reachable("ap-south-1a"), running)

        out = run(
            load("az-outage", [*FAST, "method.0.duration_s=120"]), aws=session, on_second=watch
        )
        after = discover(session, "shop")
    assert seen[30] == (True, 2)  # before the fault at 120 s
    assert seen[150] == (False, 0)  # during it
    assert seen[280] == (True, 2)  # after it ended at 240 s
    assert out.status == ("failed" if out.deviated else "completed")
    assert out.topology_before == after
