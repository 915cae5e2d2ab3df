"""``run --dry-run``: the run played against an in-process copy of the stack that exists at
the target, and its AWS calls printed by phase, repeated calls summed up, each change with
the resources it would touch, named as they are in the real stack."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from itertools import groupby

from chaoscli.aws.determinism import seed_moto
from chaoscli.aws.discover import discover
from chaoscli.aws.dryrun import Call, Shadow, id_map, open_shadow, readable
from chaoscli.aws.lease import build
from chaoscli.aws.network import find_stack_vpc
from chaoscli.aws.real_aws_guard import Access, open_guarded
from chaoscli.aws.stack_lease import LeaseRequest
from chaoscli.cli.environment import Environment
from chaoscli.experiment.loader import Loaded
from chaoscli.experiment.runner import plan_for
from chaoscli.experiment.runner import run as run_experiment
from chaoscli.experiment.spec import Experiment
from chaoscli.topology import Topology

WIDTH = 80
SHOWN = 6  # resources named per line before "and N more"
_AN_ID = re.compile(r"^[a-z]+-[0-9a-f]{8,}$")


def preview(
    loaded: Loaded,
    access: Access,
    env: Environment,
    *,
    seed: int,
    runs: int,
    lease: LeaseRequest,
) -> None:
    """Print what a run with these flags would call, making no change anywhere.

    Where the target can be read (a loopback endpoint, or a real account with ``--account``)
    the stack is looked up there with reads only; if it exists, the copy is built in its shape
    first, so the preview creates nothing for it and names its real instances and NACLs.
    """
    exp = loaded.experiment
    region, stack = exp.topology.region, exp.topology.stack
    real: Topology | None = None
    if readable(access):
        with open_guarded(region, access, read_only=True) as session:
            if find_stack_vpc(session, stack) is not None:
                real = discover(session, stack)
    with open_shadow(region, access) as shadow:
        ids: dict[str, str] = {}
        if real is not None:
            shadow.recording = False
            seed_moto(shadow.session, seed + 1)  # the copy's ids, apart from the run's
            build(shadow.session, plan_for(_shaped(exp, real)))
            ids = id_map(discover(shadow.session, stack), real)
            shadow.recording = True
        run_experiment(
            loaded, seed=seed, aws=shadow.session, runs=runs, lease=lease, phase=shadow.on_phase
        )
    say = [_found(access, shadow, real, stack)]
    say += lines(shadow, ids, real is not None)
    say.append(shadow.summary())
    for line in say:
        env.stdout.print(line, markup=False, highlight=False, soft_wrap=True)


def _found(access: Access, shadow: Shadow, real: Topology | None, stack: str) -> str:
    """The first line: what the preview knows of the stack at the target."""
    if real is not None:
        return (
            f"stack {stack} exists at {shadow.target} ({real.vpc_id}, {len(real.instances)} "
            f"instance(s) in {len(real.azs)} zone(s)): the run uses it, creates nothing for "
            "it and leaves it standing; its real ids are shown"
        )
    if readable(access):
        return f"no stack {stack} at {shadow.target}: the run provisions it and tears it down"
    if shadow.session.persistent:
        return (
            f"{shadow.target} was not read (outside the sandbox a read needs --account ID): "
            f"the preview assumes stack {stack} does not exist there"
        )
    return f"in-process moto: the run provisions stack {stack} and it ends with the process"


def _shaped(exp: Experiment, real: Topology) -> Experiment:
    """The experiment with its topology's zones and instances as the real stack has them."""
    counts = tuple(len(real.instances_in(az)) for az in real.azs)
    shape: dict[str, object] = {
        "azs": len(real.azs),
        "instances_per_az": max(max(counts, default=1), 1),
        "instances_by_zone": counts if len(set(counts)) > 1 and min(counts) > 0 else None,
    }
    return exp.model_copy(update={"topology": exp.topology.model_copy(update=shape)})


def lines(shadow: Shadow, ids: dict[str, str], found: bool) -> list[str]:
    """The preview: a heading per phase, its changes one line per operation, its reads in a
    line; ids of the in-process copy replaced by the real stack's (``ids``)."""
    out: list[str] = []
    unknown = False
    for phase, group in groupby(shadow.calls, key=lambda c: c.phase):
        calls = list(group)
        out.append(f"{phase}:")
        changes = [c for c in calls if c.changes]
        for (service, operation), same in _by_operation(changes):
            named, missing = _named(same, ids, found)
            unknown |= missing
            count = f" ×{len(same)}" if len(same) > 1 else ""
            text = f"change {service} {operation}{count}" + (f": {named}" if named else "")
            out += _fill(text, "  ", "      ")
        reads = Counter(c.service for c in calls if not c.changes)
        if reads:
            listed = ", ".join(f"{k} ×{n}" for k, n in reads.items())
            out += _fill(f"read   {sum(reads.values())} call(s): {listed}", "  ", "      ")
    if unknown:
        out.append(
            "* an id of the in-process copy: the real run's differs (a resource the run "
            "creates, or one the preview could not pair)"
        )
    return out


def _by_operation(calls: list[Call]) -> list[tuple[tuple[str, str], list[Call]]]:
    """Calls grouped by service and operation, in the order each first appears."""
    groups: dict[tuple[str, str], list[Call]] = {}
    for call in calls:
        groups.setdefault((call.service, call.operation), []).append(call)
    return list(groups.items())


def _named(calls: list[Call], ids: dict[str, str], found: bool) -> tuple[str, bool]:
    """The resources these calls touch, as the real stack names them, shortened."""
    names: list[str] = []
    missing = False
    for call in calls:
        for name in call.resources:
            real = ids.get(name)
            if real is None and found and _AN_ID.match(name):
                real, missing = name + "*", True
            names.append(real or name)
    names = list(dict.fromkeys(names))
    if len(names) > SHOWN:
        return ", ".join(names[:SHOWN]) + f" and {len(names) - SHOWN} more", missing
    return ", ".join(names), missing


def _fill(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
