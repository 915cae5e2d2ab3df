"""A stack from a CloudFormation template or a Terraform state: built in a sandbox, then read
back exactly as ``assess`` reads a live one, so both paths judge what the APIs report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chaoscli.assess.derive import shape_of
from chaoscli.assess.inputs import AssessmentInputs
from chaoscli.aws.foreign import Foreign, discover_foreign
from chaoscli.aws.real_aws_guard import Access, open_guarded, sandboxed
from chaoscli.aws.session import neutral_environment
from chaoscli.aws.topology_file import import_file
from chaoscli.errors import GuardError, SpecError


@dataclass(frozen=True)
class FromFile:
    """A file's stack as discovery read it, the calls discovery made, and where it was built."""

    found: Foreign
    calls: dict[str, int]
    where: str


def read_file(
    path: Path,
    region: str,
    access: Access,
    *,
    parameters: dict[str, str] | None = None,
    load_balancer: str | None = None,
    db_ids: tuple[str, ...] = (),
    tags: dict[str, str] | None = None,
) -> FromFile:
    """Build ``path`` in in-process moto (or the loopback endpoint ``access`` names) and read
    it back from its load balancer, with changes refused once it is built. Anything but a
    sandbox is refused before a call is made."""
    if not sandboxed(access):
        raise GuardError(
            f"--topology-from builds what {path.name} describes, so only into in-process moto "
            f"or an endpoint on loopback, not {access.endpoint() or 'AWS itself'}"
        )
    with open_guarded(region, access) as session:
        made = import_file(session, path, parameters)
        session.refuse_changes("discovery only reads")
        before = dict(session.calls)
        name = load_balancer or _only(made.load_balancers, path)
        found = discover_foreign(session, name, db_ids, tags)
        calls = {k: v - before.get(k, 0) for k, v in session.calls.items() if v > before.get(k, 0)}
        where = f"the stack {path.name} describes ({made.kind}), built in {session.where}"
    return FromFile(
        found=Foreign(
            topology=found.topology,
            instance_types=found.instance_types,
            groups=found.groups,
            request_rps=found.request_rps,
            not_modelled=(*made.not_modelled, *found.not_modelled),
        ),
        calls=calls,
        where=where,
    )


def _only(names: tuple[str, ...], path: Path) -> str:
    """The file's one Application Load Balancer; none or several is bad input."""
    if len(names) == 1:
        return names[0]
    if not names:
        raise SpecError(str(path), "", "holds no Application Load Balancer to start from")
    raise SpecError(
        str(path), "", f"holds load balancers {', '.join(names)}: pick one with --load-balancer"
    )


def run_sets(path: Path, region: str, parameters: dict[str, str] | None = None) -> list[str]:
    """The ``--set`` overrides that make an experiment's topology the file's stack (its
    traffic, clients and hypothesis stay the experiment's own); built in in-process moto,
    wherever the run itself goes."""
    with neutral_environment():
        read = read_file(path, region, Access(), parameters=parameters)
    shape = shape_of(read.found, AssessmentInputs(), {})
    return [s for s in shape.sets if s.startswith("topology.")]
