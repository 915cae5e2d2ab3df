"""The AWS adapter: the only package that talks to boto3 and moto; it hands out plain objects."""

from chaoscli.aws.actions import isolate_subnets, reboot_with_failover, stop_instances
from chaoscli.aws.discover import discover
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision, teardown
from chaoscli.aws.rollback import RollbackError, RollbackLog, rollback
from chaoscli.aws.session import AwsSession, open_session

__all__ = [
    "AwsSession",
    "RollbackError",
    "RollbackLog",
    "StackPlan",
    "discover",
    "isolate_subnets",
    "open_session",
    "provision",
    "reboot_with_failover",
    "rollback",
    "stop_instances",
    "teardown",
]
