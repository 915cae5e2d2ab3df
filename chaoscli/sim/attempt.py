"""One batch of attempts through the data plane, one mechanism per function.

Each function is pure: it takes the batch's route and draws and says what one mechanism does
to it (which target the node picks, the target zone's queue, the database behind the web
tier, the client's timeouts). The engine calls them in that order and keeps the state.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from chaoscli.sim.engine_state import QueueState, Route
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
    cause_set,
)
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import ModelParams
from chaoscli.sim.streams import Streams
from chaoscli.sim.world import World

NO_NODE = -1  # the column of an attempt whose load-balancer node did not answer


# the streams an attempt draws from, and how many doubles each attempt takes of each
ATTEMPT_DRAWS = {
    "routing": 1,
    "queueing": 3,
    "service": 1,
    "failures": 1,
    "backoff": 1,
    "retry_budget": 1,
}


class Draws(NamedTuple):
    """The uniform draws one batch of attempts needs, one array per purpose."""

    pick: np.ndarray  # which route column (target) the node picks
    shed: np.ndarray  # shed by a full queue
    busy: np.ndarray  # every worker busy: the request waits
    wait: np.ndarray  # how long it waits for a worker
    service: np.ndarray  # its service time
    gray: np.ndarray  # a slow target answers with an error
    backoff: np.ndarray  # the retry's jitter
    budget: np.ndarray  # where the client's token bucket stands

    @classmethod
    def take(cls, streams: Streams, seconds: int, per: int) -> Draws:
        """The draws of ``seconds`` batches of ``per`` attempts each, from each purpose's
        stream, as that many batches drawn one after the other would take them."""
        n = seconds * per
        queueing = streams.queueing.random(3 * n).reshape(seconds, 3, per)
        return cls(
            pick=streams.routing.random(n),
            shed=queueing[:, 0].reshape(-1),
            busy=queueing[:, 1].reshape(-1),
            wait=queueing[:, 2].reshape(-1),
            service=streams.service.random(n),
            gray=streams.failures.random(n),
            backoff=streams.backoff.random(n),
            budget=streams.retry_budget.random(n),
        )


class Target(NamedTuple):
    """Which route column each attempt drew, and what that says about the target."""

    column: np.ndarray  # NO_NODE when the node did not answer
    taken: np.ndarray  # an up or slow target took the request
    slow: np.ndarray  # a slow (gray) one
    zone: np.ndarray  # the target's zone (0 where no target took it)


class Served(NamedTuple):
    """What the target zone did with the attempts a target took."""

    shed: np.ndarray  # dropped by a full queue
    latency_s: np.ndarray  # network, wait, service, any gray slowness and database timeout
    gray: np.ndarray  # a slow target answered with an error
    db_down: np.ndarray  # the database the request needs was unavailable
    db_fail: np.ndarray  # failed at the web tier: the database, or a gray error


class Outcome(NamedTuple):
    """How each attempt of a batch ended."""

    latency_s: np.ndarray
    cause: np.ndarray
    good: np.ndarray  # answered successfully (in time for the request, maybe not the customer)
    too_slow: np.ndarray  # the client's request timeout ran out


def pick_target(world: World, route: Route, pick: np.ndarray) -> Target:
    """Routing: the node picks a route column by its shares; a dark node picks nothing."""
    cols = world.columns
    column = np.count_nonzero(pick[:, None] >= route.cumulative, axis=1)
    column = np.where(route.node_ok, np.minimum(column, cols.width - 1), NO_NODE)
    taken = (column >= 0) & (column < cols.answering.stop)
    slow = taken & (column >= cols.slow.start)
    zone = np.where(taken, column % cols.zones, 0)
    return Target(column, taken, slow, zone)


def serve(
    world: World,
    model: ModelParams,
    route: Route,
    target: Target,
    queue: QueueState,
    is_order: np.ndarray,
    draws: Draws,
    row: np.ndarray | None = None,
) -> Served:
    """Queueing at the target, then the database: shed, wait, service, gray errors, reads and
    writes (the primary, the replicas, or the order queue).

    ``row`` is where each attempt's queue is in ``queue`` when that holds several seconds'
    queues (one second's, by zone, when it is not given).
    """
    zone = target.zone
    q = zone if row is None else row
    shed = target.taken & (draws.shed < queue.drop[q])
    waits = queue.wait[q] + np.where(
        draws.busy < queue.busy[q], -np.log1p(-draws.wait) / queue.spare[q], 0
    )
    latency = model.network_s + waits - np.log1p(-draws.service) * model.service_time_s
    # a gray failure: the target answers, later, and with some errors (health checks pass)
    if target.slow.any():
        latency = latency + np.where(target.slow, world.slow_extra_s[route.tick, zone], 0.0)
        gray = target.slow & (draws.gray < world.slow_error_share[route.tick, zone])
    else:
        gray = target.slow
    db_down = database_down(world, route.tau + latency, is_order)
    answered = target.taken & ~shed
    db_fail = answered & (db_down | gray)
    latency = np.where(answered & db_down, latency + model.write_timeout_s, latency)
    return Served(shed, latency, gray, db_down, db_fail)


def database_down(world: World, at: np.ndarray, is_order: np.ndarray) -> np.ndarray:
    """Database: an order needs the primary (or the order queue), browsing a readable copy."""
    tick = np.maximum(np.minimum((at / world.tick_s).astype(np.int64), world.ticks - 1), 0)
    queued = bool(world.order_queue)
    return np.where(is_order, ~world.db_writable[tick] & (not queued), ~world.db_readable[tick])


def outcome(
    world: World, model: ModelParams, clients: ClientPolicy, target: Target, served: Served
) -> Outcome:
    """Timeouts: each attempt's latency and cause, from the node, the target and the web tier."""
    cols, n = world.columns, target.column.size
    latency = np.full(n, model.network_s)
    cause = np.full(n, F_NONE, dtype=np.int8)
    dark = target.column == NO_NODE
    cause[dark] = F_CONNECT
    latency[dark] = clients.connect_timeout_s
    answered = target.taken & ~served.shed
    too_slow = answered & (served.latency_s > clients.request_timeout_s)
    good = answered & ~too_slow & ~served.db_fail
    latency[good] = served.latency_s[good]
    latency[too_slow] = clients.request_timeout_s
    cause[served.shed | too_slow] = F_OVERLOAD
    errored = served.db_fail & ~too_slow
    latency[errored] = served.latency_s[errored]
    cause[errored] = np.where(served.gray, F_GRAY, F_DB)[errored]
    cause[target.column == cols.refused] = F_REFUSED
    cause[target.column == cols.no_target] = F_NO_TARGET
    blackhole = target.column == cols.blackhole
    cause[blackhole] = F_BLACKHOLE
    latency[blackhole] = min(model.lb_connect_timeout_s, clients.request_timeout_s)
    hung = target.column == cols.hung
    cause[hung] = F_HUNG
    latency[hung] = clients.request_timeout_s
    return Outcome(latency, cause, good, too_slow)


TIMEOUTS = cause_set(F_CONNECT, F_BLACKHOLE, F_HUNG)


def timed_out(result: Outcome) -> np.ndarray:
    """Attempts that ended on a timeout rather than an answer (they cost the budget more)."""
    return TIMEOUTS[result.cause] | result.too_slow
