"""The guard against real AWS: nothing is changed outside a sandbox without an explicit yes.

In-process moto and endpoints on this machine's loopback are sandboxes. Anything else (a remote
endpoint, or AWS itself) needs ``--account ID`` (and ``--allow-real-aws`` to change anything),
and the ID must be the account STS GetCallerIdentity reports, whose ARN is shown first;
otherwise the guard refuses before a single call leaves the process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

from chaoscli.aws.profiles import profile_endpoint
from chaoscli.aws.session import AwsSession, open_session
from chaoscli.aws.session import is_loopback as is_loopback
from chaoscli.errors import GuardError, SpecError


@dataclass(frozen=True)
class Access:
    """Where a command should act and what the user allowed: the CLI's flags, as given."""

    endpoint_url: str | None = None
    allow_real_aws: bool = False
    account: str | None = None
    role_arn: str | None = None
    profile: str | None = None  # a named profile of the AWS config files

    def endpoint(self) -> str | None:
        """The endpoint in effect: the flag, else ``$AWS_ENDPOINT_URL``, else the profile's
        ``endpoint_url``, else none (an unknown profile is bad input here, before any call)."""
        given = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        if self.profile is None:
            return given
        return given or profile_endpoint(self.profile)


def check_endpoint(url: str) -> None:
    """Reject an endpoint that is not an http(s) URL with a host, as bad input."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SpecError("--endpoint-url", "", f"{url!r} is not an http(s) URL with a host")
    try:
        parsed.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise SpecError("--endpoint-url", "", f"{url!r} has an invalid port") from None


def sandboxed(access: Access) -> bool:
    """True when every call goes to in-process moto or to a loopback endpoint."""
    endpoint = access.endpoint()
    if endpoint is None:
        return not access.allow_real_aws
    return is_loopback(endpoint)


def refusal(access: Access, *, read_only: bool = False) -> str | None:
    """Why the guard refuses without asking AWS anything, or None if it may go on.

    Outside the sandbox every command needs ``--account``; one that changes anything also
    needs ``--allow-real-aws``.
    """
    if access.account is not None and not access.allow_real_aws and not read_only:
        return "--account is only used together with --allow-real-aws"
    if access.role_arn is not None and not access.allow_real_aws and not read_only:
        return "--role-arn is only used together with --allow-real-aws"
    if access.profile is not None and access.endpoint() is None and not access.allow_real_aws:
        return (
            f"--profile {access.profile} reaches a real account: pass --allow-real-aws "
            "--account ID to read it"
        )
    if sandboxed(access):
        return None
    place = access.endpoint() or "AWS itself"
    if read_only:
        if not access.account:
            return f"reading {place} needs --account ID (the account expected there)"
        return None
    if not access.allow_real_aws:
        return (
            f"refusing to change anything at {place}: it is not on loopback; "
            "pass --allow-real-aws --account ID to act on a real account"
        )
    if not access.account:
        return f"--allow-real-aws needs --account ID (the account expected at {place})"
    return None


@contextmanager
def open_guarded(
    region: str,
    access: Access,
    *,
    read_only: bool = False,
    say: Callable[[str], None] | None = None,
) -> Iterator[AwsSession]:
    """A session the guard has let through; ``read_only`` sessions may act anywhere but only read.

    Raises ``GuardError`` before any client exists when the flags do not allow the endpoint.
    Outside the sandbox the first call is STS GetCallerIdentity: ``say`` is told whose
    credentials these are, and the guard refuses when the account is not the one named.
    """
    endpoint = access.endpoint()
    if endpoint is not None:
        check_endpoint(endpoint)
    reason = refusal(access, read_only=read_only)
    if reason is not None:
        raise GuardError(reason)
    with open_session(
        region,
        endpoint,
        real_aws=access.allow_real_aws,
        role_arn=access.role_arn,
        profile=access.profile,
    ) as session:
        if not sandboxed(access):
            if read_only:
                session.refuse_changes("chaoscli only reads from this endpoint")
            who = session.identity()
            if say is not None:
                say(f"acting as {who['Arn']} (account {who['Account']}) at {session.where}")
            if who["Account"] != access.account:
                raise GuardError(
                    f"refusing to act on {session.where}: the credentials belong to account "
                    f"{who['Account']}, not {access.account} as --account says"
                )
        yield session
