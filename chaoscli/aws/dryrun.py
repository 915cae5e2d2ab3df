"""``--dry-run``: the whole run against an in-process moto shadow, every boto3 call recorded.

The shadow answers like the real endpoint would for an empty account, so the run goes through
provisioning, every fault, every undo and the teardown with the same code; a botocore
``provide-client-params`` hook writes down each call before moto answers it. Nothing is sent
to the endpoint the user named: the shadow's clients have no endpoint but moto's mock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chaoscli.aws.real_aws_guard import Access, check_endpoint, refusal
from chaoscli.aws.session import AwsSession, in_process_session, is_read_only
from chaoscli.topology import Topology

_MAX_VALUE = 60
BEFORE_RUN = "before the run"
# Parameters that name the resources a call touches.
_NAMES = re.compile(
    r"(Id|Ids|Name|Names|Arn|Arns|Identifier|Resources|Url|Bucket|ResourceARN|AvailabilityZone)$"
)


@dataclass(frozen=True)
class Call:
    """One boto3 call as the run made it: service, operation and parameters."""

    service: str
    operation: str
    params: dict[str, Any]
    phase: str = BEFORE_RUN

    @property
    def resources(self) -> list[str]:
        """The resources the call names (ids, names, ARNs), in order, each once."""
        found: list[str] = []
        _names_in({k: v for k, v in self.params.items() if k != "Tags"}, found)
        tags = self.params.get("Tags")
        if isinstance(tags, list):  # CreateTags, DeleteTags: the tags are what changes
            found += [f"{t['Key']}={t.get('Value', '')}" for t in tags if isinstance(t, dict)]
        return list(dict.fromkeys(found))

    @property
    def changes(self) -> bool:
        """True unless the operation only reads."""
        return not is_read_only(self.operation)

    def line(self) -> str:
        """The call on one line, long values shortened: ``ec2 StopInstances InstanceIds=[...]``."""
        args = " ".join(f"{k}={_short(v)}" for k, v in sorted(self.params.items()))
        return f"{self.service} {self.operation} {args}".rstrip()


@dataclass
class Shadow:
    """The shadow session, where its calls would have gone, and the calls recorded so far."""

    session: AwsSession
    target: str
    calls: list[Call] = field(default_factory=list)
    phase: str = BEFORE_RUN
    recording: bool = True

    def on_phase(self, text: str) -> None:
        """The run's phase callback: the calls that follow belong to ``text``."""
        self.phase = text

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        """botocore ``provide-client-params`` handler: note the call, leave the params alone."""
        if not self.recording:
            return
        service = model.service_model.service_name
        plain = json.loads(json.dumps(params, default=str))
        self.calls.append(Call(service, model.name, plain, self.phase))

    def summary(self) -> str:
        """One line: how many calls, how many of them change something, and where."""
        changes = sum(c.changes for c in self.calls)
        return (
            f"dry run: {len(self.calls)} AWS call(s) would go to {self.target}, "
            f"{changes} of them changing something; none was sent"
        )


def readable(access: Access) -> bool:
    """Whether the dry run may read the target: it exists outside this process (an endpoint
    or a real account) and the guard lets a read-only session through (a loopback endpoint,
    or --account for anything else)."""
    has_target = access.endpoint() is not None or access.allow_real_aws
    return has_target and refusal(access, read_only=True) is None


def id_map(copy: Topology, real: Topology) -> dict[str, str]:
    """Each id of the in-process copy of a stack to the real stack's id in the same place:
    the VPC, subnets and instances by zone and discovery order (the order a fault draws its
    targets in), network ACLs through the subnets that use them, and the load balancer's
    and target group's ARNs."""
    ids = {copy.vpc_id: real.vpc_id}
    for az in copy.azs:
        for kind in (True, False):
            mine = [s for s in copy.subnets if s.az == az and s.public == kind]
            theirs = [s for s in real.subnets if s.az == az and s.public == kind]
            for a, b in zip(mine, theirs, strict=False):
                ids[a.id] = b.id
                ids.setdefault(a.nacl_id, b.nacl_id)
        for one, other in zip(copy.instances_in(az), real.instances_in(az), strict=False):
            ids[one.id] = other.id
    lb, real_lb = copy.load_balancer, real.load_balancer
    if lb is not None and real_lb is not None:
        for arn, real_arn in (
            (lb.arn, real_lb.arn),
            (lb.target_group_arn, real_lb.target_group_arn),
        ):
            ids[_short_arn(arn)] = _short_arn(real_arn)
    return ids


def target_of(access: Access) -> str:
    """Where a real run with these flags would send its calls, in words."""
    endpoint = access.endpoint()
    if endpoint is not None:
        check_endpoint(endpoint)
        return endpoint
    return "AWS" if access.allow_real_aws else "in-process moto"


@contextmanager
def open_shadow(region: str, access: Access) -> Iterator[Shadow]:
    """An in-process moto session that records every call; like the target, it may persist.

    Marked persistent when the target outlives the process, so a run on it tears down what it
    provisioned, as it would on the target.
    """
    target = target_of(access)
    persistent = access.endpoint() is not None or access.allow_real_aws
    with in_process_session(region, persistent=persistent) as session:
        shadow = Shadow(session, target)
        session.add_hook("provide-client-params.*.*", shadow.record)
        yield shadow


def _names_in(value: Any, found: list[str], key: str = "") -> None:
    """Collect the strings under resource-naming keys, through lists and nested objects."""
    if isinstance(value, dict):
        for k, v in value.items():
            _names_in(v, found, k)
    elif isinstance(value, list):
        for item in value:
            _names_in(item, found, key)
    elif isinstance(value, str) and key == "VPCZoneIdentifier":
        found += value.split(",")
    elif isinstance(value, str) and _NAMES.search(key) and key != "ClientToken":
        found.append(_short_arn(value))


def _short_arn(value: str) -> str:
    """An ARN's resource part (``targetgroup/shop-web/…``); anything else as it is."""
    return value.split(":", 5)[-1] if value.startswith("arn:") else value


def _short(value: Any) -> str:
    """A parameter value as compact JSON, cut to a readable length."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."
