"""Re-discovery after a fault reads back the same topology as a whole discovery, in fewer calls."""

from __future__ import annotations

from pathlib import Path

from chaoscli.aws import (
    AwsSession,
    RollbackLog,
    StackPlan,
    discover,
    isolate_subnets,
    provision,
    reboot_with_failover,
    rollback,
    stop_instances,
)
from chaoscli.aws.discover import rediscover

ZONE = "ap-south-1a"


def test_rediscovery_sees_what_a_fault_changed_like_a_whole_discovery(
    session: AwsSession, tmp_path: Path
) -> None:
    """Stopped servers, a cut-off zone and a database failover show in ``rediscover`` exactly
    as in ``discover``, and so does their rollback; ``rediscover`` makes 8 calls, not 18."""
    plan = StackPlan("rediscover", instances_per_az=2, read_replicas=1)
    provision(session, plan)
    before = discover(session, plan.stack)
    log = RollbackLog(tmp_path / "rollback.jsonl")
    stop_instances(session, log, [i.id for i in before.instances_in(ZONE)])
    zone_subnets = [s.id for s in before.subnets if s.az == ZONE]
    isolate_subnets(session, log, before.vpc_id, zone_subnets, plan.stack)
    assert before.database is not None
    reboot_with_failover(session, log, before.database.primary.id)

    calls = session.call_count
    during = rediscover(session, before)
    assert session.call_count - calls == 8
    calls = session.call_count
    assert during == discover(session, plan.stack)
    assert session.call_count - calls == 18
    assert during != before and not during.zone_reachable(ZONE)
    assert {i.state for i in during.instances_in(ZONE)} == {"stopped"}

    rollback(session, log)
    assert rediscover(session, during) == discover(session, plan.stack) == before
