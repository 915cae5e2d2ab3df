"""Target selection as AWS FIS does it: ALL, COUNT(n) or PERCENT(n), drawn from the run's seed.

Also the targets several faults share: a step's instances, and a zone's subnets cut off.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from chaoscli.aws.changes import instance_tags, network_acl
from chaoscli.experiment.faults.base import FaultContext, healthy_instances

T = TypeVar("T")
_MODE = re.compile(r"^(ALL|COUNT\((\d+)\)|PERCENT\((\d+(?:\.\d+)?)\))$")


def how_many(selection: str, available: int) -> int:
    """How many of ``available`` targets a selection mode takes (PERCENT rounds down, min 1)."""
    match = _MODE.match(selection)
    if match is None:
        raise ValueError(f"unknown selection mode {selection!r}")
    if available == 0:
        return 0
    if match.group(2) is not None:
        return min(available, int(match.group(2)))
    if match.group(3) is not None:
        return max(1, min(available, math.floor(available * float(match.group(3)) / 100)))
    return available


def pick(items: Sequence[T], selection: str, rng: np.random.Generator) -> list[T]:
    """The selected targets, in their original order; which ones depends only on the rng."""
    n = how_many(selection, len(items))
    if n == len(items):
        return list(items)
    chosen = sorted(rng.choice(len(items), size=n, replace=False).tolist())
    return [items[k] for k in chosen]


def instance_targets(ctx: FaultContext, az: str | None) -> list[str]:
    """The step's instances: the stack's healthy ones, filtered by zone and tags, then drawn."""
    candidates = [i.id for i in healthy_instances(ctx.topo, az)]
    candidates = instance_tags.with_tags(ctx.session, candidates, ctx.step.tags)
    return pick(candidates, ctx.step.selection, ctx.rng)


def isolate_zone(ctx: FaultContext, az: str) -> str:
    """Cut the zone's still reachable subnets off with a deny-all NACL."""
    topo = ctx.topo
    subnets = [s.id for s in topo.subnets if s.az == az and s.reachable]
    if not subnets:
        return f"subnets of {az} already cut off by another step"
    return network_acl.isolate_subnets(ctx.session, ctx.log, topo.vpc_id, subnets, topo.stack)
