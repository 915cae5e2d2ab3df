"""Small helpers several test modules share: the CLI in this process, a shortened experiment."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaoscli.__main__ import main
from chaoscli.experiment.loader import resolve


def chaoscli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the CLI in this process and return its exit code."""
    monkeypatch.setattr(sys, "argv", ["chaoscli", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def variant(tmp_path: Path, name: str, **changes: Any) -> str:
    """A shipped experiment, sampled coarsely, with top-level fields replaced."""
    doc = yaml.safe_load(resolve(name).read_text())
    doc.setdefault("engine", {})["samples_per_s"] = 500
    doc.update(changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)
