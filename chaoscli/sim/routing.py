"""DNS and the load balancer's nodes: which node each client reaches, and where it sends.

A client connects to a node from its cached DNS answer (refreshed every TTL). A node that
does not answer costs the client its connect timeout; a client that falls back then tries the
next address of its answer within the same attempt, as getaddrinfo-walking HTTP clients and
browsers do, and the answer's order is random per client (DNS shuffles it), so the clients of
a dark node spread over the others. The node sends each request by the world's route shares,
widened by the instances Auto Scaling added.
"""

from __future__ import annotations

import numpy as np

from chaoscli.sim.customers import Customers
from chaoscli.sim.engine_state import Route
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.world import World
from chaoscli.topology import LoadBalancer


class Router:
    """Routes the attempts of sampled customers over one world."""

    def __init__(
        self,
        world: World,
        dns_ttl_s: float,
        lb: LoadBalancer | None,
        clients: ClientPolicy | None = None,
    ) -> None:
        self.world, self.dns_ttl_s = world, dns_ttl_s
        self.cross_zone = lb is None or lb.cross_zone
        members = _mask_members(len(world.azs))
        # per DNS bitmask, the zones it hands out (every zone for an empty answer), padded
        handed = [m if m.size else members[-1] for m in members]
        self.sizes = np.array([m.size for m in handed], dtype=np.int64)
        self.handed = np.zeros((len(handed), len(world.azs)), dtype=np.int64)
        for value, zones in enumerate(handed):
            self.handed[value, : zones.size] = zones
        self.clients = clients or ClientPolicy()

    def route(self, customers: Customers, who: np.ndarray, added: np.ndarray) -> Route:
        """Where the next attempts of these clients go: time, tick, node and routing shares.

        ``tau`` is when the request reaches a node: after a connect timeout on each dark
        node the client fell back from (its DNS answer holds one address per zone).
        """
        world = self.world
        tau = customers.next_at[who].copy()
        tick = np.maximum(np.minimum((tau / world.tick_s).astype(np.int64), world.ticks - 1), 0)
        zone = self.pick_node(customers, who, tau)
        ok = world.node_up[tick, zone]
        if self.clients.dns_fallback:
            for _ in range(len(world.azs) - 1):
                dark = np.flatnonzero(~ok)
                if dark.size == 0:
                    break
                customers.dns_shift[who[dark]] += 1
                tau[dark] += self.clients.connect_timeout_s
                tick[dark] = np.clip(
                    (tau[dark] / world.tick_s).astype(np.int64), 0, world.ticks - 1
                )
                zone[dark] = self.pick_node(customers, who[dark], tau[dark])
                ok[dark] = world.node_up[tick[dark], zone[dark]]
        # a batch spans a second's few ticks: each (tick, node) row is worked out once
        lo = int(tick.min()) if tick.size else 0
        hi = int(tick.max()) + 1 if tick.size else 1
        span = np.arange(lo, hi)
        block = self.shares(span[:, None], np.arange(len(world.azs))[None, :], added)
        rows = (tick - lo, zone)
        cumulative = np.cumsum(block, axis=2)[rows]
        cols = world.columns
        loaded = block[..., cols.up] + block[..., cols.slow]  # a target takes it
        return Route(tau, tick, zone, ok, loaded[rows], cumulative)

    def pick_node(self, customers: Customers, who: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Which zone's load-balancer node each client connects to, from its cached answer."""
        world, ttl = self.world, self.dns_ttl_s
        resolved = customers.arrival[who] - customers.dns_age[who]
        resolved = resolved + np.floor((tau - resolved) / ttl) * ttl
        resolved_tick = np.maximum(
            np.minimum((resolved / world.tick_s).astype(np.int64), world.ticks - 1), 0
        )
        mask = world.dns_mask[resolved_tick].astype(np.int64)
        size = self.sizes[mask]
        at = answer_position(customers.node_draw[who] * size, customers.dns_shift[who], size)
        return self.handed[mask, at]

    def shares(self, tick: np.ndarray, zone: np.ndarray, added: np.ndarray) -> np.ndarray:
        """Where each node sends a request, counting the instances Auto Scaling ``added``."""
        world = self.world
        shares = world.route[tick, zone]
        if not added.any():
            return shares
        zones = len(world.azs)
        tick, zone = np.broadcast_arrays(tick, zone)
        if self.cross_zone:
            add = np.broadcast_to(added, (*zone.shape, zones))
        else:
            add = np.eye(zones)[zone] * added[zone][..., None]
        n = world.pool[tick, zone]
        total = n + add.sum(axis=-1)
        out = shares * (n / total)[..., None]
        out[..., world.columns.up] += add / total[..., None]
        return out

    def expected_load(self, customers: Customers, who: np.ndarray, route: Route) -> np.ndarray:
        """Requests/s these attempts put on up targets of each zone (expected, no sampling)."""
        return self._loads(customers, who, route).sum(axis=0)

    def expected_each(
        self, customers: Customers, who: np.ndarray, route: Route, seconds: int
    ) -> np.ndarray:
        """(seconds, zones): ``expected_load`` of each of ``seconds`` equal runs of ``who``,
        each summed as it would be alone."""
        loads = self._loads(customers, who, route)
        return loads.reshape(seconds, -1, loads.shape[1]).sum(axis=1)

    def _loads(self, customers: Customers, who: np.ndarray, route: Route) -> np.ndarray:
        """(attempts, zones): the requests/s each attempt puts on each zone's up targets."""
        return customers.weight[who, None] * route.loaded * route.node_ok[:, None]


def answer_position(draw: np.ndarray, shift: np.ndarray, size: np.ndarray | int) -> np.ndarray:
    """Which of ``size`` addresses a client uses after ``shift`` fallbacks.

    ``draw`` in [0, size) picks the first address (its whole part) and, by its fraction, the
    order of the others, so that fallbacks from one address spread evenly over the rest.
    """
    first = np.floor(draw).astype(np.int64)
    if not np.any(shift):
        return first  # no client has fallen back: each uses its first address
    step = shift % size
    others = np.maximum(np.asarray(size) - 1, 1)
    rest = np.floor((draw - first) * others).astype(np.int64)
    other = (first + 1 + (rest + step - 1) % others) % size
    return np.where(step == 0, first, other)


def _mask_members(zones: int) -> list[np.ndarray]:
    """For each DNS bitmask, the zones it hands out, in order; the last entry is every zone."""
    return [
        np.array([z for z in range(zones) if v >> z & 1], dtype=np.int64) for v in range(1 << zones)
    ]
