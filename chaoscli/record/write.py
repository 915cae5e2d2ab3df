"""Outputs nothing can lose: a journal, report or JUnit file is written whole or not at all.

A journal or report is written to a temporary file in the same folder, flushed to disk and
renamed over the target (``os.replace`` is atomic within one file system), so an interrupt or
a full disk leaves either the new file or the old one intact, never a truncated mix. Paths are
tried for writing before a run changes anything, not merely checked for existence.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from chaoscli.errors import ChaosError, SpecError


class OutputError(ChaosError):
    """An output file could not be written; the file that was there is left intact."""


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one step, or raise ``OutputError``."""
    folder = path.parent if str(path.parent) else Path(".")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        _sync_folder(folder)
    except OSError as exc:
        raise OutputError(f"could not write {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def check_writable(path: Path) -> None:
    """Refuse, as bad input, a path that cannot be written: no folder, a folder in its place,
    or a folder that will not take a new file (read-only, ``/proc``, no permission)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SpecError(str(path), "", f"no folder {folder} to write into")
    if path.is_dir():
        raise SpecError(str(path), "", "is a folder, not a file")
    if path.exists() and not path.is_file():
        raise SpecError(str(path), "", "is not a regular file")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".check")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise SpecError(
            str(path), "", f"cannot write into {folder}: {exc.strerror or exc}"
        ) from exc


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform lets a folder be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
