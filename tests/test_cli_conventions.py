"""The command line follows the conventions people expect of a Unix tool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from chaoscli.cli.app import ExitStatus, app
from chaoscli.experiment.loader import available, load
from tests.endpoint_helpers import cli, stack_vpcs

CHAOSCLI = Path(sys.executable).with_name("chaoscli")  # the installed entry point


def _commands() -> list[list[str]]:
    """Every command and subcommand, as the words that name it."""
    import typer.main

    group = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: object, words: list[str]) -> None:
        found.append(words)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*words, name])

    walk(group, [])
    return found


def test_version_is_the_installed_one() -> None:
    r = cli("--version")
    assert r.code == 0
    assert r.out.strip() == f"chaoscli {metadata.version('chaoscli')}"


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w) or "chaoscli")
def test_every_command_takes_h_and_shows_clean_metavars(words: list[str]) -> None:
    """-h is --help everywhere; no Python type tags, range tags or bracketed argument names."""
    short, long = cli(*words, "-h"), cli(*words, "--help")
    assert short.code == long.code == 0
    assert short.out == long.out and "Usage: chaoscli" in short.out
    for tag in ("<bool>", "<list", "<int", "<float", "<str>", "<path>", "x>=", "{", "[experiment]"):
        assert tag not in short.out, (words, tag)


def test_a_commands_description_is_wrapped_to_the_terminal_not_to_its_source_lines() -> None:
    """Each paragraph of a description flows as one text: no line of help ends where the
    docstring's source line did ("printed), or a" followed by a short line)."""
    lines = cli("rollback", "-h").out.splitlines()
    assert any("printed), or a difference from before the run" in ln for ln in lines), lines
    assert not any(ln.strip() in ("printed), or a", "as a") for ln in lines), lines


def test_arguments_are_spelled_in_capitals() -> None:
    assert "Usage: chaoscli run [OPTIONS] [EXPERIMENT]" in cli("run", "-h").out
    assert "Usage: chaoscli report [OPTIONS] JOURNAL" in cli("report", "-h").out
    assert "Usage: chaoscli rollback [OPTIONS] [LOG]" in cli("rollback", "-h").out
    assert "--seed" in (run := cli("run", "-h").out) and "PATH=VALUE" in run


def _complete(words: str, cword: int) -> list[str]:
    env = {**os.environ, "_CHAOSCLI_COMPLETE": "complete_bash", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(cword)
    done = subprocess.run(
        [str(CHAOSCLI)], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


def test_completion_works_through_the_entry_point() -> None:
    """The installed command completes commands and experiment names, and prints its script."""
    assert _complete("chaoscli ru", 1) == ["run"]
    assert _complete("chaoscli run az-o", 2) == ["az-outage-api-stop", "az-outage"]
    script = subprocess.run(
        [str(CHAOSCLI), "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "_CHAOSCLI_COMPLETE=complete_bash" in script


def test_list_prints_whole_descriptions() -> None:
    """Every description appears whole (refilled, never cut), with its title and verdict."""
    r = cli("list")
    assert r.code == 0 and "…" not in r.out
    said = " ".join(r.out.split())
    for name, path in available().items():
        exp = load(str(path)).experiment
        assert f"{name}: {exp.title} (expected: {exp.expect})" in said
        assert " ".join(exp.description.split()) in said
    assert max(len(line) for line in r.out.splitlines()) <= 80


def test_list_json() -> None:
    r = cli("list", "--json")
    rows = json.loads(r.out)
    assert [row["name"] for row in rows] == list(available())
    first = load(str(available()[rows[0]["name"]])).experiment
    assert rows[0]["description"] == " ".join(first.description.split())
    assert {row["expect"] for row in rows} <= {"held", "deviated"}


def test_show_names_description_parameters_method_and_verdict() -> None:
    r = cli("show", "instance-crash")
    assert r.code == 0, r.err
    exp = load("instance-crash").experiment
    said = " ".join(r.out.split())
    assert f"instance-crash: {exp.title}" in said
    assert f"expected verdict: {exp.expect}" in said
    assert " ".join(exp.description.split()) in said
    assert "at_s 120" in said and "selection PERCENT(10)" in said
    assert "1. instance-crash at 120 s for 300 s" in said
    assert "availability >= 99.9%" in said
    assert "alarm shop-elb-5xx in ALARM: HTTPCode_ELB_5XX_Count Sum" in said
    assert "2,000,000" in said


def test_show_of_an_unknown_experiment_is_one_line_and_exit_2() -> None:
    r = cli("show", "no-such-experiment")
    assert r.code == ExitStatus.BAD_INPUT and len(r.err.strip().splitlines()) == 1


def test_status_without_a_stack_says_so_with_its_own_code(url: str) -> None:
    r = cli("status", "--endpoint-url", url)
    assert r.code == ExitStatus.NO_STACK == 5
    assert r.out.strip() == f"no stack shop at ap-south-1 ({url})" and r.err == ""


def test_down_asks_and_refuses_without_a_terminal(url: str) -> None:
    """Without a terminal and without --yes, `down` deletes nothing, in one line; --yes deletes."""
    assert cli("up", "--set", "topology.instances_per_az=1", "--endpoint-url", url).code == 0
    refused = cli("down", "--endpoint-url", url)
    assert refused.code == ExitStatus.BAD_INPUT
    assert len(refused.err.strip().splitlines()) == 1 and "--yes" in refused.err
    assert len(stack_vpcs(url)) == 1
    done = cli("down", "--endpoint-url", url, "--yes")
    assert done.code == 0 and "deleted stack shop" in done.out
    assert stack_vpcs(url) == []
