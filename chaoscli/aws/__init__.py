"""The AWS adapter: the only package that talks to boto3 and moto; it hands out plain objects."""

from chaoscli.aws.changes.database import reboot_with_failover
from chaoscli.aws.changes.instances import stop_instances
from chaoscli.aws.changes.log import RollbackError, RollbackLog, rollback
from chaoscli.aws.changes.network_acl import isolate_subnets
from chaoscli.aws.discover import discover
from chaoscli.aws.plan import StackPlan
from chaoscli.aws.provision import provision, teardown
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
