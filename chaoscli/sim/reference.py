"""The exact reference model: every request on its own, through a heap of events.

Plain and slow on purpose, for small rates only. It shares only the control-plane facts with
the fast engine (each target's true state and the load balancer's rotation, whose health
checks have their own closed-form tests); everything the engine aggregates is done here one
request at a time: Poisson arrivals, each client's DNS answer, the pick among the targets
in rotation, per-instance worker slots with a FIFO queue and a queue limit, timeouts, and
every retry with its jittered backoff. Tests compare the two.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np

from chaoscli.sim.healthcheck import BLACKHOLE, GONE, HUNG, REFUSED, UP
from chaoscli.sim.routing import answer_position
from chaoscli.sim.scenario import Scenario
from chaoscli.sim.world import SLOW, World, build_world


@dataclass
class ReferenceResult:
    """Per-customer-request outcomes."""

    t0: np.ndarray
    ok: np.ndarray
    latency_s: np.ndarray
    is_order: np.ndarray
    attempts: int

    def availability(self, a: float, b: float) -> float:
        """Successful / all customer requests that arrived in [a, b)."""
        sel = (self.t0 >= a) & (self.t0 < b)
        return float(self.ok[sel].mean()) if sel.any() else 1.0

    def visible_errors(self, a: float, b: float) -> int:
        """Customer requests in [a, b) that failed after every retry."""
        sel = (self.t0 >= a) & (self.t0 < b)
        return int((~self.ok[sel]).sum())

    def p99_ms(self, a: float, b: float) -> float:
        """p99 latency of successful requests that arrived in [a, b)."""
        sel = (self.t0 >= a) & (self.t0 < b) & self.ok
        return float(np.percentile(self.latency_s[sel], 99) * 1000) if sel.any() else np.nan


def _step(changes: list, t: float) -> object:
    """Value of a step function given by (time, value, ...) change points."""
    out = changes[0][1]
    for ch in changes:
        if ch[0] > t:
            break
        out = ch[1]
    return out


class Reference:
    """Runs a scenario request by request (no retry budget: compare with it switched off)."""

    def __init__(self, scenario: Scenario, strict_round_robin: bool = False) -> None:
        self.scenario = scenario
        self.strict_round_robin = strict_round_robin
        self.world: World = build_world(scenario)
        assert self.world.targets is not None
        self.targets = self.world.targets
        self.rng = np.random.default_rng([scenario.engine.seed, 99])
        self.rr = [0] * len(self.world.azs)  # round-robin pointer per node
        model = scenario.model
        self.workers = model.workers_per_instance
        self.busy = {i: 0 for i in self.targets.ids}
        # per target, the requests waiting for a worker: (sent at, customer, attempt number)
        self.queue: dict[str, list[tuple[float, int, int]]] = {i: [] for i in self.targets.ids}
        self.heap: list[tuple[float, int, str, tuple]] = []
        self.seq = itertools.count()

    def _push(self, t: float, kind: str, *payload: object) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), kind, payload))

    def run(self) -> ReferenceResult:
        """Simulate every request."""
        scenario, clients, model = self.scenario, self.scenario.clients, self.scenario.model
        rate = scenario.traffic.rate_per_second()
        t0: list[float] = []
        for sec, r in enumerate(rate):
            n = self.rng.poisson(r)
            t0 += sorted((sec + self.rng.random(n)).tolist())
        self.t0 = np.array(t0)
        n = self.t0.size
        self.ok = np.zeros(n, dtype=bool)
        self.lat = np.full(n, np.nan)
        self.order = self.rng.random(n) < scenario.traffic.checkout_share
        self.age = self.rng.random(n) * model.dns_ttl_s
        self.pick = self.rng.random(n)
        self.shift = np.zeros(n, dtype=int)
        self.prev = np.zeros(n)
        self.sent = 0
        for i, t in enumerate(self.t0):
            self._push(float(t), "attempt", i, 1)
        while self.heap:
            t, _, kind, payload = heapq.heappop(self.heap)
            getattr(self, f"_on_{kind}")(t, *payload)
        del clients
        return ReferenceResult(self.t0, self.ok, self.lat, self.order, self.sent)

    # --- one attempt ---------------------------------------------------------------------
    def _node(self, i: int, t: float) -> int:
        world, ttl = self.world, self.scenario.model.dns_ttl_s
        resolved = self.t0[i] - self.age[i]
        resolved += np.floor((t - resolved) / ttl) * ttl
        mask = int(world.dns_mask[min(world.ticks - 1, max(0, int(resolved / world.tick_s)))])
        zones = [z for z in range(len(world.azs)) if mask >> z & 1] or list(range(len(world.azs)))
        at = answer_position(
            np.array([self.pick[i] * len(zones)]), self.shift[i : i + 1], len(zones)
        )
        return zones[int(at[0])]

    def _target(self, node: int, t: float) -> str | None:
        targets = self.targets
        lb = self.scenario.snapshots[0].topology.load_balancer
        cross = lb.cross_zone if lb else True
        scope = [
            tid
            for k, tid in enumerate(targets.ids)
            if _step(targets.registered[tid], t) and (cross or targets.zone[k] == node)
        ]
        in_rot = [tid for tid in scope if _step(targets.rotation[tid], t)]
        pool = in_rot or scope  # fail open
        if not pool:
            return None
        if self.strict_round_robin:
            self.rr[node] = (self.rr[node] + 1) % len(pool)
            return pool[self.rr[node]]
        # an ALB node interleaves many round-robin streams (connections, node processes), so
        # each target sees close to Poisson arrivals: what M/M/c in the engine assumes
        return pool[int(self.rng.integers(len(pool)))]

    def _on_attempt(self, t: float, i: int, k: int) -> None:
        self.sent += 1
        fallbacks = len(self.world.azs) - 1 if self.scenario.clients.dns_fallback else 0
        self._on_connect(t, i, k, fallbacks)

    def _on_connect(self, t: float, i: int, k: int, fallbacks: int) -> None:
        clients, model, world = self.scenario.clients, self.scenario.model, self.world
        node = self._node(i, t)
        tick = min(world.ticks - 1, int(t / world.tick_s))
        if not world.node_up[tick, node]:
            if clients.dns_fallback:
                self.shift[i] += 1
            if fallbacks > 0:  # the next address of the client's answer, in the same attempt
                return self._push(t + clients.connect_timeout_s, "connect", i, k, fallbacks - 1)
            return self._fail(t + clients.connect_timeout_s, i, k, timeout=True)
        tid = self._target(node, t)
        if tid is None:
            return self._fail(t + model.network_s, i, k)
        state = _step(self.targets.states[tid], t)
        if state in (REFUSED, GONE):
            return self._fail(t + model.network_s, i, k)
        if state == BLACKHOLE:
            return self._fail(
                t + min(model.lb_connect_timeout_s, clients.request_timeout_s), i, k, True
            )
        if state == HUNG:
            return self._fail(t + clients.request_timeout_s, i, k, timeout=True)
        assert state in (UP, SLOW)
        if len(self.queue[tid]) >= model.queue_limit_s * model.instance_capacity_rps:
            return self._fail(t + model.network_s, i, k)  # shed at once
        if self.busy[tid] < self.workers:
            self._start(t, tid, i, k, t)
        else:
            self.queue[tid].append((t, i, k))

    def _start(self, now: float, tid: str, i: int, k: int, sent_at: float) -> None:
        self.busy[tid] += 1
        service = self.rng.exponential(self.scenario.model.service_time_s)
        self._push(now + service, "done", tid, i, k, sent_at)

    def _on_done(self, t: float, tid: str, i: int, k: int, sent_at: float) -> None:
        clients, model, world = self.scenario.clients, self.scenario.model, self.world
        self.busy[tid] -= 1
        if self.queue[tid]:
            sent_at_q, waiting, attempt = self.queue[tid].pop(0)
            self._start(t, tid, waiting, attempt, sent_at_q)
        slowness: tuple[float, float] = _step(self.targets.slowness[tid], t)  # type: ignore[assignment]
        extra, share = slowness
        finish = (
            t + model.network_s + (extra if _step(self.targets.states[tid], t) == SLOW else 0.0)
        )
        if finish - sent_at > clients.request_timeout_s:
            return self._fail(sent_at + clients.request_timeout_s, i, k, timeout=True)
        tick = min(world.ticks - 1, int(finish / world.tick_s))
        down = (
            (not world.db_writable[tick] and not world.order_queue)
            if self.order[i]
            else (not world.db_readable[tick])
        )
        if down:
            return self._fail(finish + model.write_timeout_s, i, k)
        if self.rng.random() < share and _step(self.targets.states[tid], t) == SLOW:
            return self._fail(finish, i, k)
        if finish - self.t0[i] <= clients.customer_timeout_s:
            self.ok[i] = True
            self.lat[i] = finish - self.t0[i]
        else:
            self.lat[i] = clients.customer_timeout_s

    def _fail(self, at: float, i: int, k: int, timeout: bool = False) -> None:
        clients = self.scenario.clients
        self.lat[i] = min(at - self.t0[i], clients.customer_timeout_s)
        if k >= clients.max_attempts or at - self.t0[i] > clients.customer_timeout_s:
            return
        delay = float(clients.delays(k, np.array([self.prev[i]]), self.rng.random(1))[0])
        if at + delay - self.t0[i] >= clients.customer_timeout_s:
            return
        self.prev[i] = delay
        self._push(at + delay, "attempt", i, k + 1)
