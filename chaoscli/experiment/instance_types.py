"""vCPUs of an EC2 instance type, from its size, so that an instance's parallel workers follow
from what the stack runs on.

Current EC2 families share one size ladder (large 2 vCPUs, xlarge 4, Nxlarge 4N); the
burstable t3, t3a and t4g families give every size up to large 2 vCPUs and the other
families' medium has 1. Other types (metal, older generations) are not guessed: the
experiment sets ``topology.vcpus``.
"""

from __future__ import annotations

import re

BURSTABLE = ("t3", "t3a", "t4g")
SIZE = re.compile(r"^(?P<n>[0-9]*)xlarge$")


def vcpus_of(instance_type: str) -> int | None:
    """The type's vCPUs, or None when the size is not one of the shared ladder's."""
    family, _, size = instance_type.partition(".")
    if not family or not size:
        return None
    if size == "large" or (family in BURSTABLE and size in ("nano", "micro", "small", "medium")):
        return 2
    if size == "medium" and not family.startswith("t"):
        return 1
    match = SIZE.match(size)
    if match is None:
        return None
    return 4 * int(match["n"] or 1)
