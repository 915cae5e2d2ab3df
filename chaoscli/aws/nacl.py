"""Decide whether a network ACL lets customer traffic through, the way AWS evaluates it.

moto stores NACLs but never enforces them, so the adapter evaluates the entries itself and the
model only sees the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ANYWHERE = "0.0.0.0/0"
WEB_PORTS = (80, 443)
_ALL, _TCP = "-1", "6"


def _matches(entry: dict[str, Any]) -> bool:
    """True if the entry covers traffic from/to anywhere: all traffic, or TCP on 80 or 443."""
    if entry.get("CidrBlock") != ANYWHERE:
        return False
    protocol = str(entry.get("Protocol"))
    if protocol == _ALL:
        return True
    if protocol not in (_TCP, "tcp"):
        return False
    ports = entry.get("PortRange")
    if not ports:
        return True  # TCP without a range covers every port
    return any(ports.get("From", 0) <= port <= ports.get("To", 65535) for port in WEB_PORTS)


def direction_allows(entries: Iterable[dict[str, Any]], egress: bool) -> bool:
    """The first matching entry by rule number decides; no matching entry means deny."""
    ordered = sorted(
        (e for e in entries if bool(e.get("Egress")) == egress), key=lambda e: e["RuleNumber"]
    )
    for entry in ordered:
        if _matches(entry):
            return str(entry.get("RuleAction")) == "allow"
    return False


def nacl_allows(entries: list[dict[str, Any]]) -> bool:
    """Reachable only if both the inbound and the outbound direction allow web traffic."""
    return direction_allows(entries, egress=False) and direction_allows(entries, egress=True)
