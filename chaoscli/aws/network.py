"""The stack's network: a VPC, a public and a private subnet per zone, routes, a NACL, groups.

The stack gets its own allow-all NACL (rather than AWS's default one) so that a fault can swap
it for a deny-all NACL and the rollback can swap it back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chaoscli.aws.plan import StackPlan
from chaoscli.aws.session import AwsSession, aws_errors
from chaoscli.aws.tags import stack_filter, stack_tags, tag_spec
from chaoscli.errors import AwsError

VPC_CIDR = "10.0.0.0/16"
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class Network:
    """Ids of the network pieces the rest of provisioning builds on."""

    vpc_id: str
    public: dict[str, str]  # zone -> public subnet id
    private: dict[str, str]  # zone -> private subnet id
    alb_sg: str
    web_sg: str
    untagged: tuple[str, ...]  # ids AWS created for us (defaults, rules) still to be tagged


class Claim(Protocol):
    """A command's claim on a new stack: tags its VPC is created with, and the check right
    after (``chaoscli.aws.stack_lease``), which raises if another command created it too.
    ``found`` says whether the stack existed when the claim looked (None: it did not look)."""

    @property
    def vpc_tags(self) -> dict[str, str]: ...

    @property
    def vpc_id(self) -> str | None: ...

    @property
    def found(self) -> bool | None: ...

    def claim(self, vpc_id: str) -> None: ...


def pick_azs(session: AwsSession, count: int) -> list[str]:
    """The region's first ``count`` available zones, sorted by name."""
    with aws_errors(f"list availability zones of {session.region}"):
        zones = session.client("ec2").describe_availability_zones()["AvailabilityZones"]
    names = sorted(
        z["ZoneName"]
        for z in zones
        if z.get("State", "available") == "available"
        and z.get("ZoneType", "availability-zone") == "availability-zone"
    )
    if len(names) < count:
        raise AwsError(f"{session.region} has {len(names)} available zones; the plan needs {count}")
    return names[:count]


def subnet_cidr(index: int) -> str:
    """The /20 block number ``index`` (0-15) of the VPC: 4091 usable addresses each."""
    return f"10.0.{index * 16}.0/20"


def find_stack_vpc(session: AwsSession, stack: str) -> str | None:
    """The id of the VPC tagged with the stack, if one exists."""
    with aws_errors(f"look for stack {stack}"):
        vpcs = session.client("ec2").describe_vpcs(Filters=[stack_filter(stack)])["Vpcs"]
    return min(v["VpcId"] for v in vpcs) if vpcs else None


def build_network(
    session: AwsSession, plan: StackPlan, azs: list[str], claim: Claim | None = None
) -> Network:
    """Create the VPC and everything in it that is not a server, all tagged with the stack;
    a ``claim`` tags the VPC and is checked before anything else is created in it."""
    ec2 = session.client("ec2")
    stack = plan.stack
    with aws_errors(f"create the network of stack {stack}"):
        extra = claim.vpc_tags if claim is not None else None
        vpc_id = ec2.create_vpc(
            CidrBlock=VPC_CIDR, TagSpecifications=tag_spec("vpc", stack, f"{stack}-vpc", extra)
        )["Vpc"]["VpcId"]
    if claim is not None:
        claim.claim(vpc_id)
    with aws_errors(f"create the network of stack {stack}"):
        public, private = {}, {}
        for i, az in enumerate(azs):
            public[az] = _subnet(ec2, vpc_id, az, subnet_cidr(i), stack, "public")
            private[az] = _subnet(ec2, vpc_id, az, subnet_cidr(i + 8), stack, "private")
        _routes(ec2, vpc_id, stack, public, private)
        _nacl(ec2, vpc_id, stack, [*public.values(), *private.values()])
        alb_sg, web_sg = _security_groups(ec2, vpc_id, stack)
        untagged = _aws_defaults(ec2, vpc_id, [alb_sg, web_sg])
    return Network(vpc_id, public, private, alb_sg, web_sg, untagged)


def _subnet(ec2: Any, vpc_id: str, az: str, cidr: str, stack: str, tier: str) -> str:
    """Create one subnet and return its id."""
    return str(
        ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=az,
            TagSpecifications=tag_spec("subnet", stack, f"{stack}-{tier}-{az}"),
        )["Subnet"]["SubnetId"]
    )


def _routes(
    ec2: Any, vpc_id: str, stack: str, public: dict[str, str], private: dict[str, str]
) -> None:
    """Internet gateway, one public route table to it, one private route table per zone."""
    igw = ec2.create_internet_gateway(
        TagSpecifications=tag_spec("internet-gateway", stack, f"{stack}-igw")
    )["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    rtb = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=tag_spec("route-table", stack, f"{stack}-public")
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=ANYWHERE, GatewayId=igw)
    for subnet in public.values():
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    for az, subnet in private.items():
        rtb = ec2.create_route_table(
            VpcId=vpc_id, TagSpecifications=tag_spec("route-table", stack, f"{stack}-private-{az}")
        )["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)


def _nacl(ec2: Any, vpc_id: str, stack: str, subnets: list[str]) -> None:
    """The stack's allow-all NACL with explicit entries, associated with every stack subnet."""
    acl = ec2.create_network_acl(
        VpcId=vpc_id, TagSpecifications=tag_spec("network-acl", stack, f"{stack}-nacl")
    )["NetworkAcl"]["NetworkAclId"]
    everything(ec2, acl, "allow")
    replace_nacl(ec2, {subnet: acl for subnet in subnets})


def everything(ec2: Any, acl_id: str, action: str) -> None:
    """Rule 100 in both directions: all traffic from and to anywhere allowed, or denied.

    Explicit both ways, since moto creates NACLs empty where AWS adds an implicit deny.
    """
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=acl_id,
            RuleNumber=100,
            Protocol="-1",
            RuleAction=action,
            Egress=egress,
            CidrBlock=ANYWHERE,
        )


def replace_nacl(ec2: Any, targets: dict[str, str]) -> None:
    """Move each subnet (key) onto its NACL (value), looking up the current associations."""
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": sorted(targets)}]
    )["NetworkAcls"]
    current = {
        a["SubnetId"]: (a["NetworkAclAssociationId"], acl["NetworkAclId"])
        for acl in acls
        for a in acl.get("Associations", [])
        if a["SubnetId"] in targets
    }
    for subnet, acl_id in targets.items():
        if subnet not in current:
            raise AwsError(f"subnet {subnet} has no network ACL association")
        association, now = current[subnet]
        if now != acl_id:
            ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)


def _security_groups(ec2: Any, vpc_id: str, stack: str) -> tuple[str, str]:
    """The ALB's group (HTTP/HTTPS from anywhere) and the web group (HTTP from the ALB)."""

    def group(name: str, description: str) -> str:
        return str(
            ec2.create_security_group(
                GroupName=name,
                Description=description,
                VpcId=vpc_id,
                TagSpecifications=tag_spec("security-group", stack, name),
            )["GroupId"]
        )

    alb_sg = group(f"{stack}-alb", "chaoscli: load balancer, HTTP(S) from anywhere")
    web_sg = group(f"{stack}-web", "chaoscli: web servers, HTTP from the load balancer")
    ec2.authorize_security_group_ingress(
        GroupId=alb_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": ANYWHERE}],
            }
            for port in (80, 443)
        ],
        TagSpecifications=tag_spec("security-group-rule", stack, f"{stack}-alb-in"),
    )
    ec2.authorize_security_group_ingress(
        GroupId=web_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "UserIdGroupPairs": [{"GroupId": alb_sg}],
            }
        ],
        TagSpecifications=tag_spec("security-group-rule", stack, f"{stack}-web-in"),
    )
    return alb_sg, web_sg


def _aws_defaults(ec2: Any, vpc_id: str, groups: list[str]) -> tuple[str, ...]:
    """Ids AWS created along with ours: main route table, default NACL and group, group rules."""
    in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
    main = ec2.describe_route_tables(
        Filters=[in_vpc, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    acls = ec2.describe_network_acls(Filters=[in_vpc, {"Name": "default", "Values": ["true"]}])
    default_sg = ec2.describe_security_groups(
        Filters=[in_vpc, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    all_groups = [*groups, *(g["GroupId"] for g in default_sg)]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": all_groups}])[
        "SecurityGroupRules"
    ]
    return (
        *(r["RouteTableId"] for r in main),
        *(a["NetworkAclId"] for a in acls["NetworkAcls"]),
        *(g["GroupId"] for g in default_sg),
        *(r["SecurityGroupRuleId"] for r in rules),
    )


def tag_later(session: AwsSession, stack: str, ids: list[str]) -> None:
    """Tag resources AWS created implicitly, in as few CreateTags calls as possible."""
    ec2 = session.client("ec2")
    with aws_errors(f"tag the resources of stack {stack}"):
        for start in range(0, len(ids), 500):
            ec2.create_tags(
                Resources=ids[start : start + 500], Tags=stack_tags(stack, f"{stack}-implicit")
            )
