"""Load-balancer nodes and DNS: which nodes answer, and which ones DNS hands out.

Each zone has a node in the zone's public subnet. A node in a cut-off zone times out
connections; DNS stops handing it out ``removal_s`` after it became unreachable, and hands
it out again ``removal_s`` after it came back (ELB's own checks must see it healthy). With
cross-zone routing off, a node whose zone has no healthy target leaves DNS the same way
(ELB's DNS failover, a target group's ``minimum_healthy_targets`` of 1).
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
    snaps: Sequence[Snapshot],
    azs: tuple[str, ...],
    removal_s: float,
    end: float,
    targets_ok: Sequence[Sequence[tuple[float, bool]]] | None = None,
) -> list[tuple[float, NodeState]]:
    """Change points of (node reachable, node handed out by DNS), one flag per zone.

    DNS hands a node out while it is reachable and, when ``targets_ok`` gives a zone's change
    points of "has a healthy target" (ELB's DNS failover with cross-zone routing off), while
    its zone has one; it follows a change ``removal_s`` later, unless it changed back first.
    """
    per_zone: list[list[tuple[float, bool, bool]]] = []
    for z, az in enumerate(azs):
        reach = [(s.t, node_reachable(s.topology, az)) for s in snaps]
        healthy = list(targets_ok[z]) if targets_ok is not None else [(0.0, True)]
        times = sorted({t for t, _ in reach} | {t for t, _ in healthy})
        up = reach[0][1]
        ok = healthy[0][1]
        in_dns = up and ok
        pts = [(0.0, up, in_dns)]
        pending: tuple[float, bool] | None = None
        for t in times[1:]:
            if pending and pending[0] <= t:
                in_dns = pending[1]
                pts.append((pending[0], up, in_dns))
                pending = None
            new_up = _at(reach, t, up)
            ok = _at(healthy, t, ok)
            if new_up != up:
                up = new_up
                pts.append((t, up, in_dns))
            want = up and ok
            if want != in_dns and (pending is None or pending[1] != want):
                pending = (t + removal_s, want)
            elif want == in_dns:
                pending = None
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


def _at(changes: Sequence[tuple[float, bool]], t: float, default: bool) -> bool:
    """The value of a step function given by (time, value) change points at ``t``."""
    value = default
    for ts, v in changes:
        if ts > t:
            break
        value = v
    return value


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
