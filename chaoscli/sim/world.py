"""The world as the data plane sees it, tick by tick, derived from control-plane snapshots.

For every tick: which load-balancer nodes answer, which zones DNS hands out, where each
node sends a request (to an up target in some zone, or to a refused, blackholed or hung one,
or nowhere), how much capacity is serving, and whether the database takes writes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from chaoscli.sim.database import database_timeline
from chaoscli.sim.healthcheck import (
    BLACKHOLE,
    GONE,
    HUNG,
    REFUSED,
    UP,
    phases,
    rotation_timeline,
)
from chaoscli.sim.scenario import Scenario
from chaoscli.topology import Topology

# Outcome columns after the per-zone UP columns
K_REFUSED, K_BLACKHOLE, K_HUNG, K_NO_TARGET = 0, 1, 2, 3
N_BAD = 4


@dataclass(frozen=True)
class Event:
    """Something that happened at virtual time ``t``, for the timeline."""

    t: float
    kind: str
    message: str


@dataclass
class World:
    """Per-tick arrays the engine samples from."""

    azs: tuple[str, ...]
    tick_s: float
    ticks: int
    route: np.ndarray  # (ticks, nodes, zones + N_BAD): where a node sends a request
    serving: np.ndarray  # (ticks, zones): up targets taking traffic
    node_up: np.ndarray  # (ticks, zones)
    dns_mask: np.ndarray  # (ticks,) bitmask of zones handed out by DNS
    db_writable: np.ndarray  # (ticks,)
    db_readable: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=bool))
    loss_windows: list[tuple[float, float]] = field(default_factory=list)
    order_queue: bool = False
    events: list[Event] = field(default_factory=list)
    reroute_s: float | None = None
    db_write_unavailable_s: float = 0.0
    primary_az: dict[str, str] = field(default_factory=dict)


def _instance_state(topo: Topology, iid: str) -> tuple[int, bool, bool]:
    """(true state, removed via control plane, registered) of an instance in a snapshot."""
    inst = next((i for i in topo.instances if i.id == iid), None)
    if inst is None or inst.state in ("terminated", "shutting-down"):
        return GONE, True, False
    registered = inst.target_state not in ("unregistered", "draining")
    if inst.state in ("stopped", "stopping"):
        return REFUSED, True, registered
    subnet = topo.subnet(inst.subnet_id)
    if subnet is not None and not subnet.reachable:
        return BLACKHOLE, False, registered
    if inst.state == "pending" or inst.fault == "crash":
        return REFUSED, False, registered
    if inst.fault == "hang":
        return HUNG, False, registered
    return UP, False, registered


def _node_reachable(topo: Topology, az: str) -> bool:
    public = [s for s in topo.subnets if s.az == az and s.public]
    return all(s.reachable for s in public) if public else topo.zone_reachable(az)


def build_world(sc: Scenario) -> World:
    """Derive the per-tick world from the scenario's snapshots and actions."""
    snaps = sorted(sc.snapshots, key=lambda s: s.t)
    base = snaps[0].topology
    azs = base.azs
    zi = {az: i for i, az in enumerate(azs)}
    dt = sc.engine.tick_s
    end = sc.traffic.duration_s
    ticks = int(np.ceil(end / dt))
    rng = np.random.default_rng([sc.engine.seed, 1])
    m = sc.model
    lb = base.load_balancer
    hc = lb.health_check if lb else None
    events: list[Event] = []

    # --- per-target true-state timelines -------------------------------------------------
    ids = sorted({i.id for s in snaps for i in s.topology.instances})
    az_of = {i.id: i.az for s in snaps for i in s.topology.instances}
    timelines: dict[str, list[tuple[float, int, bool]]] = {}
    registered: dict[str, list[tuple[float, bool]]] = {}
    for iid in ids:
        tl: list[tuple[float, int, bool]] = []
        reg: list[tuple[float, bool]] = []
        prev_running = True
        for snap in snaps:
            state, removed, reg_flag = _instance_state(snap.topology, iid)
            if state in (UP, BLACKHOLE) and not prev_running and snap.t > 0:
                tl.append((snap.t, REFUSED, False))  # booting: the OS is up, the app is not
                tl.append((snap.t + m.boot_s, state, False))
            else:
                tl.append((snap.t, state, removed))
            reg.append((snap.t, reg_flag))
            prev_running = state in (UP, BLACKHOLE)
        timelines[iid] = sorted(tl, key=lambda x: x[0])
        registered[iid] = reg

    # --- what the load balancer believes ----------------------------------------------
    ph = phases(len(ids), hc.interval_s if hc else 30.0, rng)
    rotation = {
        iid: rotation_timeline(timelines[iid], hc, float(ph[n]), end, m.control_plane_delay_s)
        if hc
        else [(0.0, False)]
        for n, iid in enumerate(ids)
    }

    # --- change points -> per-segment routing ------------------------------------------
    cuts = {0.0, end}
    for iid in ids:
        cuts.update(t for t, _, _ in timelines[iid] if t < end)
        cuts.update(t for t, _ in rotation[iid] if t < end)
        cuts.update(t for t, _ in registered[iid] if t < end)
    node_changes = _node_timeline(snaps, azs, m.dns_removal_s, end)
    for t, _ in node_changes:
        cuts.add(min(t, end))
    times = sorted(cuts)

    nz = len(azs)
    route = np.zeros((ticks, nz, nz + N_BAD), dtype=np.float64)
    serving = np.zeros((ticks, nz))
    node_up = np.ones((ticks, nz), dtype=bool)
    dns_mask = np.zeros(ticks, dtype=np.int64)
    cross = lb.cross_zone if lb else True
    zone_idx = np.array([zi.get(az_of[i], 0) for i in ids], dtype=int)
    reroute_done: float | None = None
    prev_in_rot: dict[int, int] = {}
    for a, b in itertools.pairwise(times):
        t0, t1 = round(a / dt), round(b / dt)
        if t1 <= t0:
            continue
        mid = (a + b) / 2
        st = np.array([_at(timelines[i], mid)[0] for i in ids], dtype=int)
        rot = np.array([_at_bool(rotation[i], mid) for i in ids], dtype=bool)
        is_reg = np.array([_at_bool(registered[i], mid) for i in ids], dtype=bool)
        up_nodes, in_dns = _at_nodes(node_changes, mid, nz)
        node_up[t0:t1] = up_nodes
        dns_mask[t0:t1] = sum(1 << z for z in range(nz) if in_dns[z])
        for z in range(nz):
            scope = is_reg & ((zone_idx == z) | cross)
            pick = scope & rot
            if not pick.any():
                pick = scope  # fail open: every target unhealthy -> route to all
            n = pick.sum()
            row = np.zeros(nz + N_BAD)
            if n == 0:
                row[nz + K_NO_TARGET] = 1.0
            else:
                for zz in range(nz):
                    row[zz] = np.sum(pick & (st == UP) & (zone_idx == zz)) / n
                row[nz + K_REFUSED] = np.sum(pick & ((st == REFUSED) | (st == GONE))) / n
                row[nz + K_BLACKHOLE] = np.sum(pick & (st == BLACKHOLE)) / n
                row[nz + K_HUNG] = np.sum(pick & (st == HUNG)) / n
            route[t0:t1, z] = row
        taking = is_reg & rot & (st == UP)
        if not (is_reg & rot).any():
            taking = is_reg & (st == UP)
        for zz in range(nz):
            serving[t0:t1, zz] = np.sum(taking & (zone_idx == zz))
        dead_routed = bool((route[t0, :, nz : nz + K_HUNG + 1] > 0).any())
        if reroute_done is None and not dead_routed and any((st[j] != UP) for j in range(len(ids))):
            reroute_done = a
        for zz in range(nz):
            cnt = int(np.sum(rot & is_reg & (zone_idx == zz)))
            if zz in prev_in_rot and cnt != prev_in_rot[zz]:
                events.append(
                    Event(a, "lb", f"{azs[zz]}: {prev_in_rot[zz]} -> {cnt} targets in rotation")
                )
            prev_in_rot[zz] = cnt
    for t, msg in _node_events(node_changes, azs):
        events.append(Event(t, "dns", msg))

    world = World(
        azs=azs,
        tick_s=dt,
        ticks=ticks,
        route=route,
        serving=serving,
        node_up=node_up,
        dns_mask=dns_mask,
        db_writable=np.ones(ticks, dtype=bool),
        events=_merge_lb_events(events, hc.interval_s if hc else 30.0),
    )
    db = database_timeline(sc, snaps, ticks, rng)
    world.db_writable, world.db_readable = db.writable, db.readable
    world.db_write_unavailable_s = db.write_unavailable_s
    world.primary_az = db.primary_az
    world.loss_windows = db.loss_windows
    world.order_queue = base.order_queue is not None
    world.events += [Event(t, "db", msg) for t, msg in db.events]
    first_fault = _first_fault_time(snaps)
    if first_fault is not None and reroute_done is not None and reroute_done >= first_fault:
        world.reroute_s = reroute_done - first_fault
    world.events.sort(key=lambda e: e.t)
    return world


def _at(timeline: list[tuple[float, int, bool]], t: float) -> tuple[int, bool]:
    out = timeline[0][1], timeline[0][2]
    for ts, s, r in timeline:
        if ts > t:
            break
        out = (s, r)
    return out


def _at_bool(timeline: list[tuple[float, bool]], t: float) -> bool:
    out = timeline[0][1]
    for ts, v in timeline:
        if ts > t:
            break
        out = v
    return out


def _node_timeline(
    snaps: list, azs: tuple[str, ...], removal_s: float, end: float
) -> list[tuple[float, tuple[tuple[bool, ...], tuple[bool, ...]]]]:
    """Change points of (node reachable, node handed out by DNS), one flag per zone.

    DNS stops handing out a node ``removal_s`` after it became unreachable, and hands it
    out again ``removal_s`` after it came back (ELB's own checks must see it healthy).
    """
    per_zone: list[list[tuple[float, bool, bool]]] = []
    for az in azs:
        up = in_dns = _node_reachable(snaps[0].topology, az)
        pts = [(0.0, up, in_dns)]
        pending: tuple[float, bool] | None = None
        for s in snaps[1:]:
            if pending and pending[0] <= s.t:
                in_dns = pending[1]
                pts.append((pending[0], up, in_dns))
                pending = None
            new_up = _node_reachable(s.topology, az)
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


def _at_nodes(changes: list, t: float, nz: int) -> tuple[np.ndarray, list[bool]]:
    up, dns = changes[0][1]
    for ts, v in changes:
        if ts > t:
            break
        up, dns = v
    return np.array(up, dtype=bool), list(dns)


def _node_events(changes: list, azs: tuple[str, ...]) -> list[tuple[float, str]]:
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


def _merge_lb_events(events: list[Event], window_s: float) -> list[Event]:
    """Fold per-target rotation changes of one zone within a health-check interval into one."""
    out: list[Event] = []
    open_: dict[str, tuple[Event, str]] = {}
    for e in sorted(events, key=lambda e: e.t):
        if e.kind != "lb":
            out.append(e)
            continue
        az, rest = e.message.split(": ", 1)
        first, last = rest.split(" -> ")[0], rest.split(" -> ")[1]
        prev = open_.get(az)
        if prev and e.t - prev[0].t <= window_s * 1.5:
            start = prev[0].message.split(": ", 1)[1].split(" -> ")[0]
            merged = Event(prev[0].t, "lb", f"{az}: {start} -> {last}")
            open_[az] = (merged, first)
            out[out.index(prev[0])] = merged
        else:
            open_[az] = (e, first)
            out.append(e)
    return out


def _first_fault_time(snaps: list) -> float | None:
    base = snaps[0].topology
    for s in snaps[1:]:
        if s.topology != base:
            return float(s.t)
    return None
