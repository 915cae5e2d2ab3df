"""The fast engine: a fixed number of sampled customers per virtual second over a load model.

Cost does not grow with the request rate. Each virtual second gets ``samples_per_s``
customers (stratified in time and in the DNS answer they pick); each one is traced through
DNS, the load-balancer node, the target and every retry, and stands for rate / samples_per_s
real requests. Seconds are processed in order: the load on each zone in a second is the
weight of every attempt that falls in it (first tries and retries scheduled earlier) times
the expected routing shares, so overload and retry storms feed back causally. Runs of
quiet seconds, where no customer retries, are simulated together (:mod:`chaoscli.sim.stretch`)
with the same figures as one by one.

Memory does not grow with the run's length beyond per-second series: customers are drawn
one block of seconds at a time and, once their timeout has passed and their outcomes are
final, harvested into per-second counts, the slow tails of the judged windows and the order
ledger, then dropped.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from chaoscli.sim import stretch
from chaoscli.sim.attempt import Draws, Outcome, Target, outcome, pick_target, serve, timed_out
from chaoscli.sim.auto_scaling_model import Scaler, ScalingParams
from chaoscli.sim.customers import CustomerDraws
from chaoscli.sim.engine_state import Backlog, QueueState, RetryBudget, Route, SecondSeries
from chaoscli.sim.harvest import Harvest
from chaoscli.sim.limits import SETTLE_MARGIN_S
from chaoscli.sim.orders import Ledger
from chaoscli.sim.queueing import erlang_c
from chaoscli.sim.results import (
    F_SLOW,
    CustomerSeconds,
    RunResult,
    RunSoFar,
    SecondStats,
)
from chaoscli.sim.routing import Router
from chaoscli.sim.scenario import Scenario
from chaoscli.sim.streams import Streams
from chaoscli.sim.tally import BY_TARGET, Tally, lb_answers
from chaoscli.sim.world import Event, build_world

RHO_GRID = np.linspace(0.0, 0.9999, 4001)
BLOCK_SAMPLES = 120_000  # customers drawn at a time: a minute at the default resolution
STRETCH_S = 2  # the first quiet stretch after a second that was not quiet
STRETCH_MAX_S = 16  # at most: longer ones gain nothing once their arrays outgrow the caches

__all__ = ["Engine", "RunResult", "SecondStats"]

OnSecond = Callable[[SecondStats], None]


class Engine:
    """Runs a scenario second by second; deterministic for a given seed.

    ``run`` simulates the whole scenario; ``advance`` goes on to a time and stops, so that a
    caller can look at the figures so far (``result``) before going on.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.world = build_world(scenario)
        model, zones = scenario.model, len(self.world.azs)
        self.rate = scenario.traffic.rate_per_second()
        self.seconds = len(self.rate)
        self.per_second = scenario.engine.samples_per_s
        self.streams = Streams.from_seed(scenario.engine.seed)
        self.draws = CustomerDraws(
            self.streams,
            self.seconds,
            self.per_second,
            model.dns_ttl_s,
            scenario.traffic.checkout_share,
        )
        self.block_s = max(1, min(60, BLOCK_SAMPLES // self.per_second))
        self.customers = self.draws.block(0, self.rate[: self.block_s])
        self.drawn = min(self.block_s, self.seconds)  # seconds whose customers are drawn
        timeout = scenario.clients.customer_timeout_s
        self.settle_s = math.ceil(timeout) + SETTLE_MARGIN_S  # after it, outcomes are final
        self.harvest = Harvest(
            self.world,
            self.rate,
            self.per_second,
            scenario.engine.patience_s,
            model.order_drain_rps,
            self._windows(scenario),
        )
        self.known_errors = np.zeros(self.seconds)
        # per second simulated: (known second, latency) of the successes settled in it
        self.known: deque[tuple[np.ndarray, np.ndarray]] = deque()
        self.known_s = math.ceil(scenario.engine.stop_window_s) + self.settle_s + 1
        self.series = SecondSeries.zeros(zones, self.seconds)
        self.backlog = Backlog.empty(zones)
        self.budget = RetryBudget(scenario.clients)
        self.busy_table = erlang_c(
            model.workers_per_instance, RHO_GRID * model.workers_per_instance
        )
        self.serving = self._serving_per_second()
        self.router = self._router()
        self.scaler = self._scaler()
        self.added = np.zeros(zones)  # instances Auto Scaling added, per zone
        self.pending: dict[int, list[np.ndarray]] = {}  # retries by second, run-wide indices
        self.now = 0  # the seconds before this one are done
        self.calm = False  # the last second was quiet: see chaoscli.sim.stretch
        self.span = STRETCH_S  # the seconds the next quiet stretch tries
        self._final: tuple[CustomerSeconds, Ledger, dict] | None = None  # once the run is over

    # --- the run ------------------------------------------------------------------------
    def run(self, on_second: OnSecond | None = None) -> RunResult:
        """Simulate the whole run, second by second; ``on_second`` sees each one as it ends.

        Attempts of a customer can end in later seconds, so the figures passed on are the
        attempts made in that second, not the customers' final outcomes.
        """
        self.advance(self.seconds, on_second)
        return self.result()

    def advance(self, until_s: float, on_second: OnSecond | None = None) -> None:
        """Simulate every second that starts before ``until_s`` and is not done yet."""
        end = self.seconds if until_s >= self.seconds else math.ceil(until_s)
        while self.now < end:
            if on_second is None:
                done = self._stretch(end)
                if done:
                    self.now += done
                    continue
            self._second(self.now)
            self.now += 1
            if on_second is not None:
                on_second(self._second_stats(self.now - 1))

    def _stretch(self, end: int) -> int:
        """Simulate the quiet seconds ahead in one batch, when the last second was quiet and
        the next ones hold no retry; how many seconds that did (0: none, go second by second).

        A stretch that runs through doubles the next one, up to ``STRETCH_MAX_S`` and never
        past the customers drawn.
        """
        first = self.now
        last = min(end, self.drawn, first + self.span)
        last = min([last, *(t for t in self.pending if t < last)])
        if not self.calm or last - first < 2:
            return 0
        done = stretch.run(self, first, last)
        self.calm = done == last - first
        self.span = min(2 * self.span, self.block_s, STRETCH_MAX_S) if self.calm else STRETCH_S
        return done

    def result(self) -> RunResult:
        """The figures so far (final once every second is done); the input world is untouched."""
        series = self.series
        events = list(self.world.events)
        if self.scaler is not None:
            events += [Event(t, "asg", msg) for t, msg in self.scaler.events]
            events.sort(key=lambda e: e.t)
        world = replace(self.world, events=events)
        found = self._final
        if found is None:
            over = self.now >= self.seconds  # nothing more to harvest into: no copy needed
            held = self.now - self.harvest.done
            found = self.harvest.final(self.customers, held, keep=not over)
            if over:
                self._final = found
        counts, ledger, tails = found
        return RunResult(
            world=world,
            samples_per_s=self.per_second,
            rate=self.rate,
            attempts=series.attempts,
            served=series.served,
            load=series.load,
            utilisation=series.utilisation,
            lb_errors=series.lb_errors,
            customers=counts,
            ledger=ledger,
            tails=tails,
        )

    def so_far(self) -> RunSoFar:
        """The figures up to now, without copies: what a stop condition reads as the run goes."""
        series = self.series
        return RunSoFar(
            world=self.world,
            samples_per_s=self.per_second,
            seconds_done=self.now,
            rate=self.rate,
            attempts=series.attempts,
            served=series.served,
            lb_errors=series.lb_errors,
            requests=series.requests,
            elb_5xx=series.elb_5xx,
            client_closed=series.client_closed,
            answered=series.answered,
            response_s=series.response_s,
            known_errors=self.known_errors,
            known_latency=self._known_latency,
            patience_s=self.scenario.clients.customer_timeout_s,
        )

    def _known_latency(self, first: int, last: int) -> np.ndarray:
        """Latencies of the successes whose customers knew their outcome in [first, last]."""
        if last - first + 1 + self.settle_s + 1 > self.known_s:
            raise ValueError(
                f"successes' latencies are kept for {self.known_s - self.settle_s - 1} s, "
                f"not {last - first + 1} s"
            )
        if first - self.settle_s - 1 < self.now - len(self.known) and len(self.known) < self.now:
            raise ValueError(f"successes' latencies known at {first} s are no longer kept")
        if not self.known:
            return np.zeros(0)
        known = np.concatenate([k for k, _ in self.known])
        latency = np.concatenate([lat for _, lat in self.known])
        return latency[(known >= first) & (known <= last)]

    @staticmethod
    def _windows(scenario: Scenario) -> list[tuple[int, int]]:
        """The judged windows as whole seconds [a, b), as the window metrics read them."""
        seconds = len(scenario.traffic.rate_per_second())
        out = []
        for start, end in scenario.windows:
            a = max(0, math.floor(start))
            out.append((a, min(seconds, max(a + 1, math.ceil(end)))))
        return out

    def resume(self, scenario: Scenario) -> None:
        """Go on from now under a changed scenario (a method cut short at this second).

        The world and the traffic change from now on; the customers already sampled, the
        retries scheduled, the backlogs, Auto Scaling and the retry budget carry over.
        """
        rate = scenario.traffic.rate_per_second()
        if len(rate) != self.seconds:
            raise ValueError("a resumed scenario must keep the run's length")
        self.scenario = scenario
        self.world = build_world(scenario)
        self.router = self._router()
        self.rate = np.concatenate([self.rate[: self.now], rate[self.now :]])
        s, cust = self.per_second, self.customers
        start = self.now * s - cust.offset
        cust.weight[start:] = np.repeat(self.rate[self.now : self.drawn] / s, s)
        self.serving = self._serving_per_second()
        self.harvest.book.follow(self.world)
        self.harvest.retrack(self.rate)
        for a, b in self._windows(scenario):
            self.harvest.track(a, b, self.rate)
        if self.scaler is not None:
            self.scaler.snaps = sorted(scenario.snapshots, key=lambda snap: snap.t)
            self.scaler.marks = self.world.unhealthy_marks

    def _router(self) -> Router:
        """DNS and the load balancer's nodes over the current world."""
        lb = self.scenario.snapshots[0].topology.load_balancer
        return Router(self.world, self.scenario.model.dns_ttl_s, lb, self.scenario.clients)

    def _serving_per_second(self) -> np.ndarray:
        """(seconds, zones) up targets taking traffic, each second's mean over its ticks."""
        world = self.world
        per_tick = round(1 / world.tick_s)
        serving = world.serving[: self.seconds * per_tick]
        return serving.reshape(self.seconds, per_tick, len(world.azs)).mean(axis=1)

    def _second(self, sec: int) -> None:
        """One virtual second: scale, route, queue, then every attempt made in it."""
        self._draw_ahead(sec)
        s, off = self.per_second, self.customers.offset
        retries = self.pending.pop(sec, [])
        who = np.concatenate([np.arange(sec * s, (sec + 1) * s), *retries]) - off
        first = who
        self._scale(sec)
        route = self.router.route(self.customers, who, self.added)
        expected = self.router.expected_load(self.customers, who, route) + self.backlog.intra
        queue = self._queue_step(sec, expected)
        actual = expected - self.backlog.intra
        settled: list[np.ndarray] = []
        while who.size:
            later = self._attempt(who, sec, queue, route, settled)
            if later.size == 0:
                break
            when = np.minimum(self.customers.next_at[later], self.seconds - 1e-9).astype(np.int64)
            now = later[when == sec]
            for target in np.unique(when[when > sec]):
                self.pending.setdefault(int(target), []).append(later[when == target] + off)
            if now.size:
                route = self.router.route(self.customers, now, self.added)
                actual += self.router.expected_load(self.customers, now, route)
            who = now
        self._settle_backlog(sec, expected, actual)
        self._observe_scaling(sec)
        self.budget.settle(float(self.rate[sec]))
        self._known(settled)
        self.calm = not retries and bool(self.customers.ok[first].all())

    def _draw_ahead(self, sec: int) -> None:
        """Draw the next block of customers when ``sec`` needs it; harvest and drop those
        whose outcomes are final."""
        if sec < self.drawn:
            return
        final = max(0, max(0, sec - self.settle_s) - self.harvest.done)
        if final > 0:
            self.harvest.take(self.customers, final)
        end = min(self.seconds, self.drawn + self.block_s)
        block = self.draws.block(self.drawn, self.rate[self.drawn : end])
        self.customers.roll(final * self.per_second, block)
        self.drawn = end

    def _known(self, settled: list[np.ndarray]) -> None:
        """Customers settled this second: their visible errors by the second they knew, and
        the latencies of the successes, kept as long as a stop condition may look back."""
        cust = self.customers
        who = np.concatenate(settled) if settled else np.zeros(0, dtype=np.int64)
        known = np.floor(cust.arrival[who] + cust.latency[who]).astype(np.int64)
        ok = cust.ok[who]
        inside = known < self.seconds
        failed = ~ok & inside
        if failed.any():
            at, weight = known[failed], cust.weight[who][failed]
            lo = int(at.min())
            self.known_errors[lo : int(at.max()) + 1] += np.bincount(at - lo, weight)
        self.known.append((known[ok], cust.latency[who][ok]))
        while len(self.known) > self.known_s:
            self.known.popleft()

    # --- Auto Scaling -------------------------------------------------------------------
    def _scaler(self) -> Scaler | None:
        """Auto Scaling, if the stack has a group and the model is asked to act for it."""
        scenario, world = self.scenario, self.world
        group = scenario.snapshots[0].topology.autoscaling
        if group is None or not scenario.model.autoscaling:
            return None
        lb = scenario.snapshots[0].topology.load_balancer
        checks = lb.health_check.interval_s * lb.health_check.healthy_threshold if lb else 0.0
        model = scenario.model
        params = ScalingParams(
            replace_after_s=model.asg_replace_after_s,
            alarm_periods=model.asg_alarm_periods,
            ready_after_s=model.boot_s + checks,
            recheck_s=checks,
        )
        snaps = sorted(scenario.snapshots, key=lambda s: s.t)
        return Scaler(group, snaps, world.azs, params, marks=world.unhealthy_marks)

    def _scale(self, sec: int) -> None:
        """The instances Auto Scaling has added by this second."""
        if self.scaler is not None:
            world = self.world
            tick = min(world.ticks - 1, int(sec / world.tick_s))
            self.added = self.scaler.extra(float(sec), world.zone_up[tick])

    def _observe_scaling(self, sec: int) -> None:
        """Auto Scaling's target tracking sees the second's mean utilisation."""
        if self.scaler is not None:
            n_up = self.serving[sec] + self.added
            util = self.series.utilisation[:, sec]
            self.scaler.observe(sec, float((util * n_up).sum() / max(n_up.sum(), 1e-9)))

    # --- queueing -----------------------------------------------------------------------
    def _queue_step(self, sec: int, load: np.ndarray) -> QueueState:
        """Advance each zone's backlog by one second: wait, shed share and P(wait)."""
        model = self.scenario.model
        cap = model.instance_capacity_rps
        n = self.serving[sec] + self.added
        lam = np.where(n > 0, load / np.maximum(n, 1e-9), 0.0)  # per instance
        held = self.backlog.held + lam - cap
        limit = cap * model.queue_limit_s
        drop = np.where(lam > 0, np.clip((held - limit) / np.maximum(lam, 1e-9), 0, 1), 0.0)
        self.backlog.held = np.clip(held, 0.0, limit)
        wait = np.where(n > 0, self.backlog.held / cap, 0.0)
        rho = lam / cap
        steady = (rho < 1) & (self.backlog.held == 0)
        busy = np.where(steady, np.interp(rho, RHO_GRID, self.busy_table), 0.0)
        mu = 1.0 / model.service_time_s
        spare = np.maximum(model.workers_per_instance * mu - lam, 1e-9)
        self.series.utilisation[:, sec] = rho
        return QueueState(wait=wait, drop=drop, busy=busy, spare=spare)

    def _settle_backlog(self, sec: int, expected: np.ndarray, actual: np.ndarray) -> None:
        """Retries within the second were estimated; charge the difference to the backlog."""
        self.backlog.intra = np.maximum(actual - (expected - self.backlog.intra), 0.0)
        n_up = self.serving[sec] + self.added
        per_instance = np.where(n_up > 0, (actual - expected) / np.maximum(n_up, 1e-9), 0)
        self.backlog.held = np.maximum(self.backlog.held + per_instance, 0)
        self.series.load[:, sec] = actual

    # --- one batch of attempts ------------------------------------------------------------
    def _attempt(
        self,
        who: np.ndarray,
        sec: int,
        queue: QueueState,
        route: Route,
        settled: list[np.ndarray],
    ) -> np.ndarray:
        """One attempt for each client in ``who``; returns those who will retry (and adds to
        ``settled`` those who will not)."""
        scenario = self.scenario
        draws = Draws.take(self.streams, 1, who.size)
        weight = self.customers.weight[who]
        self.series.attempts[sec] += weight.sum()
        zones = len(self.world.azs)
        self.series.requests[:, sec] += np.bincount(route.zone, weight * route.node_ok, zones)
        target = pick_target(self.world, route, draws.pick)
        is_order = self.customers.is_order[who]
        served = serve(self.world, scenario.model, route, target, queue, is_order, draws)
        result = outcome(self.world, scenario.model, scenario.clients, target, served)
        finish, in_time, won = self._account(who, weight, route, target, result)
        again, done = self._retry(who, weight, route, result, finish, in_time, won, draws)
        settled.append(done)
        return again

    def _account(
        self, who: np.ndarray, weight: np.ndarray, route: Route, target: Target, result: Outcome
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Accounting: successes and failures per second and zone, and each customer's outcome.

        Returns when each attempt finished, whether that is within the customer's patience,
        and whether the customer is served.
        """
        cust, series, patience = self.customers, self.series, self.scenario.clients
        finish = route.tau + result.latency_s
        elapsed = finish - cust.arrival[who]
        in_time = elapsed <= patience.customer_timeout_s
        won = result.good & in_time
        fin_sec = np.minimum(finish.astype(np.int64), self.seconds - 1)
        # (zone, finishing second) of each attempt, by the target's zone and by the node's
        by_zone = Tally(target.zone, fin_sec)
        by_node = by_zone.by(route.zone)
        by_zone.add(series.served, weight, won)
        # the target's answer, 2xx or its own 5xx (a database error, a gray error, a full queue)
        by_target = ~result.too_slow & BY_TARGET[result.cause]
        by_target &= route.node_ok
        cust.ok[who[won]] = True
        order = won & cust.is_order[who]
        cust.ack_t[who[order]] = finish[order]
        cust.latency[who] = np.minimum(elapsed, patience.customer_timeout_s)
        failed = ~won
        elb, closed = lb_answers(result, route, self.scenario)
        by_node.add_each(
            (series.answered, weight * by_target),
            (series.response_s, weight * result.latency_s * by_target),
            (series.failed, weight * failed),
            (series.elb_5xx, weight * elb),
            (series.client_closed, weight * closed),
        )
        by_node.add_all(series.lb_errors, weight * elb)
        cust.cause[who[failed]] = np.where(result.good[failed], F_SLOW, result.cause[failed])
        return finish, in_time, won

    def _retry(
        self,
        who: np.ndarray,
        weight: np.ndarray,
        route: Route,
        result: Outcome,
        finish: np.ndarray,
        in_time: np.ndarray,
        won: np.ndarray,
        draws: Draws,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backoff and the retry budget: who tries again, and when (and who does not)."""
        cust, clients = self.customers, self.scenario.clients
        attempt = cust.next_attempt[who]
        delay = np.zeros(who.size)
        retry = ~won & in_time & (attempt < clients.max_attempts)
        for number in np.unique(attempt[retry]):
            sel = retry & (attempt == number)
            delay[sel] = clients.delays(int(number), cust.prev_delay[who[sel]], draws.backoff[sel])
        next_at = finish + delay
        retry &= (next_at - cust.arrival[who]) < clients.customer_timeout_s
        if clients.retry_budget:
            cost = self.budget.cost(timed_out(result))
            retry &= self.budget.allows(draws.budget, cost)
            self.budget.charge(weight, cost, retry)
            self.budget.credit(weight[won])
        if clients.dns_fallback:
            cust.dns_shift[who[~route.node_ok]] += 1
        done = who[~retry]
        cust.settled[done] = True
        again = who[retry]
        cust.next_at[again] = next_at[retry]
        cust.next_attempt[again] += 1
        cust.prev_delay[again] = delay[retry]
        cust.retried[again] = True
        return again, done

    def _second_stats(self, sec: int) -> SecondStats:
        """What happened in one second, for a live view."""
        world, series = self.world, self.series
        tick = min(world.ticks - 1, int(sec / world.tick_s))
        return SecondStats(
            t=sec,
            offered=float(self.rate[sec] / self.per_second * self.per_second),
            attempts=float(series.attempts[sec]),
            served={az: float(series.served[z, sec]) for z, az in enumerate(world.azs)},
            failed={az: float(series.failed[z, sec]) for z, az in enumerate(world.azs)},
            utilisation={az: float(series.utilisation[z, sec]) for z, az in enumerate(world.azs)},
            db_writable=bool(world.db_writable[tick]),
        )
