"""A real Dask cluster (a LocalCluster of two worker processes on loopback, started here)
gives the table of the local pool: every seed comes with its task, not from where it ran."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import chaoscli
from tests.sweep_helpers import TINY, table

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield "dask://" + cluster.scheduler_address.removeprefix("tcp://")


def test_a_dask_cluster_gives_the_table_of_the_local_pool(
    scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert chaoscli(monkeypatch, "sweep", *TINY, "--workers", "1", "--out", str(local)) == 0
    assert chaoscli(monkeypatch, "sweep", *TINY, "--executor", scheduler, "--out", str(dask)) == 0
    assert table(dask) == table(local)
    assert len(table(dask)) == 8
