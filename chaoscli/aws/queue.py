"""The optional durable order queue (SQS) between the web tier and the database.

With it, the web tier acknowledges an order once SQS holds it, and workers commit queued
orders to the primary when it takes writes; discovery reports whether the stack has one.
"""

from __future__ import annotations

from typing import Any

from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import STACK_TAG


def queue_name(stack: str) -> str:
    """Name of the stack's order queue."""
    return f"{stack}-orders"


def create_order_queue(session: AwsSession, stack: str) -> str:
    """Create the tagged order queue; returns its URL."""
    sqs = session.client("sqs")
    with aws_errors(f"create the order queue of stack {stack}"):
        reply = sqs.create_queue(
            QueueName=queue_name(stack),
            Attributes={"MessageRetentionPeriod": "1209600", "VisibilityTimeout": "60"},
            tags={STACK_TAG: stack, "Name": queue_name(stack)},
        )
    return str(reply["QueueUrl"])


def find_order_queue(session: AwsSession, stack: str) -> str | None:
    """The URL of the stack's order queue, if it has one carrying the stack's tag."""
    sqs = session.client("sqs")
    with aws_errors(f"look up the order queue of stack {stack}"):
        urls: list[str] = sqs.list_queues(QueueNamePrefix=queue_name(stack)).get("QueueUrls", [])
        for url in urls:
            tags: dict[str, Any] = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
            if tags.get(STACK_TAG) == stack:
                return url
    return None


def delete_order_queue(session: AwsSession, stack: str) -> None:
    """Delete the stack's order queue if it exists."""
    url = find_order_queue(session, stack)
    if url is not None:
        with aws_errors(f"delete the order queue of stack {stack}"):
            session.client("sqs").delete_queue(QueueUrl=url)
