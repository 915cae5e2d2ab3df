"""chaoscli's metrics go into its own namespace, never AWS's, and it sets the state of the alarms
it created only: an SRE's alarm guards the run, but its state (and so its actions) is untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from chaoscli.aws.cloudwatch import NAMESPACE
from chaoscli.aws.session import in_process_session
from chaoscli.experiment.loader import load, resolve
from chaoscli.experiment.runner import run

ALARM: dict[str, Any] = {
    "name": "shop-elb-5xx",
    "metric": "HTTPCode_ELB_5XX_Count",
    "statistic": "Sum",
    "threshold": 100_000,
    "period_s": 60,
    "evaluation_periods": 1,
}


def _experiment(tmp_path: Path, **changes: Any) -> str:
    """instance-crash, sampled coarsely, with top-level fields replaced."""
    doc = yaml.safe_load(resolve("instance-crash").read_text())
    doc.setdefault("engine", {})["samples_per_s"] = 500
    doc.update(changes)
    path = tmp_path / "crash.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def test_metrics_and_created_alarms_use_chaoscli_namespace(tmp_path: Path) -> None:
    """Every PutMetricData goes to chaoscli/ApplicationELB, the alarm chaoscli creates watches
    it, and that alarm's state is set (it is chaoscli's)."""
    doc = _experiment(tmp_path, alarms=[ALARM], stop_conditions=[{"alarm": ALARM["name"]}])
    with in_process_session("ap-south-1") as session:
        namespaces: list[str] = []
        session.add_hook(
            "provide-client-params.cloudwatch.*",
            lambda params, model, **_: (
                namespaces.append(params["Namespace"])
                if model.name in ("PutMetricData", "PutMetricAlarm")
                else None
            ),
        )
        out = run(load(doc), seed=0, aws=session)
        assert session.calls["cloudwatch SetAlarmState"] >= 1
    assert namespaces and set(namespaces) == {NAMESPACE}
    assert NAMESPACE == "chaoscli/ApplicationELB"
    assert out.stopped is not None and out.stopped["reason"].startswith("alarm shop-elb-5xx")


def test_an_sres_alarm_guards_the_run_but_its_state_is_never_set(tmp_path: Path) -> None:
    """An existing alarm on AWS/ApplicationELB, declared under alarms (so chaoscli uses it as it
    is), stops the run where it would breach, and chaoscli never calls SetAlarmState on it:
    it stays OK."""
    doc = _experiment(tmp_path, alarms=[ALARM], stop_conditions=[{"alarm": ALARM["name"]}])
    with in_process_session("ap-south-1") as session:
        stopped = _run_with_sre_alarm(session, load(doc))
        states = session.client("cloudwatch").describe_alarms(AlarmNames=[ALARM["name"]])
        assert states["MetricAlarms"][0]["StateValue"] == "OK"
        assert session.calls["cloudwatch SetAlarmState"] == 0
    assert stopped is not None and stopped["reason"].startswith("alarm shop-elb-5xx in ALARM")


def _run_with_sre_alarm(session: Any, loaded: Any) -> dict[str, Any] | None:
    """Provision the stack, create the SRE's alarm on it (no chaoscli tag), run on the stack."""
    from chaoscli.aws.discover import discover
    from chaoscli.aws.provision import provision
    from chaoscli.experiment.alarms import dims_of
    from chaoscli.experiment.runner import plan_for
    from chaoscli.sim.cloudwatch_series import MinuteMetric

    exp = loaded.experiment
    provision(session, plan_for(exp))
    lb = discover(session, exp.topology.stack).load_balancer
    assert lb is not None
    dims = dims_of(MinuteMetric(ALARM["metric"], 0, 0.0, None), lb)
    session.client("cloudwatch").put_metric_alarm(
        AlarmName=ALARM["name"],
        Namespace="AWS/ApplicationELB",
        MetricName=ALARM["metric"],
        Statistic="Sum",
        Dimensions=[{"Name": k, "Value": v} for k, v in dims],
        Period=60,
        EvaluationPeriods=1,
        Threshold=float(ALARM["threshold"]),
        ComparisonOperator="GreaterThanThreshold",
    )
    out = run(loaded, seed=0, aws=session)
    return out.stopped
