"""A moto server on loopback, so a stack outlives one process and the aws CLI can inspect it.

``chaoscli sandbox`` runs one in the foreground; tests start one in a thread on a free port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chaoscli.aws.session import MOTO_ENV
from chaoscli.errors import SpecError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _check_port(port: int) -> None:
    """Fail with one line if the port cannot be bound (moto's thread would wait forever)."""
    if not 0 < port < 65536:
        raise SpecError("--port", "", f"{port} is not a TCP port (1-65535)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError as exc:
            raise SpecError(
                "--port", "", f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}"
            ) from None


class Sandbox:
    """A running moto server: its URL, a reset, and a stop."""

    def __init__(self, server: Any, port: int) -> None:
        self._server = server
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"

    def reset(self) -> None:
        """Forget every resource (moto's ``POST /moto-api/reset``)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        with contextlib.suppress(Exception):
            self._server.stop()


@contextmanager
def running_sandbox(port: int = 0) -> Iterator[Sandbox]:
    """A moto server on 127.0.0.1 (``port`` 0: any free one), stopped when the block ends.

    It runs with the same moto settings as in-process moto (no catalogue of public AMIs).
    """
    from moto.server import ThreadedMotoServer  # lazily: flask is slow to import

    port = port or free_port()
    _check_port(port)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    saved = {key: os.environ.get(key) for key in MOTO_ENV}
    os.environ.update(MOTO_ENV)
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    sandbox = Sandbox(server, port)
    try:
        yield sandbox
    finally:
        sandbox.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
