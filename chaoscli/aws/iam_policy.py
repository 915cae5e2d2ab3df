"""The IAM actions behind the API calls a run made, as a policy an SRE can attach to a role.

botocore names a call by service and operation (``ec2 StopInstances``); IAM names the same
permission ``ec2:StopInstances`` except where the prefix or the action differs (ELBv2 is
``elasticloadbalancing``; S3's ListObjectsV2 is ``s3:ListBucket``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

# botocore service name -> IAM service prefix, where they differ
_PREFIX = {"elbv2": "elasticloadbalancing"}
# "service Operation" -> IAM actions, where the action is not the operation's name
_ACTIONS = {
    "s3 ListObjectsV2": ("s3:ListBucket",),
    "s3 ListObjects": ("s3:ListBucket",),
    "s3 HeadBucket": ("s3:ListBucket",),
    "s3 HeadObject": ("s3:GetObject",),
    "s3 DeleteObjects": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "s3 ListBuckets": ("s3:ListAllMyBuckets",),
    "s3 ListObjectVersions": ("s3:ListBucketVersions",),
    "s3 PutBucketTagging": ("s3:PutBucketTagging",),
    "sqs GetQueueUrl": ("sqs:GetQueueUrl",),
    # STS GetCallerIdentity needs no permission (it answers for any credentials)
    "sts GetCallerIdentity": (),
}


def actions_for(calls: Iterable[str]) -> list[str]:
    """The IAM actions for calls named ``"service Operation"``, sorted and without repeats."""
    out: set[str] = set()
    for call in calls:
        if call in _ACTIONS:
            out.update(_ACTIONS[call])
            continue
        service, operation = call.split(" ", 1)
        out.add(f"{_PREFIX.get(service, service)}:{operation}")
    return sorted(out)


def policy(actions: list[str], sid: str) -> dict[str, Any]:
    """An identity-based policy allowing exactly ``actions`` (on every resource: the stack's
    resources are created by the run, so their ARNs are not known before it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def policy_json(document: dict[str, Any]) -> str:
    """The policy as the indented JSON IAM accepts."""
    return json.dumps(document, indent=2)
