"""One place that knows where the control plane is: in-process moto, a moto server or LocalStack.

Every other module of the adapter asks an ``AwsSession`` for clients and wraps its calls in
``aws_errors`` so a failed call reaches the user as one ``AwsError`` line, not a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from chaoscli.errors import AwsError

# Fake credentials for in-process moto; set only while the mock is active, then restored.
_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
# Removed for the same span so that no profile or endpoint redirects the mocked clients.
_CLEARED_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL")

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)


class AwsSession:
    """Region, endpoint and lazily created boto3 clients, cached so each is built once."""

    def __init__(self, region: str, endpoint_url: str | None = None) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self._boto: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}
        self._account_id: str | None = None
        self._closed = False

    @property
    def where(self) -> str:
        """Human-readable location of the control plane, for error messages."""
        place = self.endpoint_url or "in-process moto"
        return f"{self.region} ({place})"

    def client(self, service: str) -> Any:
        """The cached boto3 client for ``service`` (``"ec2"``, ``"elbv2"``, ``"rds"``, ...)."""
        if self._closed:
            raise AwsError(f"AWS session for {self.where} is closed")
        if service not in self._clients:
            with aws_errors(f"create {service} client"):
                if self._boto is None:
                    self._boto = self._new_boto_session()
                self._clients[service] = self._boto.client(
                    service, endpoint_url=self.endpoint_url, config=_CONFIG
                )
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
def open_session(region: str, endpoint_url: str | None = None) -> Iterator[AwsSession]:
    """A session on ``endpoint_url`` (or ``$AWS_ENDPOINT_URL``), else on moto started in-process."""
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    if endpoint is not None:
        session = AwsSession(region, endpoint)
        try:
            yield session
        finally:
            session.close()
        return

    from moto import mock_aws  # imported lazily: only the in-process mode needs it

    saved = {key: os.environ.get(key) for key in (*_FAKE_ENV, *_CLEARED_ENV)}
    for key in _CLEARED_ENV:
        os.environ.pop(key, None)
    os.environ.update(_FAKE_ENV)
    session = AwsSession(region)
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
