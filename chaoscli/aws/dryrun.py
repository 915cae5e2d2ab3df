"""``--dry-run``: the whole run against an in-process moto shadow, every boto3 call recorded.

The shadow answers like the real endpoint would for an empty account, so the run goes through
provisioning, every fault, every undo and the teardown with the same code; a botocore
``provide-client-params`` hook writes down each call before moto answers it. Nothing is sent
to the endpoint the user named: the shadow's clients have no endpoint but moto's mock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chaoscli.aws.real_aws_guard import Access, check_endpoint
from chaoscli.aws.session import AwsSession, in_process_session, is_read_only

_MAX_VALUE = 60


@dataclass(frozen=True)
class Call:
    """One boto3 call as the run made it: service, operation and parameters."""

    service: str
    operation: str
    params: dict[str, Any]

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

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        """botocore ``provide-client-params`` handler: note the call, leave the params alone."""
        service = model.service_model.service_name
        self.calls.append(Call(service, model.name, json.loads(json.dumps(params, default=str))))

    def summary(self) -> str:
        """One line: how many calls, how many of them change something, and where."""
        changes = sum(c.changes for c in self.calls)
        return (
            f"dry run: {len(self.calls)} AWS call(s) would go to {self.target}, "
            f"{changes} of them changing something; none was sent"
        )


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


def _short(value: Any) -> str:
    """A parameter value as compact JSON, cut to a readable length."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."
