"""The permissions an experiment needs: its run made in-process, every API call it made counted.

The run goes through the same code as against a real account (provisioning unless the stack
exists, every fault, every undo, the teardown), so the calls it makes are the calls a real
run would make, and nothing a fault outside the method would need.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from chaoscli.aws.iam_policy import actions_for, policy
from chaoscli.aws.provision import provision
from chaoscli.aws.session import in_process_session
from chaoscli.experiment.loader import Loaded
from chaoscli.experiment.runner import plan_for, run


def calls_of(loaded: Loaded, *, stack_exists: bool = False) -> Counter[str]:
    """Every API call (``"service Operation"``) a run of the experiment makes, with counts.

    ``stack_exists``: the stack is there already (``chaoscli up``), so the run neither
    provisions nor tears it down, and those calls are not counted.
    """
    exp = loaded.experiment
    with in_process_session(exp.topology.region, persistent=True) as session:
        if stack_exists:
            provision(session, plan_for(exp))
            session.calls = Counter()
        run(loaded, seed=0, aws=session)
        return Counter(session.calls)


def iam_policy(loaded: Loaded, *, stack_exists: bool = False) -> dict[str, Any]:
    """The minimal identity-based IAM policy for running the experiment."""
    stem = Path(loaded.source).stem.replace("_", "-").split("-")
    sid = "Chaoscli" + "".join(part.capitalize() for part in stem if part.isalnum())
    return policy(actions_for(calls_of(loaded, stack_exists=stack_exists)), sid)
