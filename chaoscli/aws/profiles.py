"""Named profiles of the AWS config and credentials files (``--profile``): checked before
any client exists, so an unknown name costs no call."""

from __future__ import annotations

import boto3
import botocore.session
from botocore.exceptions import BotoCoreError, ProfileNotFound

from chaoscli.errors import SpecError


def _files() -> str:
    session = botocore.session.Session()
    config = session.get_config_variable("config_file")
    credentials = session.get_config_variable("credentials_file")
    return f"{config} or {credentials}"


def _settings(name: str) -> dict[str, object]:
    """The profile's settings; an unknown or unreadable profile is bad input."""
    try:
        return dict(botocore.session.Session(profile=name).get_scoped_config())
    except ProfileNotFound:
        raise SpecError("--profile", "", f"no profile {name!r} in {_files()}") from None
    except BotoCoreError as exc:
        raise SpecError("--profile", "", f"cannot read profile {name!r}: {exc}") from None


def profile_endpoint(name: str) -> str | None:
    """The ``endpoint_url`` the profile sets (None: it sets none)."""
    url = _settings(name).get("endpoint_url")
    return str(url) if url else None


def profile_region(name: str) -> str | None:
    """The ``region`` the profile sets (None: it sets none)."""
    region = _settings(name).get("region")
    return str(region) if region else None


def profile_session(name: str, region: str) -> boto3.session.Session:
    """A boto3 session with the profile's credentials and settings, in ``region``."""
    profile_endpoint(name)  # one clear line for an unknown profile, before boto3 is asked
    return boto3.session.Session(profile_name=name, region_name=region)
