"""``chaoscli sweep`` on the local pool: the same table whatever the worker count, each run
judged as ``chaoscli run`` judges it, and bad input refused before anything runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from chaoscli.record.sweep import SweepRow
from chaoscli.sweep.rows import ROWS, read
from tests.helpers import chaoscli
from tests.sweep_helpers import TINY, TINY_RUNS, interrupted_after_first_run, table


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("one") / "out"
    with pytest.MonkeyPatch.context() as mp:
        assert chaoscli(mp, "sweep", *TINY, "--workers", "1", "--out", str(folder)) == 0
    return folder


def test_every_run_is_one_row_with_its_point_and_seed(one_worker: Path) -> None:
    rows = read(one_worker / ROWS)
    assert len(rows) == TINY_RUNS
    assert {(r.point["topology.instances_per_az"], r.point["az"]) for r in rows} == {
        (2, "ap-south-1a"),
        (2, "ap-south-1b"),
        (3, "ap-south-1a"),
        (3, "ap-south-1b"),
    }
    assert len({r.seed for r in rows}) == TINY_RUNS
    assert all(r.run.seed == r.seed for r in rows)


def test_two_workers_give_the_table_of_one(one_worker: Path, tmp_path: Path) -> None:
    monkeypatch = pytest.MonkeyPatch()
    with monkeypatch.context() as mp:
        code = chaoscli(mp, "sweep", *TINY, "--workers", "2", "--out", str(tmp_path))
    assert code == 0
    assert table(tmp_path) == table(one_worker)


def test_a_row_is_what_run_measures_for_its_point_and_seed(
    one_worker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    row: SweepRow = read(one_worker / ROWS)[-1]
    journal = tmp_path / "j.json"
    overrides = [a for a in TINY[5:] if a not in ("--runs", "2", "--seed", "7")]
    code = chaoscli(
        monkeypatch,
        "run",
        "az-outage",
        "--no-verify-fixes",
        "--seed",
        str(row.seed),
        *overrides,
        "--set",
        f"topology.instances_per_az={row.point['topology.instances_per_az']}",
        "--var",
        f"az={row.point['az']}",
        "--journal",
        str(journal),
    )
    j = json.loads(journal.read_text())
    assert code == (0 if row.run.held else 1)
    ran = [(p["probe"], p["window"], p["value"]) for p in j["hypothesis"]["probes"]]
    assert [(p.probe, p.window, p.value) for p in row.run.probes] == ran


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--grid", "topology.instances_per_az=20,-1"], "--grid: topology.instances_per_az:"),
        (["--grid", "topology.nope=1"], "--grid: topology.nope: unknown field"),
        ([], "the grid is empty"),
        (["--grid", "x="], "--grid: x: no values"),
        (["--grid", "az=every", "--executor", "dask://127.0.0.1:9"], "no Dask scheduler"),
        (["--grid", "az=every", "--executor", "ray://x"], "expected local or dask://"),
        (["--grid", "az=every", "--must-hold", "0"], "--must-hold: 0: must be above 0"),
        (
            [
                "--grid",
                "topology.instances_per_az=16",
                "--find-min",
                "topology.instances_per_az=8..32:8",
            ],
            "--find-min: topology.instances_per_az: also given to --grid",
        ),
        (
            ["--find-min", "topology.instances_per_az=0..8:4"],
            "--find-min: topology.instances_per_az: Input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_runs(
    args: list[str],
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    began = time.monotonic()
    out = tmp_path / "out"
    assert chaoscli(monkeypatch, "sweep", "az-outage", *args, "--out", str(out)) == 2
    assert time.monotonic() - began < 15
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err
    assert not out.exists()


@pytest.mark.parametrize("below", [False, True])
def test_out_naming_a_file_is_one_line_exit_2_and_the_file_is_untouched(
    below: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    taken = tmp_path / "taken.txt"
    taken.write_text("someone's notes\n")
    out = taken / "sweep" if below else taken
    assert chaoscli(monkeypatch, "sweep", *TINY, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert f"--out: {taken}: is a file, not a folder" in err and err.count("\n") == 1, err
    assert taken.read_text() == "someone's notes\n"


def test_a_bad_sweep_file_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("experiment: az-outage\ngrid: {az: every}\nruns: 0\n")
    assert chaoscli(monkeypatch, "sweep", str(path), "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert f"{path}: runs: Input should be greater than or equal to 1" in err
    path.write_text("experiment: az-outage\ngrid: {az: every}\nrnus: 3\n")
    assert chaoscli(monkeypatch, "sweep", str(path), "--out", str(tmp_path / "o")) == 2
    assert f"{path}: rnus: unknown field" in capsys.readouterr().err
    path.write_text("experiment: az-outage\ngrid: {topology.instance_per_az: 80..100:20}\n")
    assert chaoscli(monkeypatch, "sweep", str(path), "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err  # the file's grid, not a --grid that was never given
    assert f"{path}: grid.topology.instance_per_az: unknown field" in err, err


def test_an_output_folder_holding_a_sweep_is_not_overwritten(
    one_worker: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (one_worker / ROWS).read_bytes()
    assert chaoscli(monkeypatch, "sweep", *TINY, "--out", str(one_worker)) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert (one_worker / ROWS).read_bytes() == before


def test_ctrl_c_keeps_the_finished_runs_and_resume_gives_the_straight_table(
    one_worker: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = tmp_path / ROWS
    code, err = interrupted_after_first_run([*TINY, "--workers", "1"], tmp_path)
    assert code == 130, err
    kept = read(rows)
    assert 1 <= len(kept) < TINY_RUNS
    assert f"interrupted with {len(kept)} of {TINY_RUNS} runs done (kept)" in err  # all counted
    with rows.open("ab") as handle:  # as a kill in the middle of a write would leave it
        handle.write(b'{"key": "{\\"az\\"')
    assert chaoscli(monkeypatch, "sweep", *TINY, "--resume", "--out", str(tmp_path)) == 0
    said = " ".join(capsys.readouterr().err.split())
    left = TINY_RUNS - len(kept)
    assert f"{len(kept)} of {TINY_RUNS} runs already done, {left} to run" in said, said
    assert table(tmp_path) == table(one_worker)
    assert rows.read_bytes().count(b"\n") == TINY_RUNS
