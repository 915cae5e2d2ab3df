"""Re-discovery after rollback: what differs from the stack before the run, one line each.

Differences AWS makes on its own are named as such (an instance Auto Scaling replaced, a
desired capacity it scaled); anything else means the stack is not as it was, and the run
keeps its rollback log and exits 4.
"""

from __future__ import annotations

from dataclasses import replace

from chaoscli.errors import NotRestored
from chaoscli.topology import AutoScaling, Topology

EXPECTED = "expected: "


def unexpected(diffs: list[str]) -> list[str]:
    """The differences that mean the stack is not as it was."""
    return [d for d in diffs if not d.startswith(EXPECTED)]


def differs(diffs: list[str], log: str, persistent: bool) -> NotRestored | None:
    """The error a run ends with when re-discovery found the stack not as it was: one line
    naming the differences and the log that is kept; None when there are none."""
    left = unexpected(diffs)
    if not left:
        return None
    shown = "; ".join(left[:5]) + (f"; and {len(left) - 5} more" if len(left) > 5 else "")
    where = (
        f"the rollback log {log} is kept: `chaoscli rollback {log}` re-checks it"
        if persistent
        else f"in-process moto ends with this process; the log is kept at {log}"
    )
    return NotRestored(
        f"the stack is not as it was after the rollback: {len(left)} difference(s): {shown}; "
        + where
    )


def compare(before: Topology, after: Topology) -> list[str]:
    """Differences between two discoveries of the stack, one line each (empty: identical).

    Lines for differences AWS makes on its own start with ``expected:`` and say why: an
    instance gone and a tagged one new in the same zone is Auto Scaling replacing it.
    """
    diffs: list[str] = []
    b_inst = {i.id: i for i in before.instances}
    a_inst = {i.id: i for i in after.instances}
    gone = [b_inst[i] for i in sorted(b_inst.keys() - a_inst.keys())]
    new = [a_inst[i] for i in sorted(a_inst.keys() - b_inst.keys())]
    for old in list(gone):
        twin = next((n for n in new if n.az == old.az and n.tagged), None)
        if twin is not None:
            gone.remove(old)
            new.remove(twin)
            diffs.append(
                f"{EXPECTED}instance {old.id} in {old.az} was replaced by {twin.id} "
                "(Auto Scaling replaces lost instances)"
            )
    diffs += [f"instance {i.id} in {i.az} is gone" for i in gone]
    diffs += [f"instance {i.id} in {i.az} appeared" for i in new]
    for iid in sorted(b_inst.keys() & a_inst.keys()):
        x, y = b_inst[iid], a_inst[iid]
        if (x.state, x.target_state, x.fault) != (y.state, y.target_state, y.fault):
            diffs.append(
                f"instance {iid}: {x.state}/{x.target_state} -> {y.state}/{y.target_state}"
                + (f" (fault mark {y.fault!r})" if y.fault else "")
            )
    b_sub, a_sub = {s.id: s for s in before.subnets}, {s.id: s for s in after.subnets}
    diffs += [f"subnet {sid} is gone" for sid in sorted(b_sub.keys() - a_sub.keys())]
    diffs += [f"subnet {sid} appeared" for sid in sorted(a_sub.keys() - b_sub.keys())]
    for sid in sorted(b_sub.keys() & a_sub.keys()):
        sx, sy = b_sub[sid], a_sub[sid]
        if (sx.nacl_id, sx.reachable) != (sy.nacl_id, sy.reachable):
            diffs.append(f"subnet {sid}: network ACL {sx.nacl_id} -> {sy.nacl_id}")
    diffs += _nacl_diffs(before, after)
    diffs += _group_diffs(before.autoscaling, after.autoscaling)
    diffs += _alarm_diffs(before, after)
    diffs += _database_diffs(before, after)
    if before.load_balancer != after.load_balancer:
        diffs.append("load balancer settings changed")
    for name in ("backup_bucket", "order_queue"):
        was, now = getattr(before, name, None), getattr(after, name, None)
        if was != now:
            diffs.append(f"{name.replace('_', ' ')}: {was} -> {now}")
    return diffs


def _nacl_diffs(before: Topology, after: Topology) -> list[str]:
    """Network ACLs that appeared (a fault's deny-all left behind), went, or changed rules.

    Skipped when ``before`` holds none (a log written before they were recorded): a VPC
    always has its default ACL.
    """
    if not before.nacls:
        return []
    b, a = {n.id: n for n in before.nacls}, {n.id: n for n in after.nacls}
    out = []
    for acl_id in sorted(a.keys() - b.keys()):
        used = [s.id for s in after.subnets if s.nacl_id == acl_id]
        kind = "fault network ACL" if a[acl_id].fault else "network ACL"
        out.append(
            f"{kind} {acl_id} appeared, "
            + (f"associated with {', '.join(used)}" if used else "associated with no subnet")
        )
    out += [f"network ACL {acl_id} is gone" for acl_id in sorted(b.keys() - a.keys())]
    for acl_id in sorted(b.keys() & a.keys()):
        added = sorted(set(a[acl_id].entries) - set(b[acl_id].entries))
        removed = sorted(set(b[acl_id].entries) - set(a[acl_id].entries))
        out += [f"network ACL {acl_id}: rule added: {r}" for r in added]
        out += [f"network ACL {acl_id}: rule removed: {r}" for r in removed]
    return out


def _group_diffs(x: AutoScaling | None, y: AutoScaling | None) -> list[str]:
    """The Auto Scaling group's subnets, zones, suspended processes and sizes."""
    if x is None or y is None:
        return [] if x is y else ["Auto Scaling group " + ("appeared" if x is None else "is gone")]
    out = []
    if x.subnet_ids and x.subnet_ids != y.subnet_ids:
        out.append(
            f"Auto Scaling group {x.name}: subnets {','.join(x.subnet_ids)} -> "
            f"{','.join(y.subnet_ids) or 'none'}"
        )
    elif x.azs != y.azs:
        out.append(f"Auto Scaling group {x.name}: zones {','.join(x.azs)} -> {','.join(y.azs)}")
    for process in sorted(set(y.suspended) - set(x.suspended)):
        out.append(f"Auto Scaling group {x.name}: process {process} is suspended")
    for process in sorted(set(x.suspended) - set(y.suspended)):
        out.append(f"Auto Scaling group {x.name}: process {process} was resumed")
    if (x.min_size, x.max_size) != (y.min_size, y.max_size):
        out.append(
            f"Auto Scaling group {x.name}: size {x.min_size}-{x.max_size} -> "
            f"{y.min_size}-{y.max_size}"
        )
    if x.desired != y.desired:
        out.append(
            f"{EXPECTED}Auto Scaling group {x.name} desired capacity {x.desired} -> {y.desired} "
            "(its scaling policy acts on its own)"
        )
    if (x.target_utilization, x.warmup_s) != (y.target_utilization, y.warmup_s):
        out.append(f"Auto Scaling group {x.name}: scaling policy changed")
    return out


def _alarm_diffs(before: Topology, after: Topology) -> list[str]:
    """Alarms chaoscli created that are left behind or gone, and states not put back."""
    b, a = {x.name: x.state for x in before.alarms}, {x.name: x.state for x in after.alarms}
    out = [f"alarm {n} created by chaoscli is still there" for n in sorted(a.keys() - b.keys())]
    out += [f"alarm {n} is gone" for n in sorted(b.keys() - a.keys())]
    out += [f"alarm {n}: {b[n]} -> {a[n]}" for n in sorted(a.keys() & b.keys()) if a[n] != b[n]]
    return out


def _database_diffs(before: Topology, after: Topology) -> list[str]:
    """How the database differs: where the primary is, and which replicas exist where."""
    x, y = before.database, after.database
    if x == y:
        return []
    if x is None or y is None:
        return ["database " + ("appeared" if x is None else "is gone")]
    out = []
    if (
        x.multi_az
        and y.multi_az
        and x.primary.id == y.primary.id
        and (y.primary.az, y.standby_az) == (x.standby_az, x.primary.az)
    ):
        out.append(
            f"expected: database {x.primary.id} runs in {y.primary.az}, its standby's zone, "
            f"after a failover (failing back to {x.primary.az} is a second write outage: "
            "fail_back: true on the step does it)"
        )
        x = replace(x, primary=y.primary, standby_az=y.standby_az)
        if x == y:
            return out
    if (x.primary.id, x.primary.az) != (y.primary.id, y.primary.az):
        out.append(
            f"database primary {x.primary.id} in {x.primary.az} -> {y.primary.id} in {y.primary.az}"
        )
    if (x.multi_az, x.standby_az) != (y.multi_az, y.standby_az):
        out.append(f"database standby {x.standby_az} -> {y.standby_az}")
    b_rep = {r.id: r for r in x.replicas}
    a_rep = {r.id: r for r in y.replicas}
    out += [f"read replica {r} is gone" for r in sorted(b_rep.keys() - a_rep.keys())]
    out += [f"read replica {r} appeared" for r in sorted(a_rep.keys() - b_rep.keys())]
    for rid in sorted(b_rep.keys() & a_rep.keys()):
        if b_rep[rid].az != a_rep[rid].az:
            out.append(f"read replica {rid} moved from {b_rep[rid].az} to {a_rep[rid].az}")
    return out or ["database changed (status or engine)"]
