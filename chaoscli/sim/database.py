"""RDS for MariaDB as the data plane sees it: when writes and reads work, and what is lost.

A forced failover (reboot with ForceFailover) or the loss of the primary's zone starts a
Multi-AZ failover: writes fail for a window drawn from ``failover_s``, then the endpoint
points at the standby (synchronous: nothing is lost). Without a standby, writes wait for the
zone to come back, unless a read replica is promoted after ``promote_replica_after_s``;
replication is asynchronous, so orders committed in the last ``replica_lag_s`` are lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chaoscli.sim.scenario import Scenario, Snapshot
from chaoscli.topology import Database, Topology


@dataclass
class DbTimeline:
    """Per-tick write and read availability, and the windows whose commits were lost."""

    writable: np.ndarray
    readable: np.ndarray
    write_unavailable_s: float = 0.0
    primary_az: dict[str, str] = field(default_factory=dict)
    loss_windows: list[tuple[float, float]] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)


def _reachable(topo: Topology, az: str) -> bool:
    """The database's zone: its private subnets (where the DB subnet group lives)."""
    private = [s for s in topo.subnets if s.az == az and not s.public]
    return all(s.reachable for s in private) if private else topo.zone_reachable(az)


def _snap_at(snaps: list[Snapshot], t: float) -> Topology:
    out = snaps[0].topology
    for s in snaps:
        if s.t > t:
            break
        out = s.topology
    return out


def database_timeline(
    sc: Scenario, snaps: list[Snapshot], ticks: int, rng: np.random.Generator
) -> DbTimeline:
    """Derive write and read availability over the run."""
    dt, end, m = sc.engine.tick_s, sc.traffic.duration_s, sc.model
    tl = DbTimeline(np.ones(ticks, dtype=bool), np.ones(ticks, dtype=bool))
    db: Database | None = snaps[0].topology.database
    if db is None:
        return tl
    primary, standby = db.primary.az, db.standby_az if db.multi_az else None
    tl.primary_az = {"before": primary, "after": primary}
    forced = sorted(a.t for a in sc.actions if a.kind == "db_failover")
    busy_until = -1.0
    t = 0.0
    times = sorted({s.t for s in snaps} | set(forced))
    for t in times:
        if t < busy_until:
            continue
        topo = _snap_at(snaps, t)
        lost = not _reachable(topo, primary)
        if t in forced or lost:
            why = f"primary's zone {primary} lost" if lost else "forced failover (reboot)"
            if standby and standby != primary and _reachable(topo, standby):
                window = float(rng.uniform(*m.failover_s))
                tl.events.append((t, f"RDS Multi-AZ failover starts ({why}): writes fail"))
                done = f"failover done after {window:.0f} s: the model's primary is now in"
                tl.events.append((t + window, f"{done} {standby}"))
                primary, standby = standby, primary  # RDS rebuilds the standby in the old zone
            elif lost:
                window, primary = _without_standby(sc, snaps, t, primary, tl)
            else:
                continue
            _unwritable(tl, t, t + window, dt, end)
            busy_until = t + window
    tl.primary_az["after"] = primary
    _reads(tl, snaps, dt, ticks)
    return tl


def _without_standby(
    sc: Scenario, snaps: list[Snapshot], t: float, primary: str, tl: DbTimeline
) -> tuple[float, str]:
    """Writes wait for the zone or for a promoted replica; returns (window, new primary zone)."""
    m, end = sc.model, sc.traffic.duration_s
    back = next((s.t for s in snaps if s.t > t and _reachable(s.topology, primary)), end)
    if m.promote_replica_after_s is not None and t + m.promote_replica_after_s < back:
        at = t + m.promote_replica_after_s
        topo = _snap_at(snaps, at)
        db = topo.database
        live = [r for r in (db.replicas if db else ()) if _reachable(topo, r.az)]
        if live:
            tl.events.append((t, f"primary's zone {primary} lost, no standby: writes fail"))
            tl.events.append(
                (
                    at,
                    f"replica {live[0].id} promoted in {live[0].az}; commits of "
                    f"the last {m.replica_lag_s:g} s before the loss are gone",
                )
            )
            tl.loss_windows.append((t - m.replica_lag_s, t))
            return at - t, live[0].az
    tl.events.append(
        (t, f"primary's zone {primary} lost and no standby: writes fail until the zone is back")
    )
    return back - t, primary


def _unwritable(tl: DbTimeline, a: float, b: float, dt: float, end: float) -> None:
    lo, hi = int(a / dt), min(len(tl.writable), int(b / dt))
    tl.writable[lo:hi] = False
    tl.write_unavailable_s += max(0.0, min(b, end) - a)


def _reads(tl: DbTimeline, snaps: list[Snapshot], dt: float, ticks: int) -> None:
    """Reads go to live replicas, else to the primary while it takes writes."""
    prev: int | None = None
    for n, snap in enumerate(snaps):
        db = snap.topology.database
        live = [r for r in (db.replicas if db else ()) if _reachable(snap.topology, r.az)]
        a = int(snap.t / dt)
        b = int(snaps[n + 1].t / dt) if n + 1 < len(snaps) else ticks
        if not live:
            tl.readable[a:b] = tl.writable[a:b]
        if prev is not None and len(live) != prev:
            where = ", ".join(sorted(r.az for r in live)) or "the primary"
            tl.events.append((snap.t, f"{len(live)} read replica(s) left: reads go to {where}"))
        prev = len(live)
