"""Changes a run makes to the control plane, each module holding one kind with its undo.

Importing the package imports every change module, so each registers its undos with the log
(``log.undoes``) before anything can replay a log: ``chaoscli rollback LOG`` undoes any kind.
"""

from chaoscli.aws.changes import (
    alarms,
    autoscaling,
    database,
    instance_tags,
    instances,
    network_acl,
    replicas,
)
from chaoscli.aws.changes.log import RollbackError, RollbackLog, rollback, undo_kinds, undoes

__all__ = [
    "RollbackError",
    "RollbackLog",
    "alarms",
    "autoscaling",
    "database",
    "instance_tags",
    "instances",
    "network_acl",
    "replicas",
    "rollback",
    "undo_kinds",
    "undoes",
]
