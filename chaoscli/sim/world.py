"""The world as the data plane sees it, tick by tick, derived from control-plane snapshots.

For every tick: which load-balancer nodes answer, which zones DNS hands out, where each
node sends a request (to an up target in some zone, or to a refused, blackholed or hung one,
or nowhere), how much capacity is serving, and whether the database takes writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from chaoscli.sim.database import database_timeline
from chaoscli.sim.dns import node_events, node_timeline, nodes_at
from chaoscli.sim.healthcheck import (
    BLACKHOLE,
    GONE,
    HUNG,
    REFUSED,
    UP,
    phases,
    rotation_timeline,
)
from chaoscli.sim.per_tick import PerTick
from chaoscli.sim.route_columns import RouteColumns
from chaoscli.sim.scenario import ModelParams, Scenario, Snapshot
from chaoscli.sim.streams import Streams
from chaoscli.topology import Topology

SLOW = 5  # a true target state beside healthcheck's: answers, late, with some errors


@dataclass(frozen=True)
class Event:
    """Something that happened at virtual time ``t``, for the timeline."""

    t: float
    kind: str
    message: str


@dataclass(frozen=True)
class Targets:
    """Per-target change points, for the exact per-request reference model."""

    ids: tuple[str, ...]
    zone: np.ndarray  # (targets,) zone index
    states: dict[str, list[tuple[float, int, bool]]]
    rotation: dict[str, list[tuple[float, bool]]]
    registered: dict[str, list[tuple[float, float]]]
    slowness: dict[str, list[tuple[float, tuple[float, float]]]]


@dataclass
class World:
    """Per-tick timelines the engine samples from (the changing ones stored per segment)."""

    azs: tuple[str, ...]
    tick_s: float
    ticks: int
    route: PerTick  # (ticks, nodes, columns.width): where a node sends a request
    serving: PerTick  # (ticks, zones): up targets taking traffic
    healthy: PerTick  # (ticks, zones): registered targets the load balancer deems healthy
    unhealthy: PerTick  # (ticks, zones): registered targets it deems unhealthy
    pool: PerTick  # (ticks, nodes): weight of the targets each node spreads over
    node_up: np.ndarray  # (ticks, zones)
    zone_up: np.ndarray  # (ticks, zones): the zone's private subnets (the web tier) reachable
    dns_mask: np.ndarray  # (ticks,) bitmask of zones handed out by DNS
    db_writable: np.ndarray  # (ticks,)
    slow_extra_s: PerTick = field(default_factory=lambda: PerTick.empty(0))  # (ticks, zones)
    slow_error_share: PerTick = field(default_factory=lambda: PerTick.empty(0))
    db_readable: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=bool))
    loss_windows: list[tuple[float, float]] = field(default_factory=list)
    order_queue: bool = False
    targets: Targets | None = None
    events: list[Event] = field(default_factory=list)
    reroute_s: float | None = None
    db_write_unavailable_s: float = 0.0
    primary_az: dict[str, str] = field(default_factory=dict)
    unhealthy_marks: list[tuple[float, str, int]] = field(default_factory=list)

    @property
    def columns(self) -> RouteColumns:
        """The names of ``route``'s columns."""
        return RouteColumns(len(self.azs))


def parse_slow(fault: str) -> tuple[float, float] | None:
    """``slow:<added_ms>:<error_share>`` -> (added seconds, error share); None otherwise."""
    parts = fault.split(":")
    if len(parts) != 3 or parts[0] != "slow":
        return None
    try:
        return max(0.0, float(parts[1]) / 1000), min(1.0, max(0.0, float(parts[2])))
    except ValueError:
        return None


class TargetSnapshot(NamedTuple):
    """One target in one control-plane snapshot, as the data plane meets it."""

    state: int  # the true state: what a connection to it meets
    removed: bool  # taken out of rotation through the control plane (an API stop)
    registered: bool
    slowness: tuple[float, float]  # (added seconds, error share) of a gray failure
    serving: bool  # its application runs and would answer (a restart after it boots)


POWER_OFF = "power-off"  # the fault tag of an instance whose zone lost power


def _instance_state(
    topo: Topology, iid: str, hc_timeout_s: float, model: ModelParams
) -> TargetSnapshot:
    """What a connection to one instance meets in one snapshot, and what ELB knows of it.

    A stopped instance is taken out through the control plane and meanwhile refuses or, when
    ``api_stop_answer`` says so, lets connections time out. An instance whose power is off
    answers nothing (no RST): a blackhole that only health checks find. A cut-off subnet
    blackholes the instances in it; a crashed process refuses, a hung one never answers.
    """
    inst = next((i for i in topo.instances if i.id == iid), None)
    none = (0.0, 0.0)
    if inst is None or inst.state in ("terminated", "shutting-down"):
        return TargetSnapshot(GONE, True, False, none, False)
    registered = inst.target_state not in ("unregistered", "draining")
    if inst.state in ("stopped", "stopping"):
        answer = REFUSED if model.api_stop_answer == "refuse" else BLACKHOLE
        return TargetSnapshot(answer, True, registered, none, False)
    if inst.fault == POWER_OFF:
        return TargetSnapshot(BLACKHOLE, False, registered, none, False)
    subnet = topo.subnet(inst.subnet_id)
    if subnet is not None and not subnet.reachable:
        return TargetSnapshot(BLACKHOLE, False, registered, none, True)
    if inst.state == "pending" or inst.fault == "crash":
        return TargetSnapshot(REFUSED, False, registered, none, False)
    if inst.fault == "hang":
        return TargetSnapshot(HUNG, False, registered, none, False)
    slow = parse_slow(inst.fault)
    if slow is not None:
        # slower than the health check's timeout, the checks catch it: it is hung to them
        state = HUNG if slow[0] >= hc_timeout_s else SLOW
        return TargetSnapshot(state, False, registered, slow, True)
    return TargetSnapshot(UP, False, registered, none, True)


def _lookup(changes: list[tuple[float, float]], mids: np.ndarray) -> np.ndarray:
    """Values of a step function given by (time, value) change points, at many times."""
    times = np.array([t for t, _ in changes])
    values = np.array([v for _, v in changes], dtype=float)
    return values[np.clip(np.searchsorted(times, mids, side="right") - 1, 0, None)]


def build_world(scenario: Scenario) -> World:
    """Derive the per-tick world from the scenario's snapshots and actions."""
    snaps = sorted(scenario.snapshots, key=lambda s: s.t)
    base = snaps[0].topology
    azs = base.azs
    zone_index = {az: i for i, az in enumerate(azs)}
    tick_s, end, model = scenario.engine.tick_s, scenario.traffic.duration_s, scenario.model
    ticks = int(np.ceil(end / tick_s))
    streams = Streams.from_seed(scenario.engine.seed)
    lb = base.load_balancer
    hc = lb.health_check if lb else None
    hc_timeout = hc.timeout_s if hc else 5.0

    # --- per-target true-state timelines ------------------------------------------------
    # in the order discovery lists them (by zone, then launch order), never by id: what is
    # drawn per target (its health checks' phase) must not depend on how an endpoint names it
    ids = list(dict.fromkeys(i.id for s in snaps for i in s.topology.instances))
    az_of = {i.id: i.az for s in snaps for i in s.topology.instances}
    timelines: dict[str, list[tuple[float, int, bool]]] = {}
    reg_tl: dict[str, list[tuple[float, float]]] = {}
    slow_tl: dict[str, list[tuple[float, tuple[float, float]]]] = {}
    for iid in ids:
        tl: list[tuple[float, int, bool]] = []
        reg: list[tuple[float, float]] = []
        slow: list[tuple[float, tuple[float, float]]] = []
        prev_running = True
        for snap in snaps:
            state, removed, is_reg, slowness, serving = _instance_state(
                snap.topology, iid, hc_timeout, model
            )
            if serving and not prev_running and snap.t > 0:
                tl.append((snap.t, REFUSED, False))  # booting: the OS is up, the app is not
                tl.append((snap.t + model.boot_s, state, False))
            else:
                tl.append((snap.t, state, removed))
            reg.append((snap.t, float(is_reg)))
            slow.append((snap.t, slowness))
            prev_running = serving
        timelines[iid] = sorted(tl, key=lambda x: x[0])
        reg_tl[iid] = reg
        slow_tl[iid] = slow

    # --- what the load balancer believes ----------------------------------------------
    check_phases = phases(len(ids), hc.interval_s if hc else 30.0, streams.health_checks)
    hc_states = {
        iid: [
            (t, UP if true_state == SLOW else true_state, r) for t, true_state, r in timelines[iid]
        ]
        for iid in ids
    }
    rotation = {
        iid: rotation_timeline(
            hc_states[iid], hc, float(check_phases[n]), end, model.control_plane_delay_s
        )
        if hc
        else [(0.0, False)]
        for n, iid in enumerate(ids)
    }

    # --- change points -> per-segment state matrices (targets x segments) --------------
    cross = lb.cross_zone if lb else True
    targets_ok = None
    if not cross:
        zone_of = {iid: zone_index.get(az_of[iid], 0) for iid in ids}
        targets_ok = _healthy_target_changes(ids, zone_of, rotation, reg_tl, len(azs))
    node_changes = node_timeline(snaps, azs, model.dns_removal_s, end, targets_ok)
    cuts = {0.0, end, *(min(t, end) for t, _ in node_changes)}
    for iid in ids:
        cuts.update(t for t, _, _ in timelines[iid] if t < end)
        cuts.update(t for t, _ in rotation[iid] if t < end)
        cuts.update(t for t, _ in reg_tl[iid] if t < end)
    times = np.array(sorted(cuts))
    mids = (times[:-1] + times[1:]) / 2
    nseg = len(mids)
    true_state = (
        np.array([_lookup([(t, v) for t, v, _ in timelines[i]], mids) for i in ids])
        .reshape(len(ids), nseg)
        .astype(int)
    )
    in_rotation = np.array([_lookup([(t, float(v)) for t, v in rotation[i]], mids) for i in ids])
    in_rotation = in_rotation.reshape(len(ids), nseg) > 0.5
    registered = np.array([_lookup(reg_tl[i], mids) for i in ids]).reshape(len(ids), nseg) > 0.5
    stopped = np.array([_lookup([(t, float(r)) for t, _, r in timelines[i]], mids) for i in ids])
    checked = registered & (stopped.reshape(len(ids), nseg) < 0.5) & (true_state != GONE)
    extra = np.array([_lookup([(t, v[0]) for t, v in slow_tl[i]], mids) for i in ids])
    errs = np.array([_lookup([(t, v[1]) for t, v in slow_tl[i]], mids) for i in ids])
    extra, errs = extra.reshape(len(ids), nseg), errs.reshape(len(ids), nseg)

    nz = len(azs)
    zone_idx = np.array([zone_index.get(az_of[i], 0) for i in ids], dtype=int)
    onehot = (zone_idx[None, :] == np.arange(nz)[:, None]).astype(float)  # zones x targets
    weight = (
        _lor_weights(true_state, extra, scenario) if lb and lb.algorithm != "round_robin" else None
    )
    cols = RouteColumns(nz)
    seg_route = np.zeros((nseg, nz, cols.width))
    seg_pool = np.zeros((nseg, nz))
    for z in range(nz):
        scope = registered & ((zone_idx == z) | cross)[:, None]
        pick = scope & in_rotation
        open_ = np.asarray(~pick.any(axis=0))
        pick = np.where(open_[None, :], scope, pick)  # fail open: every target unhealthy
        wts = pick * (weight if weight is not None else 1.0)
        total = wts.sum(axis=0)
        seg_pool[:, z] = total
        safe = np.where(total > 0, total, 1.0)
        seg_route[:, z, cols.up] = (onehot @ (wts * (true_state == UP))).T / safe[:, None]
        seg_route[:, z, cols.slow] = (onehot @ (wts * (true_state == SLOW))).T / safe[:, None]
        seg_route[:, z, cols.refused] = (
            wts * ((true_state == REFUSED) | (true_state == GONE))
        ).sum(0) / safe
        seg_route[:, z, cols.blackhole] = (wts * (true_state == BLACKHOLE)).sum(0) / safe
        seg_route[:, z, cols.hung] = (wts * (true_state == HUNG)).sum(0) / safe
        seg_route[:, z, cols.no_target] = np.where(total > 0, 0.0, 1.0)
    taking = registered & in_rotation & ((true_state == UP) | (true_state == SLOW))
    none_in = np.asarray(~(registered & in_rotation).any(axis=0))
    taking = np.where(
        none_in[None, :], registered & ((true_state == UP) | (true_state == SLOW)), taking
    )
    seg_serving = (onehot @ taking).T  # segments x zones
    # what ELB reports: a dead target counts healthy until its checks fail (stopped and
    # terminated ones are unused, in neither count)
    seg_healthy = (onehot @ (checked & in_rotation)).T
    seg_unhealthy = (onehot @ (checked & ~in_rotation)).T
    is_slow = (true_state == SLOW) & registered
    n_slow = np.maximum(onehot @ is_slow, 1)
    seg_extra = ((onehot @ (extra * is_slow)) / n_slow).T
    seg_err = ((onehot @ (errs * is_slow)) / n_slow).T

    # --- segments -> ticks -----------------------------------------------------------------
    bounds = np.clip(np.round(times / tick_s).astype(int), 0, ticks)
    seg_of_tick = np.clip(np.searchsorted(bounds, np.arange(ticks), side="right") - 1, 0, nseg - 1)
    route = PerTick(seg_route, seg_of_tick)
    node_up = np.ones((ticks, nz), dtype=bool)
    dns_mask = np.zeros(ticks, dtype=np.int64)
    for n, (t, _) in enumerate(node_changes):
        a = round(t / tick_s)
        b = round(node_changes[n + 1][0] / tick_s) if n + 1 < len(node_changes) else ticks
        up_nodes, in_dns = nodes_at(node_changes, t)
        node_up[a:b] = up_nodes
        dns_mask[a:b] = sum(1 << z for z in range(nz) if in_dns[z])

    events = _rotation_events(times, in_rotation & registered, onehot, azs)
    events += [Event(t, "dns", msg) for t, msg in node_events(node_changes, azs)]
    world = World(
        azs=azs,
        tick_s=tick_s,
        ticks=ticks,
        route=route,
        serving=PerTick(seg_serving, seg_of_tick),
        healthy=PerTick(seg_healthy, seg_of_tick),
        unhealthy=PerTick(seg_unhealthy, seg_of_tick),
        pool=PerTick(seg_pool, seg_of_tick),
        node_up=node_up,
        zone_up=_zone_up(snaps, azs, tick_s, ticks),
        dns_mask=dns_mask,
        db_writable=np.ones(ticks, dtype=bool),
        slow_extra_s=PerTick(seg_extra, seg_of_tick),
        slow_error_share=PerTick(seg_err, seg_of_tick),
        events=_merge_lb_events(events, hc.interval_s if hc else 30.0),
    )
    # its own stream: a failover's length must not move when the instance count does
    db = database_timeline(scenario, snaps, ticks, streams.database)
    world.db_writable, world.db_readable = db.writable, db.readable
    world.db_write_unavailable_s = db.write_unavailable_s
    world.primary_az = db.primary_az
    world.loss_windows = db.loss_windows
    world.order_queue = base.order_queue is not None
    world.targets = Targets(tuple(ids), zone_idx, timelines, rotation, reg_tl, slow_tl)
    world.events += [Event(t, "db", msg) for t, msg in db.events]
    world.unhealthy_marks = _unhealthy_marks(ids, zone_idx, timelines, rotation)
    node_on = np.array([nodes_at(node_changes, float(t))[0] for t in mids]).reshape(nseg, nz)
    world.reroute_s = _reroute(
        times, seg_route * node_on[:, :, None], true_state, cols, _first_fault_time(snaps)
    )
    world.events.sort(key=lambda e: e.t)
    return world


def _healthy_target_changes(
    ids: list[str],
    zone_of: dict[str, int],
    rotation: dict[str, list[tuple[float, bool]]],
    registered: dict[str, list[tuple[float, float]]],
    zones: int,
) -> list[list[tuple[float, bool]]]:
    """Per zone, change points of "the load balancer has a healthy registered target here"."""

    def at(changes: list[tuple[float, bool]] | list[tuple[float, float]], t: float) -> bool:
        value = bool(changes[0][1])
        for ts, v in changes:
            if ts > t:
                break
            value = bool(v)
        return value

    out = []
    for z in range(zones):
        mine = [i for i in ids if zone_of[i] == z]
        times = sorted({t for i in mine for t, _ in [*rotation[i], *registered[i]]} | {0.0})
        points: list[tuple[float, bool]] = []
        for t in times:
            ok = any(at(rotation[i], t) and at(registered[i], t) for i in mine)
            if not points or points[-1][1] != ok:
                points.append((t, ok))
        out.append(points)
    return out


def _unhealthy_marks(
    ids: list[str],
    zone_idx: np.ndarray,
    timelines: dict[str, list[tuple[float, int, bool]]],
    rotation: dict[str, list[tuple[float, bool]]],
) -> list[tuple[float, str, int]]:
    """When Auto Scaling (health check type ELB) first deems each instance unhealthy.

    A stopped or terminated instance at once; one that stays ``running`` (a crash, a hang, a
    power loss, a cut-off subnet) only when the load balancer's health checks take it out of
    rotation. (time, instance id, zone index), in time order.
    """
    out = []
    for k, iid in enumerate(ids):
        gone = [t for t, _, removed in timelines[iid] if removed and t > 0]
        failed = [
            t
            for n, (t, in_rot) in enumerate(rotation[iid])
            if n and not in_rot and rotation[iid][n - 1][1]
        ]
        first = min([*gone[:1], *failed[:1]], default=None)
        if first is not None:
            out.append((float(first), k, iid, int(zone_idx[k])))
    return [(t, iid, z) for t, _, iid, z in sorted(out)]


def _zone_up(snaps: list[Snapshot], azs: tuple[str, ...], dt: float, ticks: int) -> np.ndarray:
    """Per tick and zone: are the zone's private subnets reachable?"""
    out = np.ones((ticks, len(azs)), dtype=bool)
    for n, snap in enumerate(snaps):
        a = round(snap.t / dt)
        b = round(snaps[n + 1].t / dt) if n + 1 < len(snaps) else ticks
        for z, az in enumerate(azs):
            private = [s for s in snap.topology.subnets if s.az == az and not s.public]
            out[a:b, z] = all(s.reachable for s in private) if private else True
    return out


def _lor_weights(st: np.ndarray, extra: np.ndarray, sc: Scenario) -> np.ndarray:
    """least_outstanding_requests favours targets that answer fast, failures included.

    A target's share is inversely proportional to how long its requests stay outstanding,
    relative to a healthy one: refusing targets answer at once and attract more traffic
    (capped at 20x), blackholed and hung ones hold requests until a timeout and get little.
    """
    m = sc.model
    s = m.service_time_s + m.network_s
    w = np.ones(st.shape)
    w[st == SLOW] = (s / (s + extra))[st == SLOW]
    w[(st == REFUSED) | (st == GONE)] = min(m.lor_refused_weight_cap, s / m.network_s)
    w[(st == BLACKHOLE) | (st == HUNG)] = s / m.lb_connect_timeout_s
    return w


def _rotation_events(
    times: np.ndarray, in_rot: np.ndarray, onehot: np.ndarray, azs: tuple[str, ...]
) -> list[Event]:
    """One event per change of a zone's count of targets in rotation."""
    counts = onehot @ in_rot  # zones x segments
    out = []
    for z, az in enumerate(azs):
        for k in range(1, counts.shape[1]):
            if counts[z, k] != counts[z, k - 1]:
                out.append(
                    Event(
                        float(times[k]),
                        "lb",
                        f"{az}: {int(counts[z, k - 1])} -> {int(counts[z, k])} targets in rotation",
                    )
                )
    return out


def _reroute(
    times: np.ndarray,
    seg_route: np.ndarray,
    st: np.ndarray,
    cols: RouteColumns,
    fault_t: float | None,
) -> float | None:
    """From the first fault until no node sends requests to a dead target any more (a dark
    node sends nothing: ``seg_route`` is zero for it)."""
    if fault_t is None:
        return None
    dead_routed = np.asarray((seg_route[:, :, cols.dead] > 0).any(axis=(1, 2)))
    dead_exists = ((st != UP) & (st != SLOW)).any(axis=0)
    for k in range(len(dead_routed)):
        if times[k] >= fault_t and dead_exists[k] and not dead_routed[k]:
            return float(times[k] - fault_t)
    return None


def _merge_lb_events(events: list[Event], window_s: float) -> list[Event]:
    """Fold a zone's rotation changes that follow each other within a health-check interval
    into one event at the first, saying when the last one happened."""
    out: list[Event] = []
    runs: dict[str, tuple[int, float, str, float]] = {}  # zone -> (index, start, from, last t)
    for e in sorted(events, key=lambda e: e.t):
        if e.kind != "lb":
            out.append(e)
            continue
        az, rest = e.message.split(": ", 1)
        first, last = (part.split(" targets")[0] for part in rest.split(" -> "))
        run = runs.get(az)
        if run and e.t - run[3] <= window_s * 1.5:
            index, start, begin, _ = run
            until = f" (the last at {e.t:.1f} s)" if e.t - start >= 0.5 else ""
            out[index] = Event(start, "lb", f"{az}: {begin} -> {last} targets in rotation{until}")
            runs[az] = (index, start, begin, e.t)
        else:
            runs[az] = (len(out), e.t, first, e.t)
            out.append(e)
    return out


def _first_fault_time(snaps: list) -> float | None:
    base = snaps[0].topology
    for s in snaps[1:]:
        if s.topology != base:
            return float(s.t)
    return None
