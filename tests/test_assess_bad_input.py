"""Bad input to `assess`: one clear line on stderr, exit 2, and nothing run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.endpoint_helpers import cli

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "two-tier-shop.yaml"
STATE = ROOT / "tests" / "fixtures" / "two-tier-shop.tfstate.json"

NO_TARGETS = """
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.30.0.0/16}}
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.30.0.0/20,
      AvailabilityZone: us-east-1a}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.30.16.0/20,
      AvailabilityZone: us-east-1b}}
  Lb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer,
       Properties: {Name: empty-shop, Subnets: [!Ref A, !Ref B]}}
  Tg: {Type: AWS::ElasticLoadBalancingV2::TargetGroup,
       Properties: {Name: empty-web, Port: 80, Protocol: HTTP, VpcId: !Ref Vpc}}
  Listener: {Type: AWS::ElasticLoadBalancingV2::Listener, Properties: {
      LoadBalancerArn: !Ref Lb, Port: 80, Protocol: HTTP,
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref Tg}]}}
"""


@pytest.fixture(autouse=True)
def _in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def refused(*args: str) -> str:
    """Run assess, expect exit 2 with one line and no matrix; that line."""
    result = cli("assess", *args)
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chaoscli: ")
    assert "zone power loss" not in result.out
    return lines[0]


def state_with(tmp_path: Path, **changes: object) -> Path:
    """The fixture state with the primary database's values changed."""
    doc = json.loads(STATE.read_text())
    for r in doc["values"]["root_module"]["resources"]:
        if r["address"] == "aws_db_instance.primary":
            r["values"].update(changes)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc))
    return path


def test_unknown_load_balancer(tmp_path: Path) -> None:
    line = refused("--topology-from", str(TEMPLATE), "--load-balancer", "no-such-shop")
    assert "no load balancer no-such-shop" in line


def test_target_group_without_targets(tmp_path: Path) -> None:
    template = tmp_path / "empty.yaml"
    template.write_text(NO_TARGETS)
    line = refused("--topology-from", str(template))
    assert "target group empty-web of empty-shop has no targets" in line


def test_database_that_is_not_mariadb_or_mysql(tmp_path: Path) -> None:
    path = state_with(tmp_path, engine="postgres", engine_version="16.3")
    line = refused("--topology-from", str(path))
    assert "two-tier-shop-db runs postgres" in line


def test_template_with_unsupported_resources(tmp_path: Path) -> None:
    template = tmp_path / "lambda.yaml"
    template.write_text(
        TEMPLATE.read_text().replace(
            "Resources:\n",
            "Resources:\n  Resizer:\n    Type: AWS::Lambda::Function\n"
            "    Properties: {Runtime: python3.12}\n",
            1,
        )
    )
    line = refused("--topology-from", str(template))
    assert "Resizer (AWS::Lambda::Function): not a resource type chaoscli can import" in line


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"values": {"root_module": ', "not JSON"),
        ('{"format_version": "1.0", "values": {}}', "values.root_module: missing"),
        (
            '{"values": {"root_module": {"resources": [{"address": "aws_vpc.x", '
            '"type": "aws_vpc", "values": {}}]}}}',
            "aws_vpc.x.cidr_block: missing",
        ),
    ],
)
def test_malformed_terraform_state(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    assert says in refused("--topology-from", str(path))


def test_topology_from_refuses_a_real_account() -> None:
    line = refused("--topology-from", str(TEMPLATE), "--allow-real-aws", "--account", "1")
    assert "only into in-process moto or an endpoint on loopback, not AWS itself" in line
