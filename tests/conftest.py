"""Fixtures many test modules share: an in-process moto and a moto server, one per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chaoscli.aws.sandbox import Sandbox
from chaoscli.aws.session import AwsSession, open_session
from tests.endpoint_helpers import server


@pytest.fixture(scope="module")
def session() -> Iterator[AwsSession]:
    """One in-process moto for the whole module; each test gets its own stack in it."""
    with open_session("ap-south-1") as s:
        yield s


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    """One moto server on loopback for the module."""
    with server() as sandbox:
        yield sandbox


@pytest.fixture
def url(box: Sandbox) -> str:
    """The server's URL, with everything from earlier tests forgotten."""
    box.reset()
    return box.url


@pytest.fixture(autouse=True)
def _undos_retry_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed undo is retried as in production, but no test sleeps between the tries."""
    from chaoscli.aws.changes import log

    monkeypatch.setattr(log, "RETRY", log.Retry(sleep=lambda _: None))


@pytest.fixture(autouse=True)
def _state_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rollback logs go to a per-test state folder, never into the real home's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def _no_stop_request_carried_over() -> Iterator[None]:
    """Importing ``chaoscli.__main__`` installs the stop handlers for good, and a test may leave
    a stop request behind: each test starts and ends with the process's own handlers and none."""
    from chaoscli import stop

    stop.uninstall()
    yield
    stop.uninstall()
