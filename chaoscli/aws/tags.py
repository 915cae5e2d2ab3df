"""The tags that mark a resource as part of a stack, in the shapes the AWS APIs want them."""

from __future__ import annotations

STACK_TAG = "chaoscli:stack"
PURPOSE_TAG = "chaoscli:purpose"
STANDBY_TAG = "chaoscli:standby-az"
FAULT_ID_TAG = "chaoscli:fault-id"
FAULT_TAG = "chaoscli:fault"  # on an instance: what a fault did inside it (crash, hang)


def stack_tags(stack: str, name: str, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Key/Value tags for one resource: the stack tag, a Name and any extra tags."""
    pairs = {STACK_TAG: stack, "Name": name, **(extra or {})}
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def tag_spec(
    resource_type: str, stack: str, name: str, extra: dict[str, str] | None = None
) -> list[dict[str, object]]:
    """An EC2 ``TagSpecifications`` list so the resource is tagged the moment it exists."""
    return [{"ResourceType": resource_type, "Tags": stack_tags(stack, name, extra)}]


def stack_filter(stack: str) -> dict[str, object]:
    """The EC2 describe filter selecting the stack's resources."""
    return {"Name": f"tag:{STACK_TAG}", "Values": [stack]}


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """A boto3 ``Tags``/``TagList``/``TagSet`` list as a plain dict."""
    return {t["Key"]: t["Value"] for t in tags or []}
