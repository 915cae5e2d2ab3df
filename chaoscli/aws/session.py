"""One place that knows where the control plane is: in-process moto, a moto server or LocalStack.

Every other module of the adapter asks an ``AwsSession`` for clients and wraps its calls in
``aws_errors`` so a failed call reaches the user as one ``AwsError`` line, not a traceback.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from chaoscli.errors import AwsError, GuardError


def _read_each_model_file_once() -> None:
    """Make botocore read each of its JSON model files once per process.

    botocore caches what it reads per session, but moto builds several sessions of its own
    (and a loader per service model), so the same multi-megabyte EC2 model was parsed half a
    dozen times in every run. The files are botocore's read-only data; botocore already
    hands one parsed copy to every client of a session, and now to every session.
    """
    from botocore.loaders import JSONFileLoader

    read = JSONFileLoader.load_file
    if getattr(read, "once_per_process", False):
        return
    parsed: dict[str, Any] = {}

    def load_file(self: JSONFileLoader, file_path: str) -> Any:
        if file_path not in parsed:
            parsed[file_path] = read(self, file_path)
        return parsed[file_path]

    load_file.once_per_process = True  # type: ignore[attr-defined]
    JSONFileLoader.load_file = load_file


_read_each_model_file_once()

# Fake credentials for in-process moto; set only while the mock is active, then restored.
_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
# Removed for the same span so that no profile or endpoint redirects the mocked clients.
_CLEARED_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL")
# moto's own settings for the same span: no catalogue of thousands of public AMIs built for
# every EC2 backend (the stack launches one fixed AMI id), which would cost seconds.
MOTO_ENV = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)
# Operation-name prefixes that only read; everything else may change something.
_READ_PREFIXES = ("Describe", "List", "Get", "Head")

Hook = tuple[str, Callable[..., Any]]


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
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        # In-process moto: its state ends with this process, and no call leaves it.
        self.mocked = mocked
        # Whether what this session creates outlives the process (a server or a real account).
        self.persistent = (not mocked) if persistent is None else persistent
        self._boto: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self._hooks: list[Hook] = []
        self._account_id: str | None = None
        self._closed = False
        # Every API call made through this session, by "service Operation" (botocore's
        # before-call event: once per call, retries not counted again).
        self.calls: Counter[str] = Counter()
        self._hooks.append(("before-call.*.*", self._count_call))

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
        return f"{self.region} ({place})"

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

    def client(self, service: str) -> Any:
        """The cached boto3 client for ``service`` (``"ec2"``, ``"elbv2"``, ``"rds"``, ...)."""
        if self._closed:
            raise AwsError(f"AWS session for {self.where} is closed")
        if service not in self._clients:
            with aws_errors(f"create {service} client"):
                if self._boto is None:
                    self._boto = self._new_boto_session()
                client = self._boto.client(service, endpoint_url=self.endpoint_url, config=_CONFIG)
            for event, handler in self._hooks:
                client.meta.events.register(event, handler)
            self._clients[service] = client
        return self._clients[service]

    def _new_boto_session(self) -> boto3.session.Session:
        """A boto3 session; a loopback emulator without credentials gets fake ones."""
        boto = boto3.session.Session(region_name=self.region)
        if self.endpoint_url and boto.get_credentials() is None:
            boto = boto3.session.Session(
                region_name=self.region,
                aws_access_key_id=_FAKE_ENV["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=_FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
            )
        return boto

    def account_id(self) -> str:
        """The account the credentials belong to (sts get_caller_identity, asked once)."""
        if self._account_id is None:
            with aws_errors("read the account id"):
                account = str(self.client("sts").get_caller_identity()["Account"])
            self._account_id = account
            return account
        return self._account_id

    def close(self) -> None:
        """Forget every client so nothing can reach a real endpoint after the mock is gone."""
        self._clients.clear()
        self._boto = None
        self._closed = True


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
    region: str, endpoint_url: str | None = None, *, real_aws: bool = False
) -> Iterator[AwsSession]:
    """A session on ``endpoint_url`` (or ``$AWS_ENDPOINT_URL``), on AWS itself when ``real_aws``,
    else on moto started in-process.

    Only ``chaoscli.aws.real_aws_guard`` should pass ``real_aws``: it checks the account first.
    """
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    if endpoint is not None or real_aws:
        session = AwsSession(region, endpoint)
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

    saved = {key: os.environ.get(key) for key in (*_FAKE_ENV, *MOTO_ENV, *_CLEARED_ENV)}
    for key in _CLEARED_ENV:
        os.environ.pop(key, None)
    os.environ.update(_FAKE_ENV)
    os.environ.update(MOTO_ENV)
    session = AwsSession(region, mocked=True, persistent=persistent)
    mock = mock_aws()
    try:
        mock.start()
        try:
            yield session
        finally:
            session.close()
            mock.stop()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


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
