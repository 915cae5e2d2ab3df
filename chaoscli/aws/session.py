"""One place that knows where the control plane is: in-process moto, a moto server or LocalStack.

Every other module of the adapter asks an ``AwsSession`` for clients and wraps its calls in
``aws_errors`` so a failed call reaches the user as one ``AwsError`` line, not a traceback.
``AwsSession.client`` is the only place in chaoscli that builds a boto3 client, and it checks
where each client resolved before the client can make a call (``check_resolved``).
"""

from __future__ import annotations

import ipaddress
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from chaoscli import stop
from chaoscli.aws.botocore_models import read_each_model_file_once
from chaoscli.aws.profiles import profile_session
from chaoscli.errors import AwsError, GuardError

read_each_model_file_once()

# Fake credentials for in-process moto; set only while the mock is active, then restored.
_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
# Set for the same span so that no configured endpoint, profile or credential source applies:
# moto intercepts only requests to AWS's own hostnames, so any other endpoint would be reached.
_NEUTRAL_ENV = {
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Removed for the same span, with every variable that starts with ``AWS_ENDPOINT_URL``.
_CLEARED_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)
_ENDPOINT_ENV_PREFIX = "AWS_ENDPOINT_URL"
# Hostname suffixes of AWS's own endpoints (commercial, China, dual-stack).
_AWS_HOST_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
# moto's own settings for the same span: no catalogue of thousands of public AMIs built for
# every EC2 backend (the stack launches one fixed AMI id), which would cost seconds.
MOTO_ENV = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)
# Operation-name prefixes that only read; everything else may change something.
_READ_PREFIXES = ("Describe", "List", "Get", "Head")

Hook = tuple[str, Callable[..., Any]]


def is_loopback(url: str) -> bool:
    """True for an http(s) URL whose host is this machine's loopback (127.0.0.0/8, ::1)."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if parsed.scheme not in ("http", "https"):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name could resolve anywhere; only literal loopback counts


def is_aws_host(url: str) -> bool:
    """True for an https URL on one of AWS's own hostnames (``*.amazonaws.com`` and kin)."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    return parsed.scheme == "https" and host.endswith(_AWS_HOST_SUFFIXES)


def endpoint_variables(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Every ``AWS_ENDPOINT_URL*`` variable set (the global one and one per service)."""
    return sorted(k for k in environ if k.startswith(_ENDPOINT_ENV_PREFIX))


def _honour_stop(**_: Any) -> None:
    """Before each call: a stop request ends the work here, where nothing is half sent, not
    inside the request, where botocore would take it for a network error and retry."""
    stop.honour()


def is_read_only(operation: str) -> bool:
    """True for AWS operations that only read (Describe*, List*, Get*, Head*)."""
    return operation.startswith(_READ_PREFIXES)


class AwsSession:
    """Region, endpoint and lazily created boto3 clients, cached so each is built once."""

    def __init__(
        self,
        region: str,
        endpoint_url: str | None = None,
        *,
        mocked: bool = False,
        persistent: bool | None = None,
        role_arn: str | None = None,
        profile: str | None = None,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self.profile = profile  # a named profile of the AWS config files (``--profile``)
        # A role to assume (STS AssumeRole) before any other call, to scope the credentials.
        self.role_arn = role_arn
        # In-process moto: its state ends with this process, and no call leaves it.
        self.mocked = mocked
        # Whether what this session creates outlives the process (a server or a real account).
        self.persistent = (not mocked) if persistent is None else persistent
        self._boto: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self._hooks: list[Hook] = []
        self._identity: dict[str, str] | None = None
        self._closed = False
        # Every API call made through this session, by "service Operation" (botocore's
        # before-call event: once per call, retries not counted again).
        self.calls: Counter[str] = Counter()
        self._hooks.append(("before-call.*.*", self._count_call))
        self._hooks.append(("before-call.*.*", _honour_stop))

    def _count_call(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name} {model.name}"] += 1

    @property
    def call_count(self) -> int:
        """How many API calls this session has made so far."""
        return sum(self.calls.values())

    @property
    def where(self) -> str:
        """Human-readable location of the control plane, for error messages."""
        place = self.endpoint_url or ("in-process moto" if self.mocked else "AWS")
        return f"{self.region} ({place}{f', profile {self.profile}' if self.profile else ''})"

    def add_hook(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a botocore event handler on every client, present and future."""
        self._hooks.append((event, handler))
        for client in self._clients.values():
            client.meta.events.register(event, handler)

    def refuse_changes(self, reason: str) -> None:
        """Make every operation that is not a read fail with ``GuardError`` before it is sent."""

        def refuse(model: Any, **_: Any) -> None:
            if not is_read_only(model.name):
                raise GuardError(f"{model.service_model.service_name} {model.name}: {reason}")

        self.add_hook("before-call.*.*", refuse)

    @property
    def mode(self) -> str:
        """``in-process`` (moto in this process), ``endpoint`` (the one named) or ``aws``."""
        if self.mocked:
            return "in-process"
        return "endpoint" if self.endpoint_url else "aws"

    def client(self, service: str) -> Any:
        """The cached boto3 client for ``service`` (``"ec2"``, ``"elbv2"``, ``"rds"``, ...).

        Raises ``GuardError`` before the client's first call when it resolved anywhere but
        where this session's mode allows.
        """
        if self._closed:
            raise AwsError(f"AWS session for {self.where} is closed")
        if service not in self._clients:
            if self._boto is None:
                self._boto = self._new_boto_session()
            client = self._new_client(self._boto, service)
            for event, handler in self._hooks:
                client.meta.events.register(event, handler)
            self._clients[service] = client
        return self._clients[service]

    def _new_client(self, boto: boto3.session.Session, service: str) -> Any:
        """A boto3 client whose resolved endpoint has been checked, and whose sends are too.

        Outside in-process moto, botocore looks for credentials when it builds a client (which
        may ask the instance metadata service), so the endpoint is first resolved by a client
        built with placeholder credentials, and checked, before the real one is built.
        """
        with aws_errors(f"create {service} client"):
            if not self.mocked:
                probe = boto.client(
                    service,
                    endpoint_url=self.endpoint_url,
                    config=_CONFIG,
                    aws_access_key_id="probe",
                    aws_secret_access_key="probe",
                )
                check_resolved(self.mode, service, str(probe.meta.endpoint_url), self.endpoint_url)
            client = boto.client(service, endpoint_url=self.endpoint_url, config=_CONFIG)
        resolved = str(client.meta.endpoint_url)
        check_resolved(self.mode, service, resolved, self.endpoint_url)
        _guard_sends(client, self.mode, service, resolved)
        return client

    def _new_boto_session(self) -> boto3.session.Session:
        """A boto3 session with the credentials this mode may use (scoped by ``role_arn``).

        In-process moto gets the fake credentials of ``in_process_session``; a loopback
        emulator gets ``$AWS_ACCESS_KEY_ID`` or fake ones, never a profile's (so finding
        them cannot reach the network); a named profile its own; else boto3's usual chain.
        """
        if self.profile is not None:
            boto = profile_session(self.profile, self.region)
        elif self.endpoint_url and is_loopback(self.endpoint_url):
            boto = boto3.session.Session(
                region_name=self.region,
                aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID")
                or _FAKE_ENV["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY")
                or _FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
            )
        else:
            with aws_errors("open a boto3 session"):
                boto = boto3.session.Session(region_name=self.region)
            if self.endpoint_url and boto.get_credentials() is None:
                boto = boto3.session.Session(
                    region_name=self.region,
                    aws_access_key_id=_FAKE_ENV["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=_FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
                )
        if self.role_arn is None:
            return boto
        sts = self._new_client(boto, "sts")
        with aws_errors(f"assume role {self.role_arn}"):
            creds = sts.assume_role(RoleArn=self.role_arn, RoleSessionName="chaoscli")[
                "Credentials"
            ]
        self.calls["sts AssumeRole"] += 1
        return boto3.session.Session(
            region_name=self.region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    def identity(self) -> dict[str, str]:
        """Who the credentials are (STS GetCallerIdentity, asked once): Account, Arn, UserId."""
        if self._identity is None:
            with aws_errors("read the caller identity"):
                reply = self.client("sts").get_caller_identity()
            self._identity = {k: str(reply.get(k, "")) for k in ("Account", "Arn", "UserId")}
        return self._identity

    def account_id(self) -> str:
        """The account the credentials belong to."""
        return self.identity()["Account"]

    def close(self) -> None:
        """Forget every client so nothing can reach a real endpoint after the mock is gone."""
        self._clients.clear()
        self._boto = None
        self._closed = True


def check_resolved(mode: str, service: str, resolved: str, endpoint: str | None) -> None:
    """Refuse (``GuardError``) a client that resolved where its session's mode does not allow.

    In-process moto answers only AWS's own hostnames, so a custom one would be reached for
    real; an endpoint session must use exactly its endpoint; an AWS session must use AWS.
    """
    if mode == "in-process":
        ok = is_aws_host(resolved)
        wanted = "AWS's own hostname, which in-process moto intercepts"
    elif mode == "endpoint":
        ok = resolved.rstrip("/") == (endpoint or "").rstrip("/")
        wanted = str(endpoint)
    else:
        ok = is_aws_host(resolved)
        wanted = "an https amazonaws.com endpoint"
    if not ok:
        raise GuardError(
            f"refusing the {service} client: it resolved to {resolved}, not {wanted} "
            "(an AWS_ENDPOINT_URL_* variable or a config file's endpoint_url points it elsewhere)"
        )


def _guard_sends(client: Any, mode: str, service: str, resolved: str) -> None:
    """Check each request the client would put on the wire, after botocore built its URL.

    botocore calls ``_send`` only for a request no ``before-send`` handler answered, so in
    process (where moto answers everything it knows) any send means moto let one through.
    """
    endpoint = client._endpoint
    send = endpoint._send
    host = urlparse(resolved).hostname or ""

    def guarded_send(request: Any) -> Any:
        url = str(request.url)
        target = urlparse(url).hostname or ""
        if mode == "in-process":
            raise GuardError(f"{service}: in-process moto did not answer {url}: not sent")
        if mode == "endpoint" and not (target == host or target.endswith("." + host)):
            raise GuardError(f"{service}: {url} is not on the endpoint {resolved}: not sent")
        if mode == "aws" and not is_aws_host(url):
            raise GuardError(f"{service}: {url} is not an AWS endpoint: not sent")
        return send(request)

    endpoint._send = guarded_send


class aws_errors:  # lower case: it reads like a function, ``with aws_errors("create VPC"):``
    """Turn botocore failures (and moto's raw StopIteration) into a one-line ``AwsError``."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, AwsError):
            return
        if isinstance(exc, ClientError | BotoCoreError | ResponseParserError):
            raise AwsError(f"{self.what}: {_one_line(exc)}") from exc
        if isinstance(exc, StopIteration):
            # moto raises a bare StopIteration when a subnet has no free address left.
            raise AwsError(f"{self.what}: no free IP address left in the subnet") from exc


def _one_line(exc: BaseException) -> str:
    """The exception text collapsed to one short line."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def short_ids(ids: list[str], limit: int = 3) -> str:
    """A few ids and how many more, for one-line messages."""
    head = ", ".join(ids[:limit])
    return head if len(ids) <= limit else f"{head} and {len(ids) - limit} more"


@contextmanager
def open_session(
    region: str,
    endpoint_url: str | None = None,
    *,
    real_aws: bool = False,
    role_arn: str | None = None,
    profile: str | None = None,
) -> Iterator[AwsSession]:
    """A session on ``endpoint_url`` (or ``$AWS_ENDPOINT_URL``), on AWS itself when ``real_aws``,
    else on moto started in-process.

    Only ``chaoscli.aws.real_aws_guard`` should pass ``real_aws``: it checks the account first.
    """
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    if endpoint is not None or real_aws:
        session = AwsSession(region, endpoint, role_arn=role_arn, profile=profile)
        try:
            yield session
        finally:
            session.close()
        return
    with in_process_session(region) as session:
        yield session


@contextmanager
def in_process_session(region: str, persistent: bool = False) -> Iterator[AwsSession]:
    """A session on moto started in this process, whatever the environment points at."""
    from moto import mock_aws  # imported lazily: only the in-process mode needs it

    with neutral_environment():
        session = AwsSession(region, mocked=True, persistent=persistent)
        moto_mock = mock_aws()
        moto_mock.start()
        try:
            yield session
        finally:
            session.close()
            moto_mock.stop()


@contextmanager
def neutral_environment() -> Iterator[None]:
    """For in-process moto: fake credentials, no endpoint variable, no configured endpoint URL,
    no profile; the environment is restored as it was when the block ends."""
    with mock.patch.dict(os.environ):
        for key in (*_CLEARED_ENV, *endpoint_variables()):
            os.environ.pop(key, None)
        os.environ.update(_FAKE_ENV)
        os.environ.update(_NEUTRAL_ENV)
        os.environ.update(MOTO_ENV)
        yield


def instance_states(ec2: Any, ids: list[str]) -> dict[str, str]:
    """EC2 state names of the given instances (describe_instance_status: no tags, cheap)."""
    states: dict[str, str] = {}
    for start in range(0, len(ids), 100):
        reply = ec2.describe_instance_status(
            InstanceIds=ids[start : start + 100], IncludeAllInstances=True
        )
        for s in reply["InstanceStatuses"]:
            states[s["InstanceId"]] = s["InstanceState"]["Name"]
    return states
