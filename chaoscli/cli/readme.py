"""The README's example outputs, produced by the commands they show (``make docs``).

Each example in README.md sits between ``<!-- generated:NAME -->`` and ``<!-- end -->``; the
block starts with the command that produced it (``$ chaoscli ...``). ``make docs`` runs every
command in this process, in a scratch folder, and writes its output back, with the report
picture (docs/report.png) and the sweep's heat map (docs/sweep-heatmap.svg); a test runs
the same commands and fails when the README shows something else, so the README cannot go
stale.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chaoscli.assess import inputs as assess_inputs
from chaoscli.cli.app import run as run_app
from chaoscli.cli.environment import Environment
from chaoscli.experiment import field_table, mitigation_table, model_table
from chaoscli.fis import actions as fis_actions

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PICTURE = ROOT / "docs" / "report.png"
HEATMAP = ROOT / "docs" / "sweep-heatmap.svg"
CHROMIUM = Path("/usr/bin/chromium")
BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)<!-- generated:(?P<name>[a-z0-9-]+) -->\n(?P<body>.*?)^[ \t]*<!-- end -->",
    re.M | re.S,
)
# What truly varies between two runs of the same command: wall-clock times and dates.
_VARYING = (
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)? s wall\b"), "<n> s wall"),
)


def _everything(lines: list[str]) -> list[str]:
    return lines


def from_line(pattern: str) -> Callable[[list[str]], list[str]]:
    """Keep the output from the first line matching ``pattern`` on."""
    wanted = re.compile(pattern)

    def keep(lines: list[str]) -> list[str]:
        start = next((i for i, line in enumerate(lines) if wanted.search(line)), 0)
        return lines[start:]

    return keep


def first(n: int) -> Callable[[list[str]], list[str]]:
    """Keep the first ``n`` lines (as ``| head -n``)."""
    return lambda lines: lines[:n]


@dataclass(frozen=True)
class Example:
    """One README example: the chaoscli arguments and which lines of the output it shows.

    ``runs`` counts the experiment runs it costs (the staleness test keeps these few);
    ``shown`` is how the command is printed when it differs from the arguments (a pipe).
    """

    name: str
    args: tuple[str, ...]
    keep: Callable[[list[str]], list[str]] = _everything
    shown: str = ""
    runs: int = 0
    fence: bool = True
    text: Callable[[], str] | None = field(default=None)
    env: tuple[tuple[str, str], ...] = ()

    @property
    def command(self) -> str:
        """The command line as the README prints it."""
        prefix = "".join(f"{k}={shlex.quote(v)} " for k, v in self.env)
        return self.shown or prefix + "chaoscli " + shlex.join(self.args)


DEVIATED_RUN = (
    "run",
    "az-outage",
    "--set",
    "topology.instances_per_az=16",
    "--no-verify-fixes",
    "--journal",
    "run.json",
    "--report",
    "run.html",
)

TEMPLATE = ROOT / "templates" / "two-tier-shop.yaml"
ASSESS = (
    "assess",
    "--topology-from",
    str(TEMPLATE),
    "--inputs",
    str(TEMPLATE.with_suffix(".inputs.yaml")),
)

EXAMPLES: tuple[Example, ...] = (
    Example("help", ("--help",)),
    Example("list", ("list",)),
    Example("show", ("show", "az-outage")),
    Example(
        "fields",
        (),
        shown="python -m chaoscli.experiment.field_table",
        fence=False,
        text=field_table.markdown,
    ),
    Example(
        "run-deviated",
        DEVIATED_RUN,
        keep=from_line(r"^[\d,]+ requests, "),
        runs=1,
    ),
    Example("guard-account", ("status", "--allow-real-aws")),
    Example(
        "guard-sts",
        ("status", "--allow-real-aws", "--account", "123456789012"),
        env=(("AWS_ENDPOINT_URL_STS", "http://10.255.255.1:5000"),),
    ),
    Example(
        "dry-run",
        ("run", "az-outage", "--dry-run", "--set", "engine.samples_per_s=100"),
        runs=1,
    ),
    Example(
        "sweep",
        (
            "sweep",
            "az-outage",
            "--grid",
            "topology.instances_per_az=16..24:4",
            "--grid",
            "traffic.rps=150000,200000",
            "--runs",
            "2",
            "--seed",
            "1",
            "--set",
            "engine.samples_per_s=200",
            "--set",
            "traffic.duration_s=300",
            "--var",
            "at_s=60",
            "--var",
            "duration_s=180",
            "--out",
            "sweep",
        ),
        runs=1,
    ),
    Example(
        "runs",
        (
            "run",
            "rds-failover",
            "--runs",
            "10",
            "--set",
            "engine.samples_per_s=500",
            "--set",
            "hypothesis.windows=[during]",
        ),
        keep=from_line(r"^over \d+ runs"),
        runs=1,
    ),
    Example(
        "assess",
        ASSESS,
        shown="chaoscli assess --topology-from templates/two-tier-shop.yaml "
        "--inputs templates/two-tier-shop.inputs.yaml",
        runs=13,
    ),
    Example(
        "assess-inputs",
        (),
        shown="python -m chaoscli.assess.inputs",
        fence=False,
        text=assess_inputs.markdown,
    ),
)


FIS_EXAMPLES: tuple[Example, ...] = (
    Example("fis-refuse", ("export", "fis", "az-outage-api-stop")),
    Example(
        "fis-export",
        (
            "export",
            "fis",
            "az-outage-api-stop",
            "--var",
            "az=ap-south-1a",
            "-o",
            "az-outage.fis.json",
        ),
    ),
    Example("fis-export-json", ("export", "fis", "rds-failover")),
    Example("fis-import", ("validate", "fis/az-power-interruption.json")),
    Example(
        "fis-table",
        (),
        shown="python -m chaoscli.fis.actions",
        fence=False,
        text=fis_actions.markdown,
    ),
)
EXAMPLES += FIS_EXAMPLES


def by_name(name: str) -> Example:
    """The example called ``name``."""
    return next(e for e in EXAMPLES if e.name == name)


def environ(state: Path) -> dict[str, str]:
    """This process's variables for an example: no colour, no endpoint, a scratch state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("GITHUB_STEP_SUMMARY", None)
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="80", XDG_STATE_HOME=str(state))
    return env


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A folder the examples run in, so the files they write have short relative names."""
    with tempfile.TemporaryDirectory(prefix="chaoscli-docs-") as tmp:
        yield Path(tmp)


def output(example: Example, folder: Path) -> str:
    """The block's body as the README shows it: the command and the lines it keeps."""
    if example.text is not None:
        return example.text()
    buf = io.StringIO()
    env = Environment(environ={**environ(folder / "state"), **dict(example.env)}, out=buf, err=buf)
    saved = dict(os.environ)
    try:
        os.environ.clear()  # boto3 reads the process's variables, not the environment's
        os.environ.update(env.environ)
        with (
            contextlib.chdir(folder),
            contextlib.redirect_stdout(buf),
            contextlib.redirect_stderr(buf),
        ):
            run_app(env, list(example.args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    lines = [line.rstrip() for line in buf.getvalue().splitlines()]
    body = "\n".join(["$ " + example.command, *example.keep(lines)]).rstrip() + "\n"
    return f"```text\n{body}```\n" if example.fence else body


def normalised(text: str) -> str:
    """``text`` with what varies between two runs of one command replaced by a mark."""
    for pattern, mark in _VARYING:
        text = pattern.sub(mark, text)
    return text


def blocks(readme: str) -> dict[str, str]:
    """The README's generated blocks by name, unindented."""
    found: dict[str, str] = {}
    for m in BLOCK.finditer(readme):
        found[m.group("name")] = _dedent(m.group("body"), m.group("indent"))
    return found


def _dedent(body: str, indent: str) -> str:
    return "".join(
        line[len(indent) :] if line.startswith(indent) else line
        for line in body.splitlines(keepends=True)
    )


def rewrite(readme: str, produced: dict[str, str]) -> str:
    """``readme`` with each named block replaced by what was produced for it."""

    def one(m: re.Match[str]) -> str:
        name, indent = m.group("name"), m.group("indent")
        if name not in produced:
            return m.group(0)
        body = "".join(
            (indent + line if line.strip() else line)
            for line in produced[name].splitlines(keepends=True)
        )
        return f"{indent}<!-- generated:{name} -->\n{body}{indent}<!-- end -->"

    return BLOCK.sub(one, readme)


def _between(readme: str, start: str, end: str, text: str) -> str:
    """Replace what lies between two marker lines (the model and mitigation tables)."""
    head, rest = readme.split(start + "\n", 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}{end}{tail}"


def chromium(*args: str) -> None:
    """Headless Chromium with a throwaway profile and no background connections (a closed
    network refuses them, many at a time), for the README's picture and the print tests."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                *args,
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )


def picture(html: Path, png: Path) -> None:
    """Page 1 of the HTML report as the README's picture, by headless Chromium."""
    chromium("--hide-scrollbars", "--window-size=1000,1400", f"--screenshot={png}", html.as_uri())


def generate(names: list[str] | None = None, tables: bool = True) -> None:
    """Run every example (or those named), write them into README.md, and draw the picture."""
    readme = README.read_text(encoding="utf-8")
    produced: dict[str, str] = {}
    with scratch() as folder:
        for example in EXAMPLES:
            if names and example.name not in names:
                continue
            print(f"make docs: {example.command}", file=sys.stderr)
            produced[example.name] = output(example, folder)
        report = folder / "run.html"
        if report.exists() and CHROMIUM.exists():
            picture(report, PICTURE)
            print(f"wrote {PICTURE.relative_to(ROOT)}", file=sys.stderr)
        elif report.exists():
            print(
                "make docs: no /usr/bin/chromium; docs/report.png left as it was", file=sys.stderr
            )
        heatmap = folder / "sweep" / "heatmap.svg"
        if heatmap.exists():
            HEATMAP.write_text(heatmap.read_text(encoding="utf-8"), encoding="utf-8")
            print(f"wrote {HEATMAP.relative_to(ROOT)}", file=sys.stderr)
    readme = rewrite(readme, produced)
    if tables:
        readme = _between(
            readme, "<!-- model-table:start -->", "<!-- model-table:end -->", model_table.markdown()
        )
        readme = _between(
            readme,
            "<!-- mitigation-table:start -->",
            "<!-- mitigation-table:end -->",
            mitigation_table.table(),
        )
    README.write_text(readme, encoding="utf-8")
    print(f"wrote {README.relative_to(ROOT)}", file=sys.stderr)


def main() -> None:
    """``make docs``: regenerate the README's examples and tables and docs/report.png."""
    parser = argparse.ArgumentParser(prog="python -m chaoscli.cli.readme")
    parser.add_argument("names", nargs="*", help="only these examples (default: all)")
    parser.add_argument(
        "--no-tables", action="store_true", help="leave the model and mitigation tables"
    )
    args = parser.parse_args()
    generate(args.names, tables=not args.no_tables)


if __name__ == "__main__":
    main()
