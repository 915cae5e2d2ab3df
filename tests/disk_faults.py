"""A folder that refuses writes, or a disk that is full: a real tmpfs where this process may
mount one, else the same errors injected into the calls chaoscli writes with."""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _can_mount() -> bool:
    return os.name == "posix" and os.geteuid() == 0 and shutil.which("mount") is not None


def _mount(folder: Path, options: str) -> bool:
    """Mount a tmpfs on ``folder``; False where this process may not."""
    if not _can_mount():
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _inside(path: Any, folder: Path) -> bool:
    try:
        return Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve())
    except (TypeError, ValueError):
        return False


def _refuse(monkeypatch: pytest.MonkeyPatch, folder: Path, code: int) -> None:
    """Make every write into ``folder`` fail with ``code``, as the kernel would."""
    real_open, real_path_open, real_write = os.open, pathlib.Path.open, os.write
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND
    ours: set[int] = set()

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if _inside(path, folder) and flags & writes:
            if code == errno.EROFS:
                raise OSError(code, os.strerror(code), str(path))
            fd = real_open(path, flags, *args, **kwargs)
            ours.add(fd)
            return fd
        return real_open(path, flags, *args, **kwargs)

    def path_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if _inside(self, folder) and any(c in mode for c in "wax+"):
            if code == errno.EROFS:
                raise OSError(code, os.strerror(code), str(self))
            f = real_path_open(self, mode, *args, **kwargs)
            f.write = _full  # type: ignore[method-assign]
            return f
        return real_path_open(self, mode, *args, **kwargs)

    def _full(*_: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def os_write(fd: int, data: Any) -> int:
        if mine(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    real_fsync = os.fsync

    def mine(fd: int) -> bool:
        try:  # a number once ours may be reused for another file since
            return _inside(os.readlink(f"/proc/self/fd/{fd}"), folder)
        except OSError:
            return fd in ours

    def os_fsync(fd: Any) -> None:
        if mine(fd if isinstance(fd, int) else fd.fileno()):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", os_fsync)
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(pathlib.Path, "open", path_open)
    monkeypatch.setattr(os, "write", os_write)


@contextlib.contextmanager
def read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``folder`` keeps its files but refuses writes from now on; yields how."""
    saved = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    if _mount(folder, "size=1m,mode=0755"):
        for name, data in saved.items():
            (folder / name).write_bytes(data)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        try:
            yield "tmpfs mounted read-only"
        finally:
            _umount(folder)
        return
    _refuse(monkeypatch, folder, errno.EROFS)
    yield "writes refused with EROFS"


@contextlib.contextmanager
def full(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """``folder`` on a tiny disk; the callable yielded fills it up (keeping its files)."""
    if _mount(folder, "size=64k,mode=0755"):

        def fill() -> None:
            with (folder / ".filler").open("wb", buffering=0) as f:
                for size in (4096, 1):
                    with contextlib.suppress(OSError):
                        while True:
                            f.write(b"\0" * size)

        try:
            yield fill
        finally:
            _umount(folder)
        return

    def inject() -> None:
        _refuse(monkeypatch, folder, errno.ENOSPC)

    yield inject
