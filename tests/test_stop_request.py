"""SIGINT and SIGTERM only record a stop request; the next AWS call ends unsent, a rollback is
shielded from all but a third quick Ctrl-C."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from chaoscli import stop
from chaoscli.aws.session import AwsSession
from chaoscli.errors import Interrupted, Terminated
from tests.endpoint_helpers import REGION


@pytest.fixture
def handling() -> Iterator[None]:
    """Signals record a stop request for the test, and the request is forgotten after it."""
    with stop.handling():
        yield


def _sent(session: AwsSession) -> list[str]:
    """Requests that actually reach the wire (botocore's before-send: once per attempt)."""
    sent: list[str] = []

    def count(request: Any, **_: Any) -> None:
        sent.append(request.url)

    session.add_hook("before-send.*.*", count)
    return sent


def test_sigterm_ends_the_next_call_unsent_not_retried(url: str, handling: None) -> None:
    """The call after SIGTERM raises Terminated before anything is sent: botocore's retry
    (which took an exception raised mid-request for a network error) never sees it."""
    session = AwsSession(REGION, url)
    sent = _sent(session)
    ec2 = session.client("ec2")
    ec2.describe_vpcs()
    assert len(sent) == 1
    os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(Terminated):
        ec2.describe_vpcs()
    assert len(sent) == 1
    assert stop.requested() == signal.SIGTERM


def test_sigint_is_a_stop_request_not_a_keyboard_interrupt(url: str, handling: None) -> None:
    """Ctrl-C raises nothing where it lands; the next call says Interrupted."""
    session = AwsSession(REGION, url)
    os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt right here otherwise
    with pytest.raises(Interrupted):
        session.client("ec2").describe_vpcs()


def test_a_shielded_rollback_goes_on_through_a_second_signal(
    url: str, handling: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """During the rollback calls go through; a repeat signal is acknowledged with progress."""
    session = AwsSession(REGION, url)
    os.kill(os.getpid(), signal.SIGINT)
    with stop.shielded(lambda: "2 of 5 change(s) undone"):
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        session.client("ec2").describe_vpcs()
        stop.honour()
    err = capfd.readouterr().err
    assert "rollback in progress: 2 of 5 change(s) undone" in err
    assert "press Ctrl-C once more within 3 s to leave the rest" in err
    with pytest.raises(Interrupted):  # the request stands once the shield is down
        stop.honour()


def test_a_third_quick_ctrl_c_abandons_the_rollback(url: str, handling: None) -> None:
    """Three Ctrl-C within the window, one during the rollback: the next call raises
    Abandoned, which a rollback's ``except Exception`` cannot take for a failed undo."""
    session = AwsSession(REGION, url)
    os.kill(os.getpid(), signal.SIGINT)
    with stop.shielded(lambda: "1 of 5 change(s) undone"):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.abandoned()
        with pytest.raises(stop.Abandoned):
            try:
                session.client("ec2").describe_vpcs()
            except Exception:
                pytest.fail("Abandoned must not be an Exception")


def test_sigterms_never_abandon(handling: None) -> None:
    """SIGTERM repeated during the rollback (an orchestrator's impatience) is acknowledged
    only: the rollback finishes."""
    with stop.shielded(lambda: "0 of 1 change(s) undone"):
        for _ in range(4):
            os.kill(os.getpid(), signal.SIGTERM)
        assert not stop.abandoned()
        stop.honour()


def test_handlers_are_put_back(url: str) -> None:
    """Outside ``handling`` the process's own handlers are in force again, the request gone."""
    before = signal.getsignal(signal.SIGINT)
    with stop.handling():
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested() == signal.SIGTERM
    assert signal.getsignal(signal.SIGINT) is before
    assert stop.requested() is None
