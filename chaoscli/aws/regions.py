"""The regions chaoscli knows and their availability zones, without a call to AWS.

The table is the one the in-process sandbox (moto) serves from DescribeAvailabilityZones, so
``validate`` can name the zones a run would pick; tests/test_validation.py keeps it equal to
moto's. Against an endpoint or a real account, a run lists the zones again before it creates
anything (``network.pick_azs``).
"""

from __future__ import annotations

# region: the letters of its available zones, e.g. "abc" for ap-south-1a, -1b and -1c
_ZONE_LETTERS = {
    "af-south-1": "abc",
    "ap-east-1": "abc",
    "ap-east-2": "abc",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
    "ap-south-1": "abc",
    "ap-south-2": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-southeast-3": "abc",
    "ap-southeast-4": "abc",
    "ap-southeast-5": "abc",
    "ap-southeast-6": "abc",
    "ap-southeast-7": "abc",
    "ca-central-1": "abd",
    "ca-west-1": "abc",
    "cn-north-1": "ab",
    "cn-northwest-1": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "il-central-1": "abc",
    "me-central-1": "abc",
    "me-south-1": "abc",
    "mx-central-1": "abc",
    "sa-east-1": "abc",
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-gov-east-1": "abc",
    "us-gov-west-1": "abc",
    "us-west-1": "ab",
    "us-west-2": "abcd",
}


def known_regions() -> list[str]:
    """Every region name chaoscli knows, sorted."""
    return sorted(_ZONE_LETTERS)


def zones_of(region: str) -> list[str] | None:
    """The region's available zones, sorted by name; None for a region chaoscli does not know."""
    letters = _ZONE_LETTERS.get(region)
    return None if letters is None else [region + letter for letter in letters]


def stack_zones(region: str, count: int) -> list[str] | None:
    """The zones a stack of ``count`` zones gets: the region's first ``count``, as
    ``network.pick_azs`` picks them; None when the region is unknown or has fewer."""
    zones = zones_of(region)
    if zones is None or len(zones) < count:
        return None
    return zones[:count]
