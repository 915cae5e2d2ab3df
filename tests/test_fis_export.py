"""`chaoscli export fis`: a template AWS FIS takes (checked against the schema written from the
API reference, and created through moto's FIS API), with the method's faults at its times."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
import yaml
from moto import mock_aws

from chaoscli.experiment.faults import FAULTS
from chaoscli.experiment.loader import available, resolve
from chaoscli.fis import actions as fa
from tests.helpers import chaoscli

SCHEMA = json.loads(
    (resources.files("chaoscli") / "schemas" / "fis-experiment-template.schema.json").read_text()
)


def exported(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *args: str,
) -> tuple[dict[str, Any], str]:
    """The template ``export fis`` writes for ``args``, and what it said on stderr."""
    out = tmp_path / "template.json"
    code = chaoscli(monkeypatch, "export", "fis", *args, "-o", str(out))
    err = capsys.readouterr().err
    assert code == 0, err
    return json.loads(out.read_text()), err


def created_in_moto(template: dict[str, Any]) -> dict[str, Any]:
    """The template as moto's FIS API stores it after CreateExperimentTemplate."""
    with mock_aws():
        fis = boto3.client("fis", region_name="ap-south-1")
        made = fis.create_experiment_template(**template)["experimentTemplate"]
        return fis.get_experiment_template(id=made["id"])["experimentTemplate"]


def parameters(name: str) -> dict[str, Any]:
    """The parameters a shipped experiment declares."""
    return dict(yaml.safe_load(resolve(name).read_text()).get("parameters") or {})


def test_every_fault_is_in_the_table_or_said_not_exportable() -> None:
    """A new fault must be given FIS actions or a reason why it has none."""
    in_table = {row.fault for row in fa.TABLE} - {"wait"}
    assert in_table | set(fa.NOT_EXPORTABLE) == set(FAULTS)
    assert not in_table & set(fa.NOT_EXPORTABLE)
    assert all(row.source for row in fa.TABLE)


@pytest.mark.parametrize("name", sorted(set(available()) - {"gray-failure"}))
def test_each_shipped_experiment_exports_a_template_fis_takes(
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Every shipped experiment (but gray-failure, which has no FIS action) gives a template
    that fits the API's schema and that CreateExperimentTemplate accepts and gives back."""
    zone = ("--var", "az=ap-south-1b") if "az" in parameters(name) else ()
    template, _ = exported(monkeypatch, capsys, tmp_path, name, *zone)
    jsonschema.validate(template, SCHEMA)
    stored = created_in_moto(template)
    assert stored["actions"] == template["actions"]
    assert stored["targets"] == template["targets"]
    assert stored["stopConditions"] == template["stopConditions"]
    assert stored["tags"]["chaoscli:experiment"] == name


def test_az_outage_is_the_power_interruption_actions_on_the_stack_tag(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The zone outage stops the zone's instances (restarted after the step), blocks its
    launches, cuts its subnets off and fails the database over, all after a 2-minute wait;
    the power loss FIS cannot make is said on stderr."""
    t, err = exported(monkeypatch, capsys, tmp_path, "az-outage", "--var", "az=ap-south-1b")
    assert "az-outage mode power-loss: FIS cannot cut power" in err
    assert "roleArn is a placeholder" in err
    acts = t["actions"]
    assert acts["wait-until-120s"] == {
        "actionId": "aws:fis:wait",
        "description": fa.row("wait", fa.WAIT).meaning,
        "parameters": {"duration": "PT2M"},
    }
    stop = acts["step0-stop-instances"]
    assert stop["actionId"] == "aws:ec2:stop-instances"
    assert stop["parameters"]["startInstancesAfterDuration"] == "PT5M"
    assert stop["startAfter"] == ["wait-until-120s"]
    assert acts["step0-cut-network"]["parameters"] == {"duration": "PT5M", "scope": "all"}
    assert acts["step0-pause-launches"]["parameters"]["availabilityZoneIdentifiers"] == (
        "ap-south-1b"
    )
    assert acts["step0-failover-database"]["parameters"] == {"forceFailover": "true"}
    instances = t["targets"][stop["targets"]["Instances"]]
    assert instances["resourceTags"] == {"chaoscli:stack": "shop"}
    assert {"path": "Placement.AvailabilityZone", "values": ["ap-south-1b"]} in instances["filters"]
    assert t["stopConditions"] == [{"source": "none"}]


def test_later_steps_wait_behind_a_chain_of_waits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Steps at 120 s and 300 s: a 2-minute wait, then a 3-minute one after it."""
    doc = yaml.safe_load(resolve("router-failure").read_text())
    doc["method"] = [
        {"fault": "router-failure", "az": "ap-south-1c", "at_s": 120, "duration_s": 60},
        {"fault": "rds-failover", "at_s": 300},
    ]
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(doc))
    t, _ = exported(monkeypatch, capsys, tmp_path, str(path))
    acts = t["actions"]
    assert acts["wait-until-120s"]["parameters"] == {"duration": "PT2M"}
    assert "startAfter" not in acts["wait-until-120s"]
    assert acts["wait-until-300s"]["parameters"] == {"duration": "PT3M"}
    assert acts["wait-until-300s"]["startAfter"] == ["wait-until-120s"]
    assert acts["step0-cut-network"]["startAfter"] == ["wait-until-120s"]
    assert acts["step0-cut-network"]["parameters"]["duration"] == "PT1M"
    assert acts["step1-failover-database"]["startAfter"] == ["wait-until-300s"]


def test_selection_modes_and_alarms_carry_over(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """COUNT(n) stays COUNT(n); the experiment's alarm becomes an alarm stop condition in the
    role's account; the crash runs FIS's kill-process document with a placeholder named."""
    role = "arn:aws:iam::210987654321:role/fis"
    t, err = exported(
        monkeypatch,
        capsys,
        tmp_path,
        "instance-crash",
        "--var",
        "selection=COUNT(3)",
        "--role-arn",
        role,
    )
    assert "roleArn is a placeholder" not in err
    assert "ProcessName 'web'" in err
    kill = t["actions"]["step0-kill-web-process"]
    assert kill["actionId"] == "aws:ssm:send-command"
    assert kill["parameters"]["documentArn"].endswith(":document/AWSFIS-Run-Kill-Process")
    assert t["targets"][kill["targets"]["Instances"]]["selectionMode"] == "COUNT(3)"
    assert t["stopConditions"] == [
        {
            "source": "aws:cloudwatch:alarm",
            "value": "arn:aws:cloudwatch:ap-south-1:210987654321:alarm:shop-elb-5xx",
        }
    ]
    assert t["roleArn"] == role
    assert json.loads(t["tags"]["chaoscli:var"]) == ["selection=COUNT(3)"]


def test_what_fis_cannot_do_is_listed_not_dropped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """black-friday's traffic spike has no FIS action: stderr says so; the outage is kept."""
    t, err = exported(monkeypatch, capsys, tmp_path, "black-friday", "--var", "az=ap-south-1c")
    assert "method[0] traffic-spike: not exportable: FIS injects faults" in err
    assert "step1-stop-instances" in t["actions"]


def test_a_metric_stop_condition_is_said_not_exportable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """FIS stops on alarms only: a metric stop condition is listed on stderr."""
    t, err = exported(
        monkeypatch,
        capsys,
        tmp_path,
        "rds-failover",
        "--set",
        "stop_conditions=[{metric: visible_error_ratio, above: 0.05}]",
    )
    assert "stop_conditions[0] visible_error_ratio above 0.05: not exportable" in err
    assert t["stopConditions"] == [{"source": "none"}]


def test_nothing_to_export_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A method of faults FIS has no action for: exit 2, no template written."""
    out = tmp_path / "t.json"
    code = chaoscli(monkeypatch, "export", "fis", "gray-failure", "-o", str(out))
    err = capsys.readouterr().err
    assert code == 2
    assert "gray-failure: not exportable" in err
    assert "no step has an FIS action" in err
    assert not out.exists()


def test_overrides_too_long_for_a_tag_are_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """FIS takes tag values of 256 characters at most: longer ones are left out, and said."""
    long = ["--set", f"hypothesis.title={'x' * 300}"]
    t, err = exported(monkeypatch, capsys, tmp_path, "rds-failover", *long)
    assert "do not fit FIS's 256-character tag values" in err
    assert "chaoscli:experiment" not in t["tags"]
    jsonschema.validate(t, SCHEMA)


@pytest.mark.parametrize(
    "name", ["az-outage", "az-outage-api-stop", "router-failure", "az-slowdown"]
)
def test_a_step_with_no_zone_is_refused_not_guessed(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No zone means the database primary's in a run, which a template for a real account
    cannot know: one line asking for the zone, exit 2, no template written."""
    assert parameters(name)["az"] is None
    out = tmp_path / "t.json"
    code = chaoscli(monkeypatch, "export", "fis", name, "-o", str(out))
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert len(err.splitlines()) == 1, err
    assert f"method[0].az: {name.removesuffix('-api-stop')} names no zone" in err
    assert "--var az=ap-south-1a (zones: ap-south-1a, ap-south-1b, ap-south-1c)" in err


def test_a_file_with_no_az_parameter_is_told_to_set_the_step(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A zone-less step in a file without an az parameter: the line says --set, naming every
    step that lacks a zone; instance-crash and rds-failover need none."""
    doc = yaml.safe_load(resolve("router-failure").read_text())
    doc["parameters"] = {}
    doc["method"] = [
        {"fault": "instance-crash", "at_s": 60, "duration_s": 60},
        {"fault": "router-failure", "at_s": 120, "duration_s": 60},
        {"fault": "rds-failover", "at_s": 180},
        {"fault": "az-slowdown", "at_s": 240, "duration_s": 60},
    ]
    path = tmp_path / "zoneless.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert chaoscli(monkeypatch, "export", "fis", str(path)) == 2
    err = capsys.readouterr().err
    assert "method[1].az: router-failure (and method[3] az-slowdown) names no zone" in err
    assert "--set method.1.az=ap-south-1a" in err


def test_a_failover_says_its_window_with_a_wait_after_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """FIS reboots have no duration: a wait after the failover as long as the step keeps the
    experiment open; a fail-back is said not exported; a window under FIS's minute is said."""
    t, err = exported(
        monkeypatch,
        capsys,
        tmp_path,
        "rds-failover",
        "--var",
        "duration_s=45",
        "--set",
        "method.0.fail_back=true",
    )
    window = t["actions"]["step0-failover-window"]
    assert window["actionId"] == "aws:fis:wait"
    assert window["parameters"] == {"duration": "PT45S"}
    assert window["startAfter"] == ["step0-failover-database"]
    assert "step0-failover-window duration PT45S: FIS takes durations from PT1M to PT12H" in err
    assert "method[0] rds-failover fail_back: not exported" in err
    jsonschema.validate(t, SCHEMA)


def test_a_fail_back_in_a_zone_outage_is_said_not_exported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """az-outage fails the database over too: its fail_back is said, like rds-failover's."""
    _, err = exported(
        monkeypatch,
        capsys,
        tmp_path,
        "az-outage",
        "--var",
        "az=ap-south-1a",
        "--set",
        "method.0.fail_back=true",
    )
    assert "method[0] az-outage fail_back: not exported" in err
