"""The fast engine: a fixed number of sampled customers per virtual second over a load model.

Cost does not grow with the request rate. Each virtual second gets ``samples_per_s``
customers (stratified in time and in the DNS answer they pick); each one is traced through
DNS, the load-balancer node, the target and every retry, and stands for rate / samples_per_s
real requests. Load on the instances is the rate times the expected routing shares (not the
sampled ones, so it carries no sampling noise); retries add their load, and the queue state
that load produces is found by a few damped fixed-point passes over the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaoscli.sim.queueing import backlog, erlang_c
from chaoscli.sim.scenario import Scenario
from chaoscli.sim.world import K_BLACKHOLE, K_HUNG, K_NO_TARGET, K_REFUSED, World, build_world

# Why an attempt failed
F_NONE, F_CONNECT, F_REFUSED, F_BLACKHOLE, F_HUNG, F_NO_TARGET, F_OVERLOAD, F_SLOW = range(8)


@dataclass
class RunResult:
    """Per-sample outcomes and per-second series of one simulated run."""

    world: World
    samples_per_s: int
    rate: np.ndarray  # (seconds,) offered requests/s
    ok: np.ndarray  # (samples,) customer saw success
    latency_s: np.ndarray  # (samples,) time to success, or to giving up
    retried: np.ndarray  # (samples,) needed more than one attempt
    attempts: np.ndarray  # (seconds,) attempts sent (retry amplification)
    served: np.ndarray  # (zones, seconds) successful requests per target zone
    load: np.ndarray  # (zones, seconds) requests/s reaching up targets
    utilisation: np.ndarray  # (zones, seconds)
    causes: np.ndarray  # (samples,) last failure cause of visible errors

    @property
    def seconds(self) -> int:
        """Length of the run in whole seconds."""
        return len(self.rate)

    def per_second(self, values: np.ndarray) -> np.ndarray:
        """Mean of a per-sample quantity within each second."""
        return values.reshape(self.seconds, self.samples_per_s).mean(axis=1)


class Engine:
    """Runs a scenario; deterministic for a given seed."""

    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        self.world = build_world(scenario)

    def run(self) -> RunResult:
        """Simulate the whole run and return its outcomes."""
        sc, w = self.sc, self.world
        rate = sc.traffic.rate_per_second()
        secs, s = len(rate), sc.engine.samples_per_s
        rng = np.random.default_rng([sc.engine.seed, 2])
        grid = np.tile(np.arange(s, dtype=float), (secs, 1))
        t0 = np.arange(secs)[:, None] + (rng.permuted(grid, axis=1) + rng.random(grid.shape)) / s
        u_node = (rng.permuted(grid, axis=1) + rng.random(grid.shape)) / s
        self.t0 = t0.ravel()
        self.u_node = u_node.ravel()
        self.age = rng.random(self.t0.size) * sc.model.dns_ttl_s
        self.weight = np.repeat(rate / s, s)
        nz = len(w.azs)
        load = np.zeros((nz, secs))
        out = None
        for it in range(max(1, sc.engine.load_iterations)):
            queue = self._queue_state(load)
            out = self._trace(queue)
            new_load = out[-1]
            if it and np.allclose(new_load, load, rtol=0.01, atol=1.0):
                load = new_load
                break
            load = new_load if it == 0 else 0.5 * (load + new_load)
        assert out is not None
        ok, lat, retried, attempts, served, causes, _ = out
        queue = self._queue_state(load)
        return RunResult(
            world=w,
            samples_per_s=s,
            rate=rate,
            ok=ok,
            latency_s=lat,
            retried=retried,
            attempts=attempts,
            served=served,
            load=load,
            utilisation=queue["util"],
            causes=causes,
        )

    # ------------------------------------------------------------------------------------
    def _queue_state(self, load: np.ndarray) -> dict[str, np.ndarray]:
        """Per zone and second: backlog wait, dropped share, P(wait) and spare service rate."""
        w, m, c = self.world, self.sc.model, self.sc.clients
        secs = load.shape[1]
        per_tick = round(1 / w.tick_s)
        serving = w.serving[: secs * per_tick].reshape(secs, per_tick, -1).mean(axis=1).T
        workers = m.workers_per_instance
        mu = 1.0 / m.service_time_s
        out = {k: np.zeros_like(load) for k in ("wait", "drop", "pw", "spare", "util")}
        for z in range(load.shape[0]):
            n = np.maximum(serving[z], 1e-9)
            lam = load[z] / n  # per instance
            cap = np.where(serving[z] > 0, m.instance_capacity_rps, 0.0)
            wait, drop = backlog(lam, cap, c.request_timeout_s)
            out["wait"][z], out["drop"][z] = wait, drop
            out["pw"][z] = erlang_c(workers, lam / mu)
            out["spare"][z] = np.maximum(workers * mu - lam, 1e-9)
            out["util"][z] = np.where(cap > 0, lam / np.maximum(cap, 1e-9), 0.0)
        return out

    def _trace(self, q: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """Follow every sampled customer through all its attempts."""
        sc, w, c, m = self.sc, self.world, self.sc.clients, self.sc.model
        t0, weight = self.t0, self.weight
        n, nz, secs = t0.size, len(w.azs), len(self.sc.traffic.rate_per_second())
        t = t0.copy()
        shift = np.zeros(n, dtype=np.int64)
        prev_delay = np.zeros(n)
        done = np.zeros(n, dtype=bool)
        ok = np.zeros(n, dtype=bool)
        retried = np.zeros(n, dtype=bool)
        lat = np.zeros(n)
        causes = np.zeros(n, dtype=np.int8)
        attempts = np.zeros(secs)
        served = np.zeros((nz, secs))
        load = np.zeros((nz, secs))
        members = _mask_members(nz)
        for k in range(1, c.max_attempts + 1):
            rng = np.random.default_rng([sc.engine.seed, 3, k])
            u = rng.random((6, n))
            idx = np.nonzero(~done)[0]
            if idx.size == 0:
                break
            tau = t[idx]
            tick = np.clip((tau / w.tick_s).astype(np.int64), 0, w.ticks - 1)
            sec = np.clip(tau.astype(np.int64), 0, secs - 1)
            attempts += np.bincount(sec, weights=weight[idx], minlength=secs)
            zone = self._pick_node(idx, tau, shift, members)
            node_ok = w.node_up[tick, zone]
            probs = w.route[tick, zone]  # (m, nz + 4)
            cum = np.cumsum(probs, axis=1)
            klass = (u[0, idx, None] >= cum).sum(axis=1)
            klass = np.where(node_ok, np.minimum(klass, probs.shape[1] - 1), -1)
            # expected load on up targets, without sampling noise
            for z in range(nz):
                load[z] += np.bincount(
                    sec, weights=weight[idx] * probs[:, z] * node_ok, minlength=secs
                )
            a_lat = np.full(idx.size, m.network_s)
            a_ok = np.zeros(idx.size, dtype=bool)
            cause = np.full(idx.size, F_NONE, dtype=np.int8)
            cause[~node_ok] = F_CONNECT
            a_lat[~node_ok] = c.connect_timeout_s
            up = (klass >= 0) & (klass < nz)
            zu = np.where(up, klass, 0)
            su = sec
            dropped = up & (u[1, idx] < q["drop"][zu, su])
            waits = q["wait"][zu, su] + np.where(
                u[2, idx] < q["pw"][zu, su], -np.log1p(-u[3, idx]) / q["spare"][zu, su], 0.0
            )
            service = -np.log1p(-u[4, idx]) * m.service_time_s
            served_lat = m.network_s + waits + service
            too_slow = up & ~dropped & (served_lat > c.request_timeout_s)
            good = up & ~dropped & ~too_slow
            a_ok[good] = True
            a_lat[good] = served_lat[good]
            a_lat[dropped | too_slow] = c.request_timeout_s
            cause[dropped | too_slow] = F_OVERLOAD
            bad = klass - nz
            cause[bad == K_REFUSED] = F_REFUSED
            cause[bad == K_NO_TARGET] = F_NO_TARGET
            cause[bad == K_BLACKHOLE] = F_BLACKHOLE
            a_lat[bad == K_BLACKHOLE] = min(m.lb_connect_timeout_s, c.request_timeout_s)
            cause[bad == K_HUNG] = F_HUNG
            a_lat[bad == K_HUNG] = c.request_timeout_s
            finish = tau + a_lat
            elapsed = finish - t0[idx]
            in_time = elapsed <= c.customer_timeout_s
            win = a_ok & in_time
            fin_sec = np.clip(finish.astype(np.int64), 0, secs - 1)
            for z in range(nz):
                sel = win & (zu == z)
                served[z] += np.bincount(fin_sec[sel], weights=weight[idx][sel], minlength=secs)
            ok[idx[win]] = True
            lat[idx] = np.minimum(elapsed, c.customer_timeout_s)
            failed = ~a_ok | ~in_time
            causes[idx[failed]] = np.where(a_ok[failed], F_SLOW, cause[failed])
            retry_ok = failed & in_time & (k < c.max_attempts) & c.may_retry(k)
            delay = c.delays(k, prev_delay[idx], u[5, idx])
            nxt = finish + delay
            retry_ok &= (nxt - t0[idx]) < c.customer_timeout_s
            if c.dns_fallback:
                shift[idx[~node_ok]] += 1
            done[idx[~retry_ok]] = True
            r = idx[retry_ok]
            t[r] = nxt[retry_ok]
            prev_delay[r] = delay[retry_ok]
            retried[r] = True
        causes[ok] = F_NONE
        return ok, lat, retried, attempts, served, causes, load

    def _pick_node(
        self, idx: np.ndarray, tau: np.ndarray, shift: np.ndarray, members: list[np.ndarray]
    ) -> np.ndarray:
        """Which zone's load-balancer node each client connects to, from its cached answer."""
        w, ttl = self.world, self.sc.model.dns_ttl_s
        resolved = self.t0[idx] - self.age[idx]
        resolved = resolved + np.floor((tau - resolved) / ttl) * ttl
        rtick = np.clip((resolved / w.tick_s).astype(np.int64), 0, w.ticks - 1)
        mask = w.dns_mask[rtick]
        zone = np.zeros(idx.size, dtype=np.int64)
        for value in np.unique(mask):
            sel = mask == value
            mem = members[int(value)]
            if mem.size == 0:
                mem = members[-1]
            pos = np.floor(self.u_node[idx][sel] * mem.size).astype(np.int64) + shift[idx][sel]
            zone[sel] = mem[pos % mem.size]
        return zone


def _mask_members(nz: int) -> list[np.ndarray]:
    """For each DNS bitmask, the zones it hands out, in order; the last entry is every zone."""
    return [np.array([z for z in range(nz) if v >> z & 1], dtype=np.int64) for v in range(1 << nz)]
