"""Seeds moto's id generator so that the same run seed gives the same resource ids.

moto draws ids (i-..., subnet-..., acl-...) at random; its ``/moto-api/seed`` endpoint makes
them repeatable, in-process and on a moto server alike. Real AWS has no such endpoint, so
this is only called for moto. The figures never depend on ids: discovery lists instances
by zone and launch order, and the simulation draws per instance in that order, so a moto
server (not seeded), LocalStack or AWS give the same figures for the same seed.
"""

from __future__ import annotations

import requests

from chaoscli.aws.session import AwsSession, is_loopback

IN_PROCESS = "http://motoapi.amazonaws.com"


def seed_moto(session: AwsSession, seed: int) -> bool:
    """Ask moto to seed its ids; False where the endpoint is not moto (nothing happens)."""
    if not session.mocked and not (session.endpoint_url and is_loopback(session.endpoint_url)):
        return False
    base = (session.endpoint_url or IN_PROCESS).rstrip("/")
    try:
        resp = requests.post(f"{base}/moto-api/seed", params={"a": str(seed)}, timeout=5)
    except requests.RequestException:
        return False
    return resp.status_code == 200
