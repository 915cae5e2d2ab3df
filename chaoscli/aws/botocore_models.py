"""botocore's JSON service models, parsed once per process however many sessions ask."""

from __future__ import annotations

from typing import Any


def read_each_model_file_once() -> None:
    """Make botocore read each of its JSON model files once per process.

    botocore caches what it reads per session, but moto builds several sessions of its own
    (and a loader per service model), so the same multi-megabyte EC2 model was parsed half a
    dozen times in every run. The files are botocore's read-only data; botocore already
    hands one parsed copy to every client of a session, and now to every session.
    """
    from botocore.loaders import JSONFileLoader

    read = JSONFileLoader.load_file
    if getattr(read, "once_per_process", False):
        return
    parsed: dict[str, Any] = {}

    def load_file(self: JSONFileLoader, file_path: str) -> Any:
        if file_path not in parsed:
            parsed[file_path] = read(self, file_path)
        return parsed[file_path]

    load_file.once_per_process = True  # type: ignore[attr-defined]
    JSONFileLoader.load_file = load_file
