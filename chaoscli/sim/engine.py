"""The fast engine: a fixed number of sampled customers per virtual second over a load model.

Cost does not grow with the request rate. Each virtual second gets ``samples_per_s``
customers (stratified in time and in the DNS answer they pick); each one is traced through
DNS, the load-balancer node, the target and every retry, and stands for rate / samples_per_s
real requests. Seconds are processed in order: the load on each zone in a second is the
weight of every attempt that falls in it (first tries and retries scheduled earlier) times
the expected routing shares, so overload and retry storms feed back causally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from chaoscli.sim.autoscaling import Scaler, ScalingParams
from chaoscli.sim.orders import ledger as order_ledger
from chaoscli.sim.queueing import erlang_c
from chaoscli.sim.results import (
    F_BLACKHOLE,
    F_CONNECT,
    F_DB,
    F_GRAY,
    F_HUNG,
    F_NO_TARGET,
    F_NONE,
    F_OVERLOAD,
    F_REFUSED,
    F_SLOW,
    RunResult,
    SecondStats,
)
from chaoscli.sim.scenario import Scenario
from chaoscli.sim.world import (
    K_BLACKHOLE,
    K_HUNG,
    K_NO_TARGET,
    K_REFUSED,
    Event,
    build_world,
)

RHO_GRID = np.linspace(0.0, 0.9999, 4001)


class Route(NamedTuple):
    """Where a batch of attempts goes, computed once for the load and the attempt itself."""

    tau: np.ndarray  # when each attempt is made
    tick: np.ndarray
    zone: np.ndarray  # the load-balancer node's zone each client connects to
    node_ok: np.ndarray  # that node answers
    probs: np.ndarray  # where that node sends a request


class Engine:
    """Runs a scenario; deterministic for a given seed."""

    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        self.world = build_world(scenario)

    def run(self, on_second: Callable[[SecondStats], None] | None = None) -> RunResult:
        """Simulate the whole run, second by second; ``on_second`` sees each one as it ends.

        Attempts of a customer can end in later seconds, so the figures passed on are the
        attempts made in that second, not the customers' final outcomes.
        """
        sc, w, c, m = self.sc, self.world, self.sc.clients, self.sc.model
        rate = sc.traffic.rate_per_second()
        secs, s = len(rate), sc.engine.samples_per_s
        rng = np.random.default_rng([sc.engine.seed, 2])
        grid = np.tile(np.arange(s, dtype=float), (secs, 1))
        t0 = np.arange(secs)[:, None] + (rng.permuted(grid, axis=1) + rng.random(grid.shape)) / s
        self.t0 = t0.ravel()
        self.u_node = ((rng.permuted(grid, axis=1) + rng.random(grid.shape)) / s).ravel()
        self.age = rng.random(self.t0.size) * m.dns_ttl_s
        order_rank = rng.permuted(grid, axis=1).ravel()
        self.is_order = order_rank < round(sc.traffic.checkout_share * s)
        self.ack_t = np.full(self.t0.size, np.nan)
        self.weight = np.repeat(rate / s, s)
        n, nz = self.t0.size, len(w.azs)
        self.t_next = self.t0.copy()
        self.k_next = np.ones(n, dtype=np.int64)
        self.shift = np.zeros(n, dtype=np.int64)
        self.prev_delay = np.zeros(n)
        self.ok = np.zeros(n, dtype=bool)
        self.retried = np.zeros(n, dtype=bool)
        self.lat = np.zeros(n)
        self.causes = np.zeros(n, dtype=np.int8)
        self.attempts = np.zeros(secs)
        self.served = np.zeros((nz, secs))
        self.failed = np.zeros((nz, secs))
        self.lb_errors = np.zeros(secs)
        self.load = np.zeros((nz, secs))
        self.util = np.zeros((nz, secs))
        self.held = np.zeros(nz)  # backlog per instance, in requests
        # the AWS SDK's retry token bucket, per client; every client alike (a mean field)
        self.tokens = c.budget_tokens
        self.spent = self.refund = 0.0
        self.pw_table = erlang_c(m.workers_per_instance, RHO_GRID * m.workers_per_instance)
        self.members = _mask_members(nz)
        per_tick = round(1 / w.tick_s)
        self.serving = w.serving[: secs * per_tick].reshape(secs, per_tick, nz).mean(axis=1)
        self.scaler = self._scaler()
        self.extra = np.zeros(nz)
        pending: list[list[np.ndarray]] = [[] for _ in range(secs)]
        for sec in range(secs):
            pending[sec].append(np.arange(sec * s, (sec + 1) * s))
        self.rng = np.random.default_rng([sc.engine.seed, 3])
        intra = np.zeros(nz)
        for sec in range(secs):
            idx = np.concatenate(pending[sec])
            pending[sec] = []
            if self.scaler is not None:
                tick = min(w.ticks - 1, int(sec / w.tick_s))
                self.extra = self.scaler.extra(float(sec), w.zone_up[tick])
            route = self._route(idx)
            expected = self._expected_load(idx, route) + intra
            queue = self._queue_step(sec, expected)
            actual = expected - intra
            while idx.size:
                later = self._attempt(idx, sec, queue, route)
                if later.size == 0:
                    break
                when = np.minimum(self.t_next[later], secs - 1e-9).astype(np.int64)
                now = later[when == sec]
                for target in np.unique(when[when > sec]):
                    pending[int(target)].append(later[when == target])
                if now.size:
                    route = self._route(now)
                    actual += self._expected_load(now, route)
                idx = now
            # retries within the second were estimated; charge the difference to the backlog
            intra = np.maximum(actual - (expected - intra), 0.0)
            n_up = self.serving[sec] + self.extra
            self.held = np.maximum(
                self.held + np.where(n_up > 0, (actual - expected) / np.maximum(n_up, 1e-9), 0), 0
            )
            self.load[:, sec] = actual
            if self.scaler is not None:
                n_up = self.serving[sec] + self.extra
                busy = float((self.util[:, sec] * n_up).sum() / max(n_up.sum(), 1e-9))
                self.scaler.observe(sec, busy)
            if c.retry_budget and rate[sec] > 0:
                per_client = c.requests_per_client_s / rate[sec]
                self.tokens += per_client * (self.refund - self.spent)
                self.tokens = min(c.budget_tokens, max(0.0, self.tokens))
            self.spent = self.refund = 0.0
            if on_second is not None:
                on_second(self._second_stats(sec))
        if self.scaler is not None:
            w.events += [Event(t, "asg", msg) for t, msg in self.scaler.events]
            w.events.sort(key=lambda e: e.t)
        self.causes[self.ok] = F_NONE
        ledger = order_ledger(w, rate, s, self.ack_t, m.order_drain_rps)
        return RunResult(
            world=w,
            samples_per_s=s,
            rate=rate,
            ok=self.ok,
            latency_s=self.lat,
            retried=self.retried,
            attempts=self.attempts,
            served=self.served,
            load=self.load,
            utilisation=self.util,
            causes=self.causes,
            is_order=self.is_order,
            ack_t=self.ack_t,
            ledger=ledger,
            queue_depth=ledger.queue_depth,
            lb_errors=self.lb_errors,
        )

    def _scaler(self) -> Scaler | None:
        """Auto Scaling, if the stack has a group and the model is asked to act for it."""
        sc, w = self.sc, self.world
        group = sc.snapshots[0].topology.autoscaling
        if group is None or not sc.model.autoscaling:
            return None
        lb = sc.snapshots[0].topology.load_balancer
        checks = lb.health_check.interval_s * lb.health_check.healthy_threshold if lb else 0.0
        params = ScalingParams(
            replace_after_s=sc.model.asg_replace_after_s, ready_after_s=sc.model.boot_s + checks
        )
        return Scaler(group, sorted(sc.snapshots, key=lambda s: s.t), w.azs, params)

    def _probs(self, tick: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """Where each node sends a request, counting instances Auto Scaling added."""
        w = self.world
        probs = w.route[tick, zone]
        if not self.extra.any():
            return probs
        nz = len(w.azs)
        lb = self.sc.snapshots[0].topology.load_balancer
        if lb is None or lb.cross_zone:
            add = np.broadcast_to(self.extra, (zone.size, nz))
        else:
            add = np.eye(nz)[zone] * self.extra[zone][:, None]
        n = w.pool[tick, zone]
        total = n + add.sum(axis=1)
        out = probs * (n / total)[:, None]
        out[:, :nz] += add / total[:, None]
        return out

    def _second_stats(self, sec: int) -> SecondStats:
        """What happened in one second, for a live view."""
        w = self.world
        tick = min(w.ticks - 1, int(sec / w.tick_s))
        return SecondStats(
            t=sec,
            offered=float(
                self.weight[sec * self.sc.engine.samples_per_s] * self.sc.engine.samples_per_s
            ),
            attempts=float(self.attempts[sec]),
            served={az: float(self.served[z, sec]) for z, az in enumerate(w.azs)},
            failed={az: float(self.failed[z, sec]) for z, az in enumerate(w.azs)},
            utilisation={az: float(self.util[z, sec]) for z, az in enumerate(w.azs)},
            db_writable=bool(w.db_writable[tick]),
        )

    # ------------------------------------------------------------------------------------
    def _route(self, idx: np.ndarray) -> Route:
        """Where the next attempts of these clients go: time, tick, node and routing shares."""
        w = self.world
        tau = self.t_next[idx]
        tick = np.clip((tau / w.tick_s).astype(np.int64), 0, w.ticks - 1)
        zone = self._pick_node(idx, tau)
        return Route(tau, tick, zone, w.node_up[tick, zone], self._probs(tick, zone))

    def _expected_load(self, idx: np.ndarray, route: Route) -> np.ndarray:
        """Requests/s these attempts put on up targets of each zone (expected, no sampling)."""
        nz = len(self.world.azs)
        probs = route.probs[:, :nz] + route.probs[:, nz : 2 * nz]
        return (self.weight[idx, None] * probs * route.node_ok[:, None]).sum(axis=0)

    def _queue_step(self, sec: int, load: np.ndarray) -> dict[str, np.ndarray]:
        """Advance each zone's backlog by one second: wait, shed share and P(wait)."""
        m = self.sc.model
        cap = m.instance_capacity_rps
        n = self.serving[sec] + self.extra
        lam = np.where(n > 0, load / np.maximum(n, 1e-9), 0.0)  # per instance
        held = self.held + lam - cap
        limit = cap * m.queue_limit_s
        drop = np.where(lam > 0, np.clip((held - limit) / np.maximum(lam, 1e-9), 0, 1), 0.0)
        self.held = np.clip(held, 0.0, limit)
        wait = np.where(n > 0, self.held / cap, 0.0)
        rho = lam / cap
        steady = (rho < 1) & (self.held == 0)
        pw = np.where(steady, np.interp(rho, RHO_GRID, self.pw_table), 0.0)
        mu = 1.0 / m.service_time_s
        spare = np.maximum(m.workers_per_instance * mu - lam, 1e-9)
        self.util[:, sec] = rho
        return {"wait": wait, "drop": drop, "pw": pw, "spare": spare}

    def _attempt(
        self, idx: np.ndarray, sec: int, q: dict[str, np.ndarray], route: Route
    ) -> np.ndarray:
        """One attempt for each client in ``idx``; returns those who will retry."""
        w, c, m = self.world, self.sc.clients, self.sc.model
        nz = len(w.azs)
        u = self.rng.random((8, idx.size))
        tau, tick, zone, node_ok, probs = route
        k = self.k_next[idx]
        self.attempts[sec] += self.weight[idx].sum()
        klass = (u[0, :, None] >= np.cumsum(probs, axis=1)).sum(axis=1)
        klass = np.where(node_ok, np.minimum(klass, probs.shape[1] - 1), -1)
        lat = np.full(idx.size, m.network_s)
        cause = np.full(idx.size, F_NONE, dtype=np.int8)
        cause[~node_ok] = F_CONNECT
        lat[~node_ok] = c.connect_timeout_s
        up = (klass >= 0) & (klass < 2 * nz)
        slow = up & (klass >= nz)
        zu = np.where(up, klass % nz, 0)
        shed = up & (u[1] < q["drop"][zu])
        waits = q["wait"][zu] + np.where(u[2] < q["pw"][zu], -np.log1p(-u[3]) / q["spare"][zu], 0)
        served_lat = m.network_s + waits - np.log1p(-u[4]) * m.service_time_s
        # a gray failure: the target answers, later, and with some errors (health checks pass)
        served_lat = served_lat + np.where(slow, w.slow_extra_s[tick, zu], 0.0)
        gray = slow & (u[5] < w.slow_error_share[tick, zu])
        # the web tier then reads (replicas) or writes an order (primary, or the order queue)
        db_tick = np.clip(((tau + served_lat) / w.tick_s).astype(np.int64), 0, w.ticks - 1)
        order = self.is_order[idx]
        queued = bool(w.order_queue)
        db_down = np.where(order, ~w.db_writable[db_tick] & (not queued), ~w.db_readable[db_tick])
        db_fail = up & ~shed & (db_down | gray)
        served_lat = np.where(up & ~shed & db_down, served_lat + m.write_timeout_s, served_lat)
        too_slow = up & ~shed & (served_lat > c.request_timeout_s)
        good = up & ~shed & ~too_slow & ~db_fail
        lat[good] = served_lat[good]
        lat[too_slow] = c.request_timeout_s
        cause[shed | too_slow] = F_OVERLOAD
        lat[db_fail & ~too_slow] = served_lat[db_fail & ~too_slow]
        cause[db_fail & ~too_slow] = np.where(gray, F_GRAY, F_DB)[db_fail & ~too_slow]
        bad = klass - 2 * nz
        cause[bad == K_REFUSED] = F_REFUSED
        cause[bad == K_NO_TARGET] = F_NO_TARGET
        cause[bad == K_BLACKHOLE] = F_BLACKHOLE
        lat[bad == K_BLACKHOLE] = min(m.lb_connect_timeout_s, c.request_timeout_s)
        cause[bad == K_HUNG] = F_HUNG
        lat[bad == K_HUNG] = c.request_timeout_s
        finish = tau + lat
        elapsed = finish - self.t0[idx]
        in_time = elapsed <= c.customer_timeout_s
        win = good & in_time
        fin_sec = np.minimum(finish.astype(np.int64), self.served.shape[1] - 1)
        np.add.at(self.served, (zu[win], fin_sec[win]), self.weight[idx][win])
        self.ok[idx[win]] = True
        self.ack_t[idx[win & order]] = finish[win & order]
        self.lat[idx] = np.minimum(elapsed, c.customer_timeout_s)
        failed = ~win
        np.add.at(self.failed, (zone[failed], fin_sec[failed]), self.weight[idx][failed])
        answered = ~good & node_ok  # a 5xx from the load balancer (not a connect timeout)
        np.add.at(self.lb_errors, fin_sec[answered], self.weight[idx][answered])
        self.causes[idx[failed]] = np.where(good[failed], F_SLOW, cause[failed])
        delay = np.zeros(idx.size)
        retry = failed & in_time & (k < c.max_attempts)
        for attempt in np.unique(k[retry]):
            sel = retry & (k == attempt)
            delay[sel] = c.delays(int(attempt), self.prev_delay[idx][sel], u[6][sel])
        nxt = finish + delay
        retry &= (nxt - self.t0[idx]) < c.customer_timeout_s
        if c.retry_budget:
            timed_out = np.isin(cause, (F_CONNECT, F_BLACKHOLE, F_HUNG)) | too_slow
            cost = np.where(timed_out, c.timeout_retry_cost, c.retry_cost)
            retry &= u[7] * cost < self.tokens  # an empty bucket stops retries
            self.spent += float((self.weight[idx] * cost * retry).sum())
            self.refund += float(self.weight[idx][win].sum())
        if c.dns_fallback:
            self.shift[idx[~node_ok]] += 1
        r = idx[retry]
        self.t_next[r] = nxt[retry]
        self.k_next[r] += 1
        self.prev_delay[r] = delay[retry]
        self.retried[r] = True
        return r

    def _pick_node(self, idx: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Which zone's load-balancer node each client connects to, from its cached answer."""
        w, ttl = self.world, self.sc.model.dns_ttl_s
        resolved = self.t0[idx] - self.age[idx]
        resolved = resolved + np.floor((tau - resolved) / ttl) * ttl
        rtick = np.clip((resolved / w.tick_s).astype(np.int64), 0, w.ticks - 1)
        mask = w.dns_mask[rtick]
        zone = np.zeros(idx.size, dtype=np.int64)
        for value in np.unique(mask):
            sel = mask == value
            mem = self.members[int(value)]
            if mem.size == 0:
                mem = self.members[-1]
            pos = np.floor(self.u_node[idx][sel] * mem.size).astype(np.int64) + self.shift[idx][sel]
            zone[sel] = mem[pos % mem.size]
        return zone


def _mask_members(nz: int) -> list[np.ndarray]:
    """For each DNS bitmask, the zones it hands out, in order; the last entry is every zone."""
    return [np.array([z for z in range(nz) if v >> z & 1], dtype=np.int64) for v in range(1 << nz)]
