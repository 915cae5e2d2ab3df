"""Load-balancer nodes and DNS: which nodes answer, and which ones DNS hands out.

Each zone has a node in the zone's public subnet. A node in a cut-off zone times out
connections; DNS stops handing it out ``removal_s`` after it became unreachable, and hands
it out again ``removal_s`` after it came back (ELB's own checks must see it healthy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chaoscli.sim.scenario import Snapshot
from chaoscli.topology import Topology

NodeState = tuple[tuple[bool, ...], tuple[bool, ...]]


def node_reachable(topo: Topology, az: str) -> bool:
    """A zone's node answers unless the zone's public subnets are cut off."""
    public = [s for s in topo.subnets if s.az == az and s.public]
    return all(s.reachable for s in public) if public else topo.zone_reachable(az)


def node_timeline(
    snaps: Sequence[Snapshot], azs: tuple[str, ...], removal_s: float, end: float
) -> list[tuple[float, NodeState]]:
    """Change points of (node reachable, node handed out by DNS), one flag per zone."""
    per_zone: list[list[tuple[float, bool, bool]]] = []
    for az in azs:
        up = in_dns = node_reachable(snaps[0].topology, az)
        pts = [(0.0, up, in_dns)]
        pending: tuple[float, bool] | None = None
        for s in snaps[1:]:
            if pending and pending[0] <= s.t:
                in_dns = pending[1]
                pts.append((pending[0], up, in_dns))
                pending = None
            new_up = node_reachable(s.topology, az)
            if new_up != up:
                up = new_up
                pts.append((s.t, up, in_dns))
                pending = (s.t + removal_s, up) if in_dns != up else None
        if pending:
            pts.append((pending[0], up, pending[1]))
        per_zone.append(pts)
    times = sorted({t for zone in per_zone for t, _, _ in zone if t <= end})
    out = []
    for t in times:
        ups, dnss = [], []
        for zone in per_zone:
            cur = zone[0]
            for p in zone:
                if p[0] > t:
                    break
                cur = p
            ups.append(cur[1])
            dnss.append(cur[2])
        out.append((t, (tuple(ups), tuple(dnss))))
    return out


def nodes_at(changes: list[tuple[float, NodeState]], t: float) -> tuple[np.ndarray, list[bool]]:
    """(reachable per zone, in DNS per zone) at time ``t``."""
    up, dns = changes[0][1]
    for ts, v in changes:
        if ts > t:
            break
        up, dns = v
    return np.array(up, dtype=bool), list(dns)


def node_events(
    changes: list[tuple[float, NodeState]], azs: tuple[str, ...]
) -> list[tuple[float, str]]:
    """Human-readable changes of node reachability and DNS membership."""
    out = []
    prev = changes[0][1]
    for t, (up, dns) in changes[1:]:
        for z, az in enumerate(azs):
            if up[z] != prev[0][z]:
                word = "reachable again" if up[z] else "unreachable (connections time out)"
                out.append((t, f"load-balancer node in {az} {word}"))
            if dns[z] != prev[1][z]:
                word = "back in" if dns[z] else "removed from"
                out.append((t, f"load-balancer node in {az} {word} DNS"))
        prev = (up, dns)
    return out
