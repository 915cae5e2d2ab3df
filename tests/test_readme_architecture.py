"""The README's architecture picture and data-flow paragraph name the packages and modules the
code has, in the order the layering contract enforces, so the picture cannot go stale."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import chaoscli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Architecture", 1)[1].split("\n## ", 1)[0]
PICTURE = SECTION.split("<!-- packages:start -->", 1)[1].split("<!-- packages:end -->", 1)[0]
PACKAGE_DIR = Path(chaoscli.__file__).parent
DATA_DIRS = {"experiments", "campaigns", "schemas", "__pycache__"}


def _top_level() -> set[str]:
    """chaoscli's packages and plain modules, apart from data folders and entry points."""
    names = {p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and p.name not in DATA_DIRS}
    names |= {p.stem for p in PACKAGE_DIR.glob("*.py")} - {"__init__", "__main__", "errors"}
    return names


def _first_line(name: str) -> int:
    """The picture line where a package first appears as a word."""
    for n, line in enumerate(PICTURE.splitlines()):
        if re.search(rf"(?<![\w.]){name}(?![\w])", line):
            return n
    raise AssertionError(f"{name} is not in the README's package picture")


def test_the_picture_shows_every_package() -> None:
    """A package added to chaoscli and left out of the picture fails here."""
    for name in _top_level():
        _first_line(name)


def test_the_picture_stacks_packages_in_the_layering_contracts_order() -> None:
    """Each layer of the import-linter contract is drawn above the layers it may import."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    rows = [
        max(_first_line(m.strip().removeprefix("chaoscli.")) for m in layer.split("|"))
        for layer in layers[:-1]
    ]
    assert rows == sorted(rows), (layers, rows)
    below = [
        min(_first_line(m.strip().removeprefix("chaoscli.")) for m in layer.split("|"))
        for layer in layers[1:]
    ]
    assert all(b >= a for a, b in zip(rows, below, strict=False)), (layers, rows, below)


def test_every_module_the_section_names_exists() -> None:
    """Dotted names (`sim.measures`, `record.Record`) and paths (`aws/changes/`) resolve."""
    names = re.findall(r"`((?:cli|report|experiment|record|aws|sim|topology)[\w./<>-]*)`", SECTION)
    assert len(names) >= 8, names
    for name in names:
        if "/" in name:
            path = PACKAGE_DIR / name.replace("<fault>", "az_outage")
            assert path.exists(), f"README names {name}, which is not in chaoscli/"
            continue
        module, _, attr = name, "", ""
        while True:
            try:
                found = importlib.import_module(f"chaoscli.{module}")
                break
            except ModuleNotFoundError:
                module, _, tail = module.rpartition(".")
                attr = f"{tail}.{attr}".strip(".")
                assert module, f"README names {name}, which chaoscli does not have"
        for part in filter(None, attr.split(".")):
            found = getattr(found, part)


def test_the_picture_names_modules_that_exist() -> None:
    """Every module listed under a package in the picture is a module of that package."""
    listed = {
        "experiment": "spec loader runner method stop_conditions journal faults",
        "aws": "provision discover changes",
        "sim": "world engine measures cloudwatch_series",
        "report": "findings charts",
    }
    for package, modules in listed.items():
        for module in modules.split():
            assert module in PICTURE, f"{package}.{module} is no longer in the picture"
            importlib.import_module(f"chaoscli.{package}.{module}")
