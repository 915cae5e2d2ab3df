"""What an experiment becomes: the stack plan to provision and the simulation's input.

The plan comes from the experiment's topology; the scenario pairs the discovered snapshots
with the model's numbers from the experiment, never with its topology section.
"""

from __future__ import annotations

from chaoscli.aws.plan import StackPlan
from chaoscli.experiment.spec import Experiment
from chaoscli.sim.retry import ClientPolicy
from chaoscli.sim.scenario import (
    ControlAction,
    EngineParams,
    ModelParams,
    Scenario,
    Snapshot,
    TrafficProfile,
)
from chaoscli.topology import HealthCheck


def plan_for(exp: Experiment) -> StackPlan:
    """The stack to provision, from the experiment's topology."""
    t = exp.topology
    hc = t.health_check
    return StackPlan(
        stack=t.stack,
        region=t.region,
        azs=t.azs,
        instances_per_az=t.instances_per_az,
        instances_by_zone=tuple(t.instances_by_zone or ()),
        instance_type=t.instance_type,
        health_check=HealthCheck(
            hc.interval_s, hc.timeout_s, hc.healthy_threshold, hc.unhealthy_threshold, hc.path
        ),
        cross_zone=t.load_balancer.cross_zone,
        algorithm=t.load_balancer.algorithm,
        deregistration_delay_s=t.load_balancer.deregistration_delay_s,
        db_engine_version=t.database.engine_version,
        # a standby needs another zone: a single-zone stack runs its database single-AZ
        db_multi_az=t.database.multi_az and t.azs > 1,
        read_replicas=t.database.read_replicas,
        db_instance_class=t.database.instance_class,
        order_queue=t.order_queue.enabled,
        autoscaling=t.autoscaling.enabled,
        asg_per_zone=t.autoscaling.groups == "per_zone",
        asg_max_per_az=max(t.autoscaling.max_per_az, *t.zone_counts),
        asg_target_utilization=t.autoscaling.target_utilization,
        asg_warmup_s=t.autoscaling.warmup_s,
    )


def scenario_for(
    exp: Experiment, snapshots: list[Snapshot], actions: list[ControlAction], seed: int
) -> Scenario:
    """The simulation's input: discovered snapshots plus the model's numbers."""
    t, c = exp.topology, exp.clients
    return Scenario(
        snapshots=tuple(snapshots),
        traffic=TrafficProfile.constant(
            exp.traffic.rps, exp.traffic.duration_s, exp.traffic.checkout_share
        ),
        clients=ClientPolicy(
            max_attempts=c.max_attempts,
            backoff_base_s=c.backoff_base_s,
            backoff_cap_s=c.backoff_cap_s,
            jitter=c.backoff,
            connect_timeout_s=c.connect_timeout_s,
            request_timeout_s=c.request_timeout_s,
            customer_timeout_s=c.customer_timeout_s,
            dns_fallback=c.dns_fallback,
            retry_budget=c.retry_budget,
            requests_per_client_s=c.requests_per_client_s,
            budget_tokens=c.retry_tokens,
            retry_cost=c.retry_cost_tokens,
            timeout_retry_cost=c.timeout_retry_cost_tokens,
            success_refund=c.success_refund_tokens,
        ),
        model=ModelParams(
            instance_capacity_rps=t.instance_capacity_rps,
            workers_per_instance=t.workers_per_instance,
            network_s=t.network_ms / 1000,
            boot_s=t.boot_s,
            queue_limit_s=t.queue_limit_s,
            lb_connect_timeout_s=t.load_balancer.connect_timeout_s,
            control_plane_delay_s=t.load_balancer.api_stop_notice_s,
            api_stop_answer=t.load_balancer.api_stop_answer,
            lor_refused_weight_cap=t.load_balancer.lor_refused_weight_cap,
            dns_ttl_s=t.load_balancer.dns_ttl_s,
            dns_removal_s=t.load_balancer.dns_removal_s,
            failover_s=(t.database.failover_s[0], t.database.failover_s[1]),
            write_timeout_s=t.database.write_timeout_s,
            replica_lag_s=t.database.replica_lag_s,
            promote_replica_after_s=t.database.promote_replica_after_s,
            order_drain_rps=t.order_queue.drain_rps,
            autoscaling=t.autoscaling.enabled,
            asg_replace_after_s=t.autoscaling.replace_after_s,
            asg_alarm_periods=t.autoscaling.alarm_periods,
        ),
        engine=EngineParams(
            samples_per_s=exp.engine.samples_per_s,
            tick_s=exp.engine.tick_s,
            seed=seed,
            patience_s=exp.hypothesis.patience_s,
            stop_window_s=max(
                [c.over_s for c in exp.stop_conditions if c.metric == "p99_latency_ms"],
                default=0.0,
            ),
        ),
        actions=tuple(actions),
    )
