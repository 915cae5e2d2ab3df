"""From a stack read read-only to its assessment: the model's copy, every fault in every zone,
and the weak point, all in one plain ``Assessment``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from chaoscli.assess.derive import shape_of
from chaoscli.assess.inputs import AssessmentInputs, Source
from chaoscli.assess.matrix import FAULTS, Fault, run_matrix
from chaoscli.assess.model import Assessment, Input, StackSeen
from chaoscli.aws.foreign import Foreign
from chaoscli.aws.session import is_read_only


def read_only_sentence(calls: dict[str, int], where: str) -> str:
    """What discovery did at the endpoint, in one sentence a reviewer can check."""
    total = sum(calls.values())
    writes = sorted(c for c in calls if not is_read_only(c.split(" ", 1)[-1]))
    if writes:
        return f"discovery made {total} calls to {where}, including changes: {', '.join(writes)}"
    return (
        f"read-only: discovery made {total} calls to {where}, every one a Describe, List or "
        "Get; the faults ran only in the model's copy (in-process moto)"
    )


def seen(found: Foreign, calls: dict[str, int]) -> StackSeen:
    """What discovery read, in the stack's own names."""
    topo = found.topology
    lb = topo.load_balancer
    db = topo.database
    hc = lb.health_check if lb else None
    return StackSeen(
        load_balancer=lb.name if lb else topo.stack,
        region=topo.region,
        zones=list(topo.azs),
        instances_per_zone=dict(sorted(Counter(i.az for i in topo.instances).items())),
        instance_types=found.instance_types,
        auto_scaling_groups=[g.name for g in found.groups],
        database=db.primary.id if db else None,
        database_engine=db.engine if db else None,
        multi_az=db.multi_az if db else None,
        primary_zone=db.primary.az if db else None,
        read_replicas=[r.id for r in db.replicas] if db else [],
        cross_zone=lb.cross_zone if lb else True,
        health_check=(
            f"every {hc.interval_s:g} s, timeout {hc.timeout_s:g} s, unhealthy after "
            f"{hc.unhealthy_threshold}, healthy after {hc.healthy_threshold}"
            if hc
            else ""
        ),
        calls=dict(sorted(calls.items())),
    )


def assess(
    found: Foreign,
    inputs: AssessmentInputs,
    sources: dict[str, Source],
    *,
    calls: dict[str, int],
    where: str,
    seed: int = 0,
    verify: bool = True,
    phase: Callable[[str], None] = lambda _: None,
    faults: tuple[Fault, ...] = FAULTS,
) -> Assessment:
    """Run every fault in every zone of ``found``'s copy in the model, and judge it."""
    shape = shape_of(found, inputs, sources)
    cells, weak = run_matrix(shape, seed, phase, verify, faults)
    return Assessment(
        title=f"Assessment of {found.topology.stack}",
        stack=seen(found, calls),
        inputs=[Input(name=n, value=v, source=s) for n, v, s in shape.inputs],
        approximations=list(shape.approximations),
        not_modelled=list(found.not_modelled),
        cells=cells,
        weak_point=weak,
        seed=seed,
        read_only=read_only_sentence(calls, where),
    )
