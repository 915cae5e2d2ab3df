"""Hand-built topologies for tests of the pure model (no AWS involved)."""

from __future__ import annotations

from dataclasses import replace

from chaoscli.topology import (
    Database,
    DbInstance,
    HealthCheck,
    Instance,
    LoadBalancer,
    Subnet,
    Topology,
)

AZS = ("ap-south-1a", "ap-south-1b", "ap-south-1c")


def shop(
    per_az: int = 10,
    azs: tuple[str, ...] = AZS,
    hc: HealthCheck | None = None,
    cross_zone: bool = True,
    multi_az: bool = True,
) -> Topology:
    """A stack like the one chaoscli provisions, with ``per_az`` instances in each zone."""
    subnets, instances = [], []
    for az in azs:
        subnets.append(Subnet(f"subnet-pub-{az}", az, True, "acl-stack"))
        subnets.append(Subnet(f"subnet-priv-{az}", az, False, "acl-stack"))
        instances += [Instance(f"i-{az}-{k:03d}", az, f"subnet-priv-{az}") for k in range(per_az)]
    lb = LoadBalancer(
        "shop-alb",
        "arn:alb",
        "shop.elb",
        azs,
        "arn:tg",
        hc or HealthCheck(10, 5, 3, 2),
        cross_zone=cross_zone,
    )
    standby = azs[1] if len(azs) > 1 else None
    db = Database(DbInstance("shop-db", azs[0]), multi_az and standby is not None, standby)
    return Topology("shop", "ap-south-1", "vpc-1", azs, tuple(subnets), tuple(instances), lb, db)


def with_instances(
    topo: Topology, az: str | None, count: int | None = None, **changes: str
) -> Topology:
    """The topology with (the first ``count``) instances of a zone (or all zones) changed."""
    out, n = [], 0
    for inst in topo.instances:
        if (az is None or inst.az == az) and (count is None or n < count):
            inst = replace(inst, **changes)
            n += 1
        out.append(inst)
    return replace(topo, instances=tuple(out))


def cut_off(topo: Topology, az: str, public: bool = True, private: bool = True) -> Topology:
    """The topology with a zone's subnets behind a deny-all network ACL."""
    subnets = tuple(
        replace(s, reachable=False, nacl_id="acl-deny")
        if s.az == az and ((s.public and public) or (not s.public and private))
        else s
        for s in topo.subnets
    )
    return replace(topo, subnets=subnets)


def api_stop(topo: Topology, az: str) -> Topology:
    """AWS FIS's power interruption as discovery would see it: stopped and cut off."""
    return cut_off(with_instances(topo, az, state="stopped", target_state="unused"), az)


def power_off(topo: Topology, az: str) -> Topology:
    """A zone's real power loss as discovery sees it: instances marked off, subnets cut off."""
    return cut_off(with_instances(topo, az, fault="power-off"), az)
