"""Quiet stretches: runs of seconds in which every customer's first attempt is served in
time, simulated together.

In a quiet second nobody retries, so its attempts depend on no other second's outcomes, only
on the queues, and those follow from the expected load alone. Most seconds of most runs are
quiet (an az-outage whose clients fall back to the next address is quiet throughout), so the
engine routes and serves a stretch of them in one pass of array operations instead of one
pass per second. Each stream gives the same draws in the same order, and every sum adds the
same terms in the same order, so the figures are those of simulating each second alone, to
the bit. A stretch ends before its first second that is not quiet; what it did past that
second is undone, and the engine simulates that second alone.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from chaoscli.sim.attempt import ATTEMPT_DRAWS, Draws, Outcome, Target, outcome, pick_target, serve
from chaoscli.sim.auto_scaling_model import Scaler
from chaoscli.sim.customers import Customers
from chaoscli.sim.engine_state import Backlog, QueueState, RetryBudget, Route, SecondSeries
from chaoscli.sim.routing import Router
from chaoscli.sim.scenario import Scenario
from chaoscli.sim.streams import Streams
from chaoscli.sim.tally import BY_TARGET
from chaoscli.sim.world import World


class Stepper(Protocol):
    """What a stretch needs of the engine: its state, and its steps of one second."""

    scenario: Scenario
    world: World
    rate: np.ndarray
    seconds: int
    per_second: int
    streams: Streams
    customers: Customers
    series: SecondSeries
    backlog: Backlog
    budget: RetryBudget
    router: Router
    scaler: Scaler | None
    added: np.ndarray
    known: deque[tuple[np.ndarray, np.ndarray]]
    known_s: int

    def _scale(self, sec: int) -> None: ...

    def _queue_step(self, sec: int, load: np.ndarray) -> QueueState: ...

    def _settle_backlog(self, sec: int, expected: np.ndarray, actual: np.ndarray) -> None: ...

    def _observe_scaling(self, sec: int) -> None: ...


@dataclass
class _Before:
    """What a stretch changes before it knows how far it is quiet: to go back to."""

    held: np.ndarray
    intra: np.ndarray
    budget: tuple[float, float, float]
    scaler: Scaler | None
    added: np.ndarray

    @classmethod
    def take(cls, eng: Stepper) -> _Before:
        budget = eng.budget
        return cls(
            eng.backlog.held.copy(),
            eng.backlog.intra.copy(),
            (budget.tokens, budget.spent, budget.refund),
            eng.scaler.copy() if eng.scaler is not None else None,
            eng.added,
        )

    def restore(self, eng: Stepper, first: int, last: int) -> None:
        """Back to before the stretch [first, last) began (once: what was kept is handed back)."""
        eng.backlog.held, eng.backlog.intra = self.held, self.intra
        eng.budget.tokens, eng.budget.spent, eng.budget.refund = self.budget
        eng.scaler = self.scaler
        eng.added = self.added
        eng.series.load[:, first:last] = 0.0
        eng.series.utilisation[:, first:last] = 0.0


class _Batch(NamedTuple):
    """A stretch's first attempts, one array entry per attempt, in order of their seconds."""

    who: np.ndarray
    weight: np.ndarray
    route: Route
    target: Target
    result: Outcome
    finish: np.ndarray
    elapsed: np.ndarray
    won: np.ndarray

    def head(self, n: int) -> _Batch:
        """The first ``n`` attempts."""
        return _Batch(
            self.who[:n],
            self.weight[:n],
            Route(*(f[:n] for f in self.route)),
            Target(*(f[:n] for f in self.target)),
            Outcome(*(f[:n] for f in self.result)),
            self.finish[:n],
            self.elapsed[:n],
            self.won[:n],
        )


def run(eng: Stepper, first: int, last: int) -> int:
    """Simulate the seconds [first, last) as a stretch, up to its first second that is not
    quiet; how many seconds were simulated (0: ``first`` is not quiet, nothing changed).

    The seconds must hold no retry scheduled before and their customers must be drawn.
    """
    s, cust = eng.per_second, eng.customers
    before = _Before.take(eng)
    eng._scale(first)
    added = eng.added
    who = np.arange(first * s, last * s) - cust.offset
    shifts = cust.dns_shift[who]  # routing moves clients past dark nodes: to undo
    route = eng.router.route(cust, who, added)
    loads = eng.router.expected_each(cust, who, route, last - first)
    weight = cust.weight[who]
    queues = _plan(eng, first, loads, weight, added)
    n = len(queues) * s
    if n < who.size:  # Auto Scaling changes the capacity: the stretch ends there
        cust.dns_shift[who[n:]] = shifts[n:]
        who, weight, shifts = who[:n], weight[:n], shifts[:n]
        route = Route(*(f[:n] for f in route))
    held = _states(eng.streams)
    batch = _attempts(eng, len(queues), who, weight, route, queues)
    quiet = batch.won.reshape(len(queues), s).all(axis=1)
    done = len(queues) if quiet.all() else int(np.argmin(quiet))
    if done < len(queues):
        before.restore(eng, first, last)
        cust.dns_shift[who[done * s :]] = shifts[done * s :]
        for name, state in held.items():
            stream = getattr(eng.streams, name)
            stream.bit_generator.state = state
            stream.random(done * s * ATTEMPT_DRAWS[name])  # where the quiet seconds left it
        if done == 0:
            return 0
        eng._scale(first)
        _plan(eng, first, loads[:done], weight, added)
        batch = batch.head(done * s)
    _commit(eng, first, done, batch)
    return done


def _plan(
    eng: Stepper, first: int, loads: np.ndarray, weight: np.ndarray, added: np.ndarray
) -> list[QueueState]:
    """The steps of each second that do not need its attempts' outcomes, as a quiet second
    takes them: queues, backlog, Auto Scaling, retry budget. Ends before a second in which
    Auto Scaling adds capacity (the stretch was routed without it)."""
    s, out = eng.per_second, []
    budget = eng.scenario.clients.retry_budget
    for j, load in enumerate(loads):
        sec = first + j
        if j:
            eng._scale(sec)
            if not np.array_equal(eng.added, added):
                break
        expected = load + eng.backlog.intra
        out.append(eng._queue_step(sec, expected))
        actual = expected - eng.backlog.intra
        eng._settle_backlog(sec, expected, actual)
        eng._observe_scaling(sec)
        if budget:
            eng.budget.credit(weight[j * s : (j + 1) * s])  # every attempt served
        eng.budget.settle(float(eng.rate[sec]))
    return out


def _attempts(
    eng: Stepper,
    seconds: int,
    who: np.ndarray,
    weight: np.ndarray,
    route: Route,
    queues: list[QueueState],
) -> _Batch:
    """Every first attempt of the stretch, each against its own second's queues."""
    world, model, clients, cust = eng.world, eng.scenario.model, eng.scenario.clients, eng.customers
    draws = Draws.take(eng.streams, seconds, eng.per_second)
    queue = QueueState(*(np.concatenate(field) for field in zip(*queues, strict=True)))
    target = pick_target(world, route, draws.pick)
    row = np.repeat(np.arange(seconds) * len(world.azs), eng.per_second) + target.zone
    served = serve(world, model, route, target, queue, cust.is_order[who], draws, row)
    result = outcome(world, model, clients, target, served)
    finish = route.tau + result.latency_s
    elapsed = finish - cust.arrival[who]
    won = result.good & (elapsed <= clients.customer_timeout_s)
    return _Batch(who, weight, route, target, result, finish, elapsed, won)


def _commit(eng: Stepper, first: int, seconds: int, batch: _Batch) -> None:
    """Book the quiet seconds: series, customers' outcomes and what a stop condition reads.

    Each series bin adds each second's own sum in order of the seconds, as simulating them
    one by one does; the series a quiet second leaves unchanged (failures, 5xx) are skipped.
    """
    s, zones, cust, series = eng.per_second, len(eng.world.azs), eng.customers, eng.series
    who, weight, route, result = batch.who, batch.weight, batch.route, batch.result
    sec = slice(first, first + seconds)
    series.attempts[sec] += weight.reshape(seconds, s).sum(axis=1)
    src = np.repeat(np.arange(seconds) * zones, s)  # each attempt's second, times zones
    requests = np.bincount(src + route.zone, weight * route.node_ok, seconds * zones)
    series.requests[:, sec] += requests.reshape(seconds, zones).T
    fin = np.minimum(batch.finish.astype(np.int64), eng.seconds - 1)
    lo = int(fin.min())
    span = int(fin.max()) + 1 - lo
    by_target = ~result.too_slow & BY_TARGET[result.cause]
    by_target &= route.node_ok
    size = seconds * zones * span
    by_node = (src + route.zone) * span + (fin - lo)
    counts = np.bincount(
        np.concatenate(
            [(src + batch.target.zone) * span + (fin - lo), by_node + size, by_node + 2 * size]
        ),
        np.concatenate(
            [weight * batch.won, weight * by_target, weight * result.latency_s * by_target]
        ),
        3 * size,
    ).reshape(3, seconds, zones, span)
    ends = slice(lo, lo + span)
    for j in range(seconds):
        series.served[:, ends] += counts[0, j]
        series.answered[:, ends] += counts[1, j]
        series.response_s[:, ends] += counts[2, j]
    timeout = eng.scenario.clients.customer_timeout_s
    cust.ok[who] = True
    order = cust.is_order[who]
    cust.ack_t[who[order]] = batch.finish[order]
    cust.latency[who] = np.minimum(batch.elapsed, timeout)
    cust.settled[who] = True
    latency = cust.latency[who]
    known = np.floor(cust.arrival[who] + latency).astype(np.int64)
    for j in range(seconds):
        eng.known.append((known[j * s : (j + 1) * s], latency[j * s : (j + 1) * s]))
    while len(eng.known) > eng.known_s:
        eng.known.popleft()


def _states(streams: Streams) -> dict[str, Any]:
    """Where each attempt stream stands."""
    return {name: getattr(streams, name).bit_generator.state for name in ATTEMPT_DRAWS}
