"""Faults inside instances: Chaos Monkey's crash and a zone's gray failure."""

from __future__ import annotations

from chaoscli.aws.changes import instance_tags
from chaoscli.experiment.faults.base import FaultContext, Injected, healthy_instances, resolve_az
from chaoscli.experiment.faults.targets import pick


def _targets(ctx: FaultContext, az: str | None) -> list[str]:
    """The step's instances: the stack's healthy ones, filtered by zone and tags, then drawn."""
    candidates = [i.id for i in healthy_instances(ctx.topo, az)]
    candidates = instance_tags.with_tags(ctx.session, candidates, ctx.step.tags)
    return pick(candidates, ctx.step.selection, ctx.rng)


def instance_crash(ctx: FaultContext) -> Injected:
    """Chaos Monkey: the web process of the chosen instances dies while EC2 says running."""
    az = ctx.step.az and resolve_az(ctx.step, ctx.topo)
    ids = _targets(ctx, az or None)
    where = f" in {az}" if az else ""
    if not ids:
        return Injected([f"no running instance of the stack{where} to crash"])
    return Injected([instance_tags.set_fault_tag(ctx.session, ctx.log, ids, "crash")])


def slow_tag(latency_ms: float, error_share: float) -> str:
    """A gray failure's tag value ``slow:<added_ms>:<error_share>``, e.g. ``slow:800:0.05``."""
    return f"slow:{latency_ms:g}:{error_share:g}"


def gray_failure(ctx: FaultContext) -> Injected:
    """One zone's instances answer, but late and with a share of errors."""
    step = ctx.step
    az = resolve_az(step, ctx.topo)
    ids = _targets(ctx, az)
    if not ids:
        return Injected([f"no running instance of the stack in {az} to slow down"])
    value = slow_tag(step.latency_ms or 0.0, step.error_share or 0.0)
    return Injected([instance_tags.set_fault_tag(ctx.session, ctx.log, ids, value)])
