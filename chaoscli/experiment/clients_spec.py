"""The experiment's ``traffic`` and ``clients`` sections: what customers offer, and how
their clients connect, time out and retry."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chaoscli.experiment.spec_fields import Strict, assumed

# The clients' retry policy, shared with an assessment's inputs (one meaning, one source).
MaxAttempts = Annotated[
    int,
    assumed(
        "attempts per request, the first included",
        "attempts",
        "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
        ge=1,
        le=10,
    ),
]
Backoff = Annotated[
    Literal["none", "full", "equal", "decorrelated"],
    assumed(
        "the jitter of the backoff between attempts",
        "",
        "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
    ),
]


class TrafficSpec(Strict):
    """Customer traffic: a constant rate for the whole run."""

    rps: Annotated[float, Field(gt=0, le=50_000_000)] = 200_000
    checkout_share: Annotated[float, Field(ge=0, le=1)] = 0.01
    duration_s: Annotated[float, Field(ge=10, le=86_400)] = 600


class ClientsSpec(Strict):
    """How customers' clients connect, time out and retry."""

    max_attempts: MaxAttempts = 3
    backoff: Backoff = "full"
    backoff_base_s: Annotated[
        float,
        assumed(
            "backoff ceiling after the first failure, doubling after each",
            "s",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=60,
        ),
    ] = 1.0
    backoff_cap_s: Annotated[
        float,
        assumed(
            "the largest backoff ceiling",
            "s",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=600,
        ),
    ] = 20.0
    connect_timeout_s: Annotated[
        float,
        assumed(
            "how long a client waits for a load-balancer node to accept a connection",
            "s",
            "assumed: the client's setting",
            gt=0,
            le=120,
        ),
    ] = 3.0
    request_timeout_s: Annotated[
        float,
        assumed(
            "how long a client waits for one attempt's answer",
            "s",
            "assumed: the client's setting",
            gt=0,
            le=600,
        ),
    ] = 10.0
    customer_timeout_s: Annotated[
        float,
        assumed(
            "how long a customer waits, retries included, before giving up (a visible error)",
            "s",
            "assumed",
            gt=0,
            le=600,
        ),
    ] = 15.0
    dns_fallback: Annotated[
        bool,
        assumed(
            "after a connect timeout a client tries the next address of its DNS answer",
            "",
            "assumed: what browsers and most HTTP clients do",
        ),
    ] = True
    retry_budget: Annotated[
        bool,
        assumed(
            "clients keep the SDK's retry token bucket",
            "",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
        ),
    ] = True
    requests_per_client_s: Annotated[
        float,
        assumed(
            "requests one client sends per second: how load spreads over token buckets",
            "requests/s",
            "assumed",
            gt=0,
            le=1000,
        ),
    ] = 0.2
    retry_tokens: Annotated[
        float,
        assumed(
            "size of a client's retry token bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            gt=0,
            le=100_000,
        ),
    ] = 500.0
    retry_cost_tokens: Annotated[
        float,
        assumed(
            "tokens a retry takes from the bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=100_000,
        ),
    ] = 5.0
    timeout_retry_cost_tokens: Annotated[
        float,
        assumed(
            "tokens a retry after a timeout takes from the bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=100_000,
        ),
    ] = 10.0
    success_refund_tokens: Annotated[
        float,
        assumed(
            "tokens a successful attempt puts back into the bucket",
            "tokens",
            "AWS SDKs and Tools Reference Guide: Retry behavior (standard mode)",
            ge=0,
            le=100_000,
        ),
    ] = 1.0
