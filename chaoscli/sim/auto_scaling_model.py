"""The model of Auto Scaling as the data plane sees it: replacements and target-tracking scale-out.

moto records Auto Scaling groups and policies but never acts, so the model does what AWS
would: an instance of the group is replaced ``replace_after_s`` after the group deems it
unhealthy (at once when it stops; through the load balancer's health checks, the group's
health check type, when it stays running but does not answer), in its own zone if the group
may still launch there, else spread over the zones it may; target tracking on average CPU
(utilisation here) adds instances when the last ``alarm_periods`` one-minute averages were
above the target (the CloudWatch alarm target tracking creates). A new instance serves after
``boot_s`` plus the load balancer's ``healthy_threshold`` checks. Scale-in is not modelled:
within an experiment it only ever removes spare capacity.

With one group per zone (``per_zone``) each group launches only in its own zone: a lost
instance is replaced there or not at all (a zone that lost power refuses launches), and
scale-out adds instances in the zones whose group may launch, each up to its group's maximum.
Each group's policy is taken to see the tier's average CPU, as cross-zone balancing evens it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np

from chaoscli.sim.scenario import Snapshot
from chaoscli.topology import AutoScaling


@dataclass(frozen=True)
class ScalingParams:
    """Auto Scaling's timings as the model assumes them."""

    replace_after_s: float = 60.0
    alarm_periods: int = 3
    ready_after_s: float = 90.0  # launch, boot, pass the load balancer's health checks
    recheck_s: float = 30.0  # the load balancer's healthy checks once a cut-off zone is back


@dataclass
class Scaler:
    """Decides, second by second, how many extra instances serve in each zone."""

    group: AutoScaling
    snaps: list[Snapshot]
    azs: tuple[str, ...]
    params: ScalingParams
    launches: list[tuple[float, int]] = field(default_factory=list)  # (ready at, zone)
    marks: list[tuple[float, str, int]] = field(default_factory=list)  # (unhealthy at, id, zone)
    replaced: int = 0
    _replacing: dict[int, tuple[int, float, float, int]] = field(default_factory=dict)
    minutes: list[float] = field(default_factory=list)
    acc: float = 0.0
    acc_n: int = 0
    events: list[tuple[float, str]] = field(default_factory=list)
    dark_at: dict[int, float] = field(default_factory=dict)  # zone -> last second cut off

    def copy(self) -> Scaler:
        """A copy that goes on apart from this one (to go back to where this one stands)."""
        out = copy.copy(self)
        out.launches, out.marks, out.minutes = (
            list(self.launches),
            list(self.marks),
            list(self.minutes),
        )
        out.events, out._replacing, out.dark_at = (
            list(self.events),
            dict(self._replacing),
            dict(self.dark_at),
        )
        return out

    def _snapshot(self, t: float) -> Snapshot:
        out = self.snaps[0]
        for s in self.snaps:
            if s.t > t:
                break
            out = s
        return out

    def _zones(self, t: float) -> list[int]:
        group = self._snapshot(t).topology.autoscaling or self.group
        zones = [z for z, az in enumerate(self.azs) if az in group.azs]
        return zones if zones or self.group.per_zone else list(range(len(self.azs)))

    def _zone_room(self, zone: int) -> int:
        """With one group per zone: how many more instances the zone's group may hold."""
        first = self.snaps[0].topology
        mine = set(self.group.instance_ids)
        have = sum(1 for i in first.instances if i.id in mine and i.az == self.azs[zone])
        have += sum(1 for _, z in self.launches if z == zone)
        return max(0, self.group.zone_max - have)

    def _zone_launch(self, t: float, count: int, zones: list[int], zone: int | None) -> list[int]:
        """With one group per zone: the zone of each instance to launch, replacements only in
        their own zone, scale-out spread over the zones that may launch and have room."""
        if zone is not None:
            zones = [zone] if zone in zones else []
        room = {z: self._zone_room(z) for z in zones}
        out: list[int] = []
        while len(out) < count and any(room.values()):
            for z in zones:
                if room[z] and len(out) < count:
                    out.append(z)
                    room[z] -= 1
        return out

    def _launch(self, t: float, count: int, why: str, zone: int | None = None) -> str:
        """Launch up to ``count`` instances (in ``zone`` if the group may); the zones used."""
        group = self._snapshot(t).topology.autoscaling or self.group
        if "Launch" in group.suspended:
            return ""  # e.g. a power interruption in the group's only zone
        zones = self._zones(t)
        if self.group.per_zone:
            placed = self._zone_launch(t, count, zones, zone)
            self.launches += [(t + self.params.ready_after_s, z) for z in placed]
            count, zones = len(placed), sorted(set(placed))
        else:
            if zone is not None and zone in zones:
                zones = [zone]
            total = self.group.desired + len(self.launches)
            count = max(0, min(count, self.group.max_size - total))
            for n in range(count):
                self.launches.append((t + self.params.ready_after_s, zones[n % len(zones)]))
        if not count:
            return ""
        where = ", ".join(self.azs[z] for z in zones)
        self.events.append((t, f"Auto Scaling launches {count} instance(s) in {where}: {why}"))
        return where

    def _replace(self, t: float, count: int, zone: int) -> None:
        """Launch replacements; one event for those of a zone that follow each other closely."""
        where = self._launch(t, count, f"replacing {count} unhealthy instance(s)", zone)
        if not where:
            return
        last = self._replacing.get(zone)
        if last is not None and t - last[1] <= 30 and last[0] == len(self.events) - 2:
            index, _, first_t, total = last
            total += count
            self.events.pop()
            line = f"Auto Scaling launches {total} instance(s) in {where}: replacing {total} "
            self.events[index] = (first_t, line + f"unhealthy instance(s) (the last at {t:.0f} s)")
            self._replacing[zone] = (index, t, first_t, total)
        else:
            self._replacing[zone] = (len(self.events) - 1, t, t, count)

    def extra(self, t: float, reachable: np.ndarray) -> np.ndarray:
        """Extra instances serving per zone at time ``t``.

        One launched into a zone that is cut off (a router failure does not stop Auto
        Scaling from launching there) never passes a health check while it is, and serves
        only once ``recheck_s`` of healthy checks have passed after the zone is back.
        Called once per second, in order.
        """
        for cut in np.flatnonzero(reachable == 0):
            self.dark_at[int(cut)] = t
        out = np.zeros(len(self.azs))
        for ready, z in self.launches:
            dark = self.dark_at.get(z)
            if ready <= t and (dark is None or t >= dark + self.params.recheck_s):
                out[z] += 1
        return out * reachable

    def observe(self, sec: int, utilisation: float) -> None:
        """Feed one second's average utilisation; act on replacements and on the policy."""
        t = float(sec)
        ids = set(self.group.instance_ids)
        due = [
            (iid, z)
            for marked, iid, z in self.marks
            if iid in ids and marked + self.params.replace_after_s <= t
        ][self.replaced :]
        for z in sorted({z for _, z in due}):
            self._replace(t, sum(zone == z for _, zone in due), z)
        self.replaced += len(due)
        self.acc += min(utilisation, 1.0)
        self.acc_n += 1
        if self.acc_n < 60:
            return
        self.minutes.append(self.acc / self.acc_n)
        self.acc, self.acc_n = 0.0, 0
        target = self.group.target_utilization
        recent = self.minutes[-self.params.alarm_periods :]
        pending = any(ready > t for ready, _ in self.launches)
        if (
            target
            and len(recent) == self.params.alarm_periods
            and min(recent) > target
            and not pending
        ):
            in_service = self.group.desired + len(self.launches)
            want = math.ceil(in_service * recent[-1] / target)
            self._launch(
                t, want - in_service, f"average CPU {recent[-1]:.0%} above the {target:.0%} target"
            )
