"""Which stop condition trips first while the method runs, over one simulated pass."""

from __future__ import annotations

from chaoscli.aws.cloudwatch import Alarm
from chaoscli.experiment.alarms import points_for
from chaoscli.experiment.guards import Trip, alarm_trip, metric_trip
from chaoscli.experiment.lbmetrics import lb_metrics
from chaoscli.experiment.method import method_span
from chaoscli.experiment.spec import Experiment
from chaoscli.sim.results import RunResult
from chaoscli.topology import LoadBalancer


def first_trip(
    exp: Experiment, result: RunResult, alarms: dict[str, Alarm], lb: LoadBalancer | None
) -> Trip | None:
    """The earliest trip before the method's last step ends (a later one stops nothing)."""
    span = method_span(exp)
    if span is None or not exp.stop_conditions:
        return None
    until = span[1]
    points = lb_metrics(result) if lb is not None and alarms else []
    trips: list[Trip] = []
    for n, cond in enumerate(exp.stop_conditions):
        trip: Trip | None = None
        if cond.metric is not None:
            trip = metric_trip(n, cond, result, until)
        elif cond.alarm in alarms and lb is not None:
            alarm = alarms[cond.alarm]
            trip = alarm_trip(n, alarm, points_for(alarm, points, lb), result.seconds, until)
        if trip is not None and trip.t < until:
            trips.append(trip)
    return min(trips, key=lambda x: (x.t, x.condition), default=None)
