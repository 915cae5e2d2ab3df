"""``chaoscli list`` and ``show``: what the shipped experiments do, before running one."""

from __future__ import annotations

import json
import textwrap
from typing import Annotated

import typer
from rich.console import Console

from chaoscli.cli.app import app
from chaoscli.cli.environment import FILE_WIDTH, env_of
from chaoscli.experiment.loader import available, load
from chaoscli.experiment.spec import STRATEGY_WINDOWS, Experiment
from chaoscli.record.probes import CATALOGUE, Probe, change


def shipped_names(incomplete: str) -> list[str]:
    """Shell completion of an experiment argument: the shipped names it could start."""
    return [name for name in available() if name.startswith(incomplete)]


ExperimentArg = Annotated[
    str,
    typer.Argument(help="Experiment name (see `list`) or YAML file.", autocompletion=shipped_names),
]


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array (name, title, expect, description).")
    ] = False,
) -> None:
    """List the shipped experiments with their whole descriptions."""
    env = env_of(ctx)
    shipped = {name: load(str(path)).experiment for name, path in available().items()}
    if as_json:
        rows = [
            {
                "name": name,
                "title": exp.title,
                "expect": exp.expect,
                "description": " ".join(exp.description.split()),
            }
            for name, exp in shipped.items()
        ]
        env.out.write(json.dumps(rows, indent=2) + "\n")
        return
    out = env.stdout
    for n, (name, exp) in enumerate(shipped.items()):
        if n:
            out.print()
        _say(out, _wrapped(f"{name}: {exp.title} (expected: {exp.expect})", out, "", "    "))
        _say(out, _wrapped(exp.description, out, "  "))


@app.command()
def show(ctx: typer.Context, experiment: ExperimentArg) -> None:
    """Show an experiment: description, parameters, method, hypothesis, expected verdict."""
    loaded = load(experiment)
    exp = loaded.experiment
    out = env_of(ctx).stdout
    name = experiment if experiment in available() else loaded.source
    _say(out, f"{name}: {exp.title}")
    _say(out, f"expected verdict: {exp.expect}")
    if exp.description:
        out.print()
        _say(out, _wrapped(exp.description, out, ""))
    out.print()
    _say(out, "parameters (set with --var NAME=VALUE):" if exp.parameters else "parameters: none")
    width = max((len(k) for k in exp.parameters), default=0)
    for key, value in exp.parameters.items():
        _say(out, f"  {key:<{width}}  {_value(value)}")
    out.print()
    _say(out, "method:" if exp.method else "method: none (a baseline)")
    for n, step in enumerate(exp.method, 1):
        settings = step.model_dump(exclude_defaults=True, exclude={"fault", "at_s", "duration_s"})
        line = f"{n}. {step.fault} at {step.start_s:g} s for {step.duration_s:g} s"
        shown = [f"{k} {_value(v)}" for k, v in settings.items() if v is not None]
        line += f": {', '.join(shown)}" if shown else ""
        _say(out, _wrapped(line, out, "  ", "     "))
    out.print()
    _hypothesis(exp, out)
    if exp.stop_conditions:
        out.print()
        _say(out, "stop conditions (the first that trips ends the method):")
        for cond in exp.stop_conditions:
            if cond.alarm is not None:
                _say(out, _wrapped(_alarm(exp, cond.alarm), out, "  ", "    "))
            else:
                _say(out, f"  {cond.metric} above {cond.above:g} over {cond.over_s:g} s")
    t = exp.topology
    out.print()
    _say(
        out,
        _wrapped(
            f"stack {t.stack} in {t.region}: {t.azs} zone(s) x "
            f"{'/'.join(map(str, t.instances_by_zone or [t.instances_per_az]))} "
            f"{t.instance_type}; {exp.traffic.rps:,.0f} req/s for "
            f"{exp.traffic.duration_s:g} s of virtual time",
            out,
            "",
            "  ",
        ),
    )


def _hypothesis(exp: Experiment, out: Console) -> None:
    """The hypothesis's title, the windows it judges and every bound it sets."""
    h = exp.hypothesis
    windows: list[str] = list(h.windows or STRATEGY_WINDOWS[h.strategy])
    judged = ", ".join(windows[:-1]) + (" and " if len(windows) > 1 else "") + windows[-1]
    _say(out, _wrapped(f'hypothesis "{h.title}", judged {judged} the fault:', out, "", "  "))
    for probe in CATALOGUE:
        bound = getattr(h, probe.name)
        parts = []
        if bound.min is not None:
            parts.append(f">= {_bound(bound.min, probe)}")
        if bound.max is not None:
            parts.append(f"<= {_bound(bound.max, probe)}")
        if parts:
            _say(out, f"  {probe.label} {' and '.join(parts)}")


def _alarm(exp: Experiment, name: str) -> str:
    """A stop condition on an alarm, with the alarm's rule when the file declares it."""
    alarm = next((a for a in exp.alarms if a.name == name), None)
    if alarm is None:
        return f"alarm {name} in ALARM (an existing alarm)"
    return (
        f"alarm {name} in ALARM: {alarm.metric} {alarm.statistic} {alarm.comparison} "
        f"{alarm.threshold:,.10g} over {alarm.evaluation_periods} period(s) of {alarm.period_s} s"
    )


def _bound(value: float, probe: Probe) -> str:
    """A bound as the reports print it: a ratio as a percentage, a change with its sign."""
    if probe.signed:
        return change(value, probe.unit)
    if probe.ratio:
        return f"{value * 100:.4f}".rstrip("0").rstrip(".") + "%"
    return f"{value:,.10g}"


def _value(value: object) -> str:
    """A parameter's or setting's value as a file would spell it."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _wrapped(text: str, out: Console, first: str, rest: str | None = None) -> str:
    """``text`` refilled to the console's width, never cut: a long word stays whole."""
    width = out.width or FILE_WIDTH
    return textwrap.fill(
        " ".join(text.split()),
        width=width,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _say(out: Console, text: str) -> None:
    out.print(text, markup=False, highlight=False, soft_wrap=True)
