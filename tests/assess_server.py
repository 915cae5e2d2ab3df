"""A moto server of its own holding the shipped two-tier shop, for the assess tests that
read a stack over the wire."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from chaoscli.aws.sandbox import free_port

REGION = "us-east-1"
TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "two-tier-shop.yaml"


@contextlib.contextmanager
def server() -> Iterator[str]:
    """A moto server in a process of its own on a free loopback port (one in this process
    would share its state with the in-process moto the model's copy runs in)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_shop(url: str, name: str = "two-tier-shop", **parameters: str) -> None:
    """The shipped template's stack, created through CloudFormation's own API."""
    cf = client(url, "cloudformation")
    cf.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    status = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
