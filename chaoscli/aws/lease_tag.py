"""A lease as its VPC tag holds it: who, which run, which command, until when.

The tag is ``chaoscli:lease:<run id>`` = ``owner=... command=... expires=...``. A run that
leaves its changes in place (``--rollback-strategy``) turns its lease into a ``kept`` mark
that never expires, so no other command acts on a stack whose faults are still in it.
"""

from __future__ import annotations

import contextlib
import getpass
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

LEASE_TAG = "chaoscli:lease:"  # followed by the holder's run id
KEPT = "kept"  # the command of a lease that marks changes left in place
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/=+\-@]")  # what an EC2 tag value may not hold
_VALUE = re.compile(r"owner=(\S+) command=(\S+) expires=(\S+)$")
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def iso(t: datetime) -> str:
    """A UTC time as ISO 8601 to the second, as leases write it."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Lease:
    """One holder's lease as its tag says: who, which run, which command, until when."""

    run: str
    owner: str
    command: str
    expires: datetime

    @property
    def key(self) -> str:
        """The tag key this lease is written under."""
        return LEASE_TAG + self.run

    @property
    def value(self) -> str:
        """The tag value: owner, command and expiry."""
        return f"owner={self.owner} command={self.command} expires={iso(self.expires)}"

    @classmethod
    def parse(cls, key: str, value: str) -> Lease | None:
        """The lease a tag holds, or None for any other tag."""
        if not key.startswith(LEASE_TAG):
            return None
        found = _VALUE.match(value)
        expires = None
        with contextlib.suppress(ValueError):
            expires = datetime.fromisoformat(found.group(3)) if found else None
        if found is None or expires is None:  # unreadable: treat it as expired long ago
            return cls(key[len(LEASE_TAG) :], "unknown", "unknown", _LONG_AGO)
        return cls(key[len(LEASE_TAG) :], found.group(1), found.group(2), expires)

    @property
    def kept(self) -> bool:
        """True for the mark of changes a run left in place: it never expires."""
        return self.command == KEPT

    def expired(self, now: datetime) -> bool:
        """True once the holder has stopped renewing it for a whole lease."""
        return not self.kept and now >= self.expires

    def words(self) -> str:
        """Who holds it and until when, for messages."""
        if self.kept:
            since = iso(self.expires)
            return f"left with changes in place by {self.owner} (run {self.run}) since {since}"
        return (
            f"leased to {self.owner} (run {self.run}, chaoscli {self.command}) "
            f"until {iso(self.expires)}"
        )


def leases_of(tags: dict[str, str]) -> list[Lease]:
    """Every lease among a resource's tags, oldest expiry first."""
    found = [Lease.parse(k, v) for k, v in tags.items()]
    return sorted((x for x in found if x is not None), key=lambda x: (x.expires, x.run))


def server_time(reply: dict[str, Any]) -> datetime:
    """The control plane's time from a reply's ``Date`` header, else this machine's UTC time."""
    header = reply.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if header:
        try:
            return parsedate_to_datetime(header).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return datetime.now(UTC)


def owner() -> str:
    """user@host of this process, in the characters a tag value may hold."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return _UNSAFE.sub("_", f"{user}@{socket.gethostname()}")
