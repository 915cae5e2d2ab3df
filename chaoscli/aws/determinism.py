"""Seeds moto's id generator so that the same run seed gives the same resource ids.

moto draws ids (i-..., subnet-..., acl-...) at random; its ``/moto-api/seed`` endpoint makes
them repeatable, in-process and on a moto server alike. Real AWS has no such endpoint, so
this is only called for moto.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

import requests

from chaoscli.aws.session import AwsSession

IN_PROCESS = "http://motoapi.amazonaws.com"


def seed_moto(session: AwsSession, seed: int) -> bool:
    """Ask moto to seed its ids; False where the endpoint is not moto (nothing happens)."""
    if session.endpoint_url and not _loopback(session.endpoint_url):
        return False
    base = (session.endpoint_url or IN_PROCESS).rstrip("/")
    try:
        resp = requests.post(f"{base}/moto-api/seed", params={"a": str(seed)}, timeout=5)
    except requests.RequestException:
        return False
    return resp.status_code == 200


def _loopback(url: str) -> bool:
    """True for an endpoint on this machine (where a moto server may listen)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
