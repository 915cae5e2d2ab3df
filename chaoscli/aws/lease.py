"""A run's hold on a stack: found by its tag or provisioned, and left as it was found.

Everything a later ``chaoscli rollback LOG`` needs beyond the undos goes into the rollback log
as notes before it matters: where the stack lives, whether this run created it (so a killed
run's stack can be torn down) and the topology discovered before the first fault.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

from chaoscli import stop
from chaoscli.aws.changes.log import RollbackLog
from chaoscli.aws.network import Claim, find_stack_vpc
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision
from chaoscli.aws.session import AwsSession
from chaoscli.aws.stack_lease import LeaseHeld
from chaoscli.aws.teardown import teardown
from chaoscli.errors import ChaosError, Interrupted, NotRestored, Terminated
from chaoscli.topology import (
    AlarmState,
    AutoScaling,
    Database,
    DbInstance,
    HealthCheck,
    Instance,
    LoadBalancer,
    NetworkAcl,
    Subnet,
    Topology,
)

_T = TypeVar("_T")


def acquire(
    session: AwsSession, log: RollbackLog, plan: StackPlan, claim: Claim | None = None
) -> bool:
    """Use the stack tagged ``plan.stack`` if it exists, else provision it (holding ``claim``,
    the run's lease, from the VPC's creation on); True if provisioned."""
    log.note(
        stack=plan.stack,
        region=session.region,
        endpoint=session.endpoint_url,
        in_process=session.mocked,
    )
    # the claim's own look decides: a stack that appeared since is another command's
    found = claim.found if claim is not None else None
    if found is None:
        found = find_stack_vpc(session, plan.stack) is not None
    if found:
        return False
    log.note(provisioned=True)  # before the first create, so a killed run's stack is found
    try:
        provision(session, plan, claim)
    except LeaseHeld:  # another command created the stack too; this one deleted its own VPC
        log.note(provisioned=False)
        raise
    return True


def build(session: AwsSession, plan: StackPlan, claim: Claim | None = None) -> None:
    """Provision ``plan``'s stack to keep (``chaoscli up``); stopped half way, delete what was
    built, shielded, so that a stop leaves no half-built stack a later run takes for whole."""
    try:
        provision(session, plan, claim)
    except (Interrupted, Terminated):
        raise _unbuilt(session, plan.stack) from None


def _unbuilt(session: AwsSession, stack: str) -> ChaosError:
    """Delete a stack whose provisioning a stop request cut short; the error to end with."""
    stopped = stop.error(f"while provisioning stack {stack}")
    again = down_command(session, stack)
    with stop.shielded(lambda: f"deleting what was built of stack {stack}"):
        try:
            teardown(session, stack)
        except ChaosError as exc:
            return NotRestored(f"{stopped}; stack {stack} is half built ({exc}): run `{again}`")
        except stop.Abandoned:
            return NotRestored(f"{stopped}; stack {stack} is left half built: run `{again}`")
    return type(stopped)(f"{stopped}; deleted what had been built of it")


def down_command(session: AwsSession, stack: str) -> str:
    """The command that deletes ``stack`` where ``session`` points."""
    where = f" --endpoint-url {session.endpoint_url}" if session.endpoint_url else ""
    return f"chaoscli down --stack {stack} --region {session.region}{where} --yes"


def release(session: AwsSession, log: RollbackLog, stack: str, provisioned: bool) -> str | None:
    """Tear down a stack this run provisioned where it outlives the run (only in the VPC its
    lease claimed, when the log notes one); a line saying so."""
    if not provisioned or not session.persistent:
        return None
    vpc = log.notes().get("lease_vpc")
    teardown(session, stack, None if vpc is None else str(vpc))
    log.note(torn_down=True)
    return f"tore down stack {stack}, which this run had provisioned at {session.where}"


def remember(log: RollbackLog, before: Topology) -> None:
    """Note the topology before the first fault, for the comparison after a later rollback."""
    log.note(before=topology_to_json(before))


def topology_to_json(topo: Topology) -> dict[str, Any]:
    """A topology as plain JSON data."""
    return asdict(topo)


def topology_from_json(data: dict[str, Any]) -> Topology:
    """The topology ``topology_to_json`` wrote; raises KeyError/TypeError on anything else."""
    lb = data.get("load_balancer")
    db = data.get("database")
    group = data.get("autoscaling")
    nested = {
        "azs": tuple(data["azs"]),
        "subnets": tuple(_build(Subnet, s) for s in data["subnets"]),
        "instances": tuple(_build(Instance, i) for i in data["instances"]),
        "load_balancer": None
        if lb is None
        else _build(
            LoadBalancer,
            {
                **lb,
                "azs": tuple(lb["azs"]),
                "health_check": _build(HealthCheck, lb["health_check"]),
            },
        ),
        "database": None
        if db is None
        else _build(
            Database,
            {
                **db,
                "primary": _build(DbInstance, db["primary"]),
                "replicas": tuple(_build(DbInstance, r) for r in db["replicas"]),
            },
        ),
        "autoscaling": None
        if group is None
        else _build(
            AutoScaling,
            {
                **group,
                **{k: tuple(group.get(k) or ()) for k in ("azs", "instance_ids", "suspended")},
                "subnet_ids": tuple(group.get("subnet_ids") or ()),
            },
        ),
        "nacls": tuple(
            _build(NetworkAcl, {**n, "entries": tuple(n["entries"])})
            for n in data.get("nacls") or ()
        ),
        "alarms": tuple(_build(AlarmState, x) for x in data.get("alarms") or ()),
        "tags": dict(data.get("tags") or {}),
    }
    return _build(Topology, {**data, **nested})


def _build(cls: type[_T], data: dict[str, Any]) -> _T:
    """An instance of dataclass ``cls`` from the fields of ``data`` it knows."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in known})
