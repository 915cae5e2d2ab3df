"""An AWS FIS template read as an experiment: the actions chaoscli models become method steps
on the shop, the others are listed as not modelled, and a bad template is one line, exit 2."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chaoscli.errors import SpecError
from chaoscli.experiment.loader import Loaded, experiments_dir, load
from tests.helpers import chaoscli

SHIPPED = experiments_dir() / "fis" / "az-power-interruption.json"
ROLE = "arn:aws:iam::123456789012:role/fis"


def shipped() -> dict[str, Any]:
    """The shipped "AZ Availability: Power Interruption"-shaped template."""
    return json.loads(SHIPPED.read_text())


def loaded(tmp_path: Path, template: dict[str, Any], *sets: str) -> Loaded:
    """``template`` written to a file and loaded as ``run`` loads it."""
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template, indent="\t"))
    return load(str(path), list(sets))


def minimal(actions: dict[str, Any], targets: dict[str, Any] | None = None) -> dict[str, Any]:
    """A template of these actions and targets and nothing else."""
    return {
        "description": "test",
        "targets": targets or {},
        "actions": actions,
        "stopConditions": [{"source": "none"}],
        "roleArn": ROLE,
    }


def instances(zone: str | None, mode: str = "ALL") -> dict[str, Any]:
    filters = [{"path": "Placement.AvailabilityZone", "values": [zone]}] if zone else []
    return {
        "resourceType": "aws:ec2:instance",
        "resourceTags": {"chaoscli:stack": "shop"},
        "selectionMode": mode,
        "filters": filters,
    }


def test_the_power_interruption_shape_is_one_zone_outage(tmp_path: Path) -> None:
    """Stop-Instances, Stop-ASG-Instances, Pause-Instance-Launches, Pause-ASG-Scaling,
    Pause-network-connectivity and Failover-RDS after the wait are one api-stop outage of the
    zone at 120 s for 5 minutes; Pause-ElastiCache and Pause-EBS-IO are listed as not
    modelled; the hypothesis is the shop's."""
    got = load(str(SHIPPED))
    assert [(s.fault, s.az, s.mode, s.start_s, s.duration_s) for s in got.experiment.method] == [
        ("az-outage", "ap-south-1a", "api-stop", 120.0, 300.0)
    ]
    notes = "\n".join(got.notes)
    assert "not modelled: Pause-EBS-IO (aws:ebs:pause-volume-io)" in notes
    assert "Pause-network-connectivity cuts the network for PT2M" in notes
    assert "hypothesis: no visible downtime, no lost orders (the shop's own" in notes
    assert got.experiment.hypothesis.availability.min == 0.999
    assert "not modelled: Pause-ElastiCache" in notes
    assert "Not modelled: Pause-ElastiCache" in got.experiment.description
    assert "; Pause-EBS-IO (aws:ebs:pause-volume-io)" in got.experiment.description
    assert got.experiment.title == "AZ Availability: Power Interruption"


def test_aws_exact_shape_starting_at_once_is_accepted(tmp_path: Path) -> None:
    """AWS's scenario as the library writes it: no wait, 30 minutes, the ElastiCache action
    too; it starts at 0 s, outlasts the shop's 600 s (said), ElastiCache is not modelled."""
    t = shipped()
    del t["actions"]["Wait-Steady-State"]
    for action in t["actions"].values():
        action.pop("startAfter", None)
        for key in ("duration", "startInstancesAfterDuration"):
            if key in action.get("parameters", {}):
                action["parameters"][key] = "PT30M"
    t["actions"]["Pause-network-connectivity"]["parameters"]["duration"] = "PT2M"
    t["actions"]["Pause-EBS-IO"]["startAfter"] = ["Stop-Instances", "Stop-ASG-Instances"]
    t["targets"]["ElastiCache-Cluster"] = {
        "resourceType": "aws:elasticache:redis-replicationgroup",
        "resourceTags": {"AzImpairmentPower": "DisruptElasticache"},
        "parameters": {"availabilityZoneIdentifier": "ap-south-1a"},
        "selectionMode": "ALL",
    }
    t["actions"]["Pause-ElastiCache"] = {
        "actionId": "aws:elasticache:interrupt-cluster-az-power",
        "parameters": {"duration": "PT30M"},
        "targets": {"ReplicationGroups": "ElastiCache-Cluster"},
    }
    got = loaded(tmp_path, t)
    step = got.experiment.method[0]
    assert (step.fault, step.start_s, step.duration_s) == ("az-outage", 0.0, 1800.0)
    notes = "\n".join(got.notes)
    assert "past the end of the shop's traffic at 600 s" in notes
    assert "not modelled: Pause-ElastiCache" in notes
    assert "not modelled: Pause-EBS-IO" in notes


@pytest.mark.parametrize(
    ("action", "target", "expected"),
    [
        (
            {"actionId": "aws:network:disrupt-connectivity", "parameters": {"duration": "PT3M"}},
            {
                "resourceType": "aws:ec2:subnet",
                "selectionMode": "ALL",
                "resourceTags": {"chaoscli:stack": "shop"},
                "filters": [{"path": "AvailabilityZone", "values": ["ap-south-1b"]}],
            },
            ("router-failure", "ap-south-1b", 180.0),
        ),
        (
            {
                "actionId": "aws:ssm:send-command",
                "parameters": {
                    "documentArn": "arn:aws:ssm:ap-south-1::document/AWSFIS-Run-Kill-Process",
                    "documentParameters": '{"ProcessName":"nginx"}',
                    "duration": "PT4M",
                },
            },
            instances(None, "PERCENT(20)"),
            ("instance-crash", None, 240.0),
        ),
        (
            {
                "actionId": "aws:ssm:send-command",
                "parameters": {
                    "documentArn": "arn:aws:ssm:ap-south-1::document/AWSFIS-Run-Network-Latency",
                    "documentParameters": '{"DelayMilliseconds":"300"}',
                    "duration": "PT2M",
                },
            },
            instances("ap-south-1c"),
            ("az-slowdown", "ap-south-1c", 120.0),
        ),
    ],
)
def test_each_modelled_action_is_its_fault(
    tmp_path: Path, action: dict[str, Any], target: dict[str, Any], expected: tuple
) -> None:
    """disrupt-connectivity is a router failure, kill-process a crash (with its selection
    mode), a zone's network latency an az-slowdown, each at its own zone and duration."""
    action = {**action, "targets": {"Any": "t"}}
    got = loaded(tmp_path, minimal({"a": action}, {"t": target}))
    step = got.experiment.method[0]
    assert (step.fault, step.az, step.duration_s) == expected
    if step.fault == "instance-crash":
        assert step.selection == "PERCENT(20)"
    if step.fault == "az-slowdown":
        assert step.latency_ms == 300


@pytest.mark.parametrize(
    ("action", "why"),
    [
        (
            {"actionId": "aws:rds:reboot-db-instances", "parameters": {}},
            "a reboot without forceFailover",
        ),
        ({"actionId": "aws:ec2:stop-instances"}, "chaoscli stops instances only in a zone outage"),
        ({"actionId": "aws:ec2:terminate-instances"}, "no chaoscli fault does this"),
        (
            {
                "actionId": "aws:ssm:send-command",
                "parameters": {"documentArn": "arn:aws:ssm:x::document/AWSFIS-Run-CPU-Stress"},
            },
            "SSM document AWSFIS-Run-CPU-Stress",
        ),
    ],
)
def test_what_the_model_cannot_run_is_listed(
    tmp_path: Path, action: dict[str, Any], why: str
) -> None:
    """An action no fault stands for is named, with why, next to a step that does run."""
    acts = {
        "odd": action,
        "failover": {
            "actionId": "aws:rds:reboot-db-instances",
            "parameters": {"forceFailover": "true"},
        },
    }
    got = loaded(tmp_path, minimal(acts))
    assert [s.fault for s in got.experiment.method] == ["rds-failover"]
    assert any(n.startswith(f"not modelled: odd ({action['actionId']}): {why}") for n in got.notes)


def test_alarm_stop_conditions_are_the_shops_alarms(tmp_path: Path) -> None:
    """An alarm the shop declares stops the method; one it does not is listed."""
    t = minimal(
        {"f": {"actionId": "aws:rds:reboot-db-instances", "parameters": {"forceFailover": "true"}}}
    )
    t["tags"] = {"chaoscli:experiment": "instance-crash"}
    arn = "arn:aws:cloudwatch:ap-south-1:123456789012:alarm:"
    t["stopConditions"] = [
        {"source": "aws:cloudwatch:alarm", "value": arn + "shop-elb-5xx"},
        {"source": "aws:cloudwatch:alarm", "value": arn + "someone-elses"},
    ]
    got = loaded(tmp_path, t)
    assert [c.alarm for c in got.experiment.stop_conditions] == ["shop-elb-5xx"]
    assert any("alarm someone-elses): the shop declares no alarm" in n for n in got.notes)
    assert "from instance-crash" in got.notes[0]


def test_set_applies_and_var_is_refused(tmp_path: Path) -> None:
    """--set changes the experiment read from the template; a template has no parameters."""
    got = loaded(tmp_path, shipped(), "topology.instances_per_az=30")
    assert got.experiment.topology.instances_per_az == 30
    with pytest.raises(SpecError, match="not a parameter"):
        load(str(SHIPPED), [], ["az=ap-south-1b"])


def test_get_experiment_template_answer_is_read_too(tmp_path: Path) -> None:
    """`aws fis get-experiment-template` output, read-only fields and all."""
    inner = {**shipped(), "id": "EXT123", "arn": "arn:aws:fis:x", "creationTime": 1.0}
    got = loaded(tmp_path, {"experimentTemplate": inner})
    assert got.experiment.method[0].fault == "az-outage"


def test_zones_of_another_region_move_the_shop(tmp_path: Path) -> None:
    """A template for us-east-1b runs on the shop placed in us-east-1."""
    t = json.loads(json.dumps(shipped()).replace("ap-south-1a", "us-east-1b"))
    got = loaded(tmp_path, t)
    assert got.experiment.topology.region == "us-east-1"
    assert got.experiment.method[0].az == "us-east-1b"


def broken(change: str) -> dict[str, Any]:
    t = copy.deepcopy(shipped())
    acts = t["actions"]
    if change == "duration":
        acts["Stop-Instances"]["parameters"]["startInstancesAfterDuration"] = "5 minutes"
    elif change == "target":
        acts["Stop-Instances"]["targets"]["Instances"] = "Nowhere"
    elif change == "circle":
        acts["Wait-Steady-State"]["startAfter"] = ["Stop-Instances"]
    elif change == "selection":
        t["targets"]["Subnet"]["selectionMode"] = "HALF"
    elif change == "role":
        del t["roleArn"]
    elif change == "zone-id":
        t["targets"]["Subnet"]["filters"][0]["values"] = ["aps1-az1"]
    elif change == "field":
        acts["Stop-Instances"]["start_after"] = []
    return t


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ("duration", "actions.Stop-Instances.parameters", "not an ISO 8601 duration"),
        ("target", "actions.Stop-Instances.targets.Instances", "'Nowhere' is not a target"),
        ("circle", "actions.Wait-Steady-State.startAfter", "in a circle never start"),
        ("selection", "targets.Subnet.selectionMode", "'HALF' is not ALL, COUNT(n)"),
        ("role", "roleArn", "required by CreateExperimentTemplate"),
        ("zone-id", "actions.Pause-network-connectivity", "'aps1-az1' is not a zone name"),
        ("field", "actions.Stop-Instances.start_after", "not a field of an FIS experiment"),
    ],
)
def test_a_bad_template_is_one_line_and_exit_2(
    change: str,
    field: str,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The file, the field, what is wrong: one line on stderr, exit 2, nothing run."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken(change)))
    code = chaoscli(monkeypatch, "run", str(path))
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"chaoscli: {path}: {field}: "), err
    assert words in err
    assert "\n" not in err


def test_json_that_is_not_json_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A truncated file: invalid JSON with its line, exit 2."""
    path = tmp_path / "cut.json"
    path.write_text(SHIPPED.read_text()[:300])
    code = chaoscli(monkeypatch, "validate", str(path))
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:" in err and "invalid JSON" in err


def test_the_scenarios_launch_errors_on_roles_are_part_of_the_outage(tmp_path: Path) -> None:
    """The scenario's Pause-Instance-Launches (insufficient capacity for the roles' own
    launches, an IAM role target by ARN) is read into the zone outage and said how."""
    got = load(str(SHIPPED))
    notes = "\n".join(got.notes)
    assert "Pause-Instance-Launches, Pause-ASG-Scaling, Stop-Instances" in notes
    assert "Pause-Instance-Launches: read, not written: the roles' own launches" in notes
    assert "not modelled: Pause-Instance-Launches" not in notes
    t = shipped()
    t["actions"]["Pause-Instance-Launches"].pop("startAfter")  # at 0 s: not with the outage
    notes = "\n".join(loaded(tmp_path, t).notes)
    assert "not modelled: Pause-Instance-Launches" in notes
    assert "chaoscli blocks launches only in a zone outage" in notes


def test_a_failover_lasts_as_long_as_the_wait_after_it(tmp_path: Path) -> None:
    """A reboot with failover followed by a wait of its own lasts that wait; without one it
    takes a step's default duration and says so."""
    reboot = {"actionId": "aws:rds:reboot-db-instances", "parameters": {"forceFailover": "true"}}
    window = {
        "actionId": "aws:fis:wait",
        "parameters": {"duration": "PT2M"},
        "startAfter": ["failover"],
    }
    got = loaded(tmp_path, minimal({"failover": reboot, "window": window}))
    assert [(s.fault, s.start_s, s.duration_s) for s in got.experiment.method] == [
        ("rds-failover", 0.0, 120.0)
    ]
    assert not any("default duration_s" in n for n in got.notes)
    got = loaded(tmp_path, minimal({"failover": reboot}))
    assert got.experiment.method[0].duration_s == 300.0
    assert any("failover: a reboot has no duration" in n for n in got.notes)


@pytest.mark.parametrize("on_stack", [True, False])
def test_a_crash_keeps_its_tags_on_a_chaoscli_stack(tmp_path: Path, on_stack: bool) -> None:
    """A crash whose instances are chosen on a chaoscli stack by more tags keeps those tags
    and its COUNT(n); tags of another account's stack are said, and the shop's instances
    taken instead."""
    target = instances(None, "COUNT(2)")
    target["resourceTags"] = {"Name": "shop-web-ap-south-1c"}
    if on_stack:
        target["resourceTags"]["chaoscli:stack"] = "shop"
    kill = {
        "actionId": "aws:ssm:send-command",
        "parameters": {
            "documentArn": "arn:aws:ssm:ap-south-1::document/AWSFIS-Run-Kill-Process",
            "duration": "PT4M",
        },
        "targets": {"Instances": "t"},
    }
    got = loaded(tmp_path, minimal({"kill": kill}, {"t": target}))
    step = got.experiment.method[0]
    assert step.selection == "COUNT(2)"
    assert step.tags == ({"Name": "shop-web-ap-south-1c"} if on_stack else {})
    said = any("tags chaoscli does not put on its stack (Name=shop-web" in n for n in got.notes)
    assert said is not on_stack


def test_zone_ids_in_parameters_are_the_zone_the_filters_name(tmp_path: Path) -> None:
    """AWS's scenario names the zone by ID in its launch errors' and database's parameters:
    each is read as the one zone the template's filters name, and said; a zone ID with no
    zone named to read it as is one line naming the action."""
    t = shipped()
    for action in ("Pause-Instance-Launches", "Pause-ASG-Scaling"):
        t["actions"][action]["parameters"]["availabilityZoneIdentifiers"] = "aps1-az1"
    t["targets"]["RDS-Cluster"]["parameters"]["writerAvailabilityZoneIdentifiers"] = "aps1-az1"
    got = loaded(tmp_path, t)
    assert [(s.fault, s.az) for s in got.experiment.method] == [("az-outage", "ap-south-1a")]
    assert "Pause-Instance-Launches, Pause-ASG-Scaling, Stop-Instances" in "\n".join(got.notes)
    assert (
        got.notes.count(
            "zone ID aps1-az1 read as ap-south-1a, the one zone the template's filters name"
        )
        == 1
    )
    ice = {
        "actionId": "aws:ec2:asg-insufficient-instance-capacity-error",
        "parameters": {"availabilityZoneIdentifiers": "aps1-az1", "duration": "PT5M"},
        "targets": {"AutoScalingGroups": "g"},
    }
    group = {"resourceType": "aws:ec2:autoscaling-group", "selectionMode": "ALL"}
    with pytest.raises(SpecError, match=r"actions\.ice: zone ID 'aps1-az1': a zone ID names"):
        loaded(tmp_path, minimal({"ice": ice}, {"g": group}))
