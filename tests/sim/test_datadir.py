"""``openweex data export/reset/import/check`` on a data directory a simulation filled."""

from __future__ import annotations

from pathlib import Path

import pytest

from openweex.cli import build_parser
from openweex.runtime import Runtime
from openweex.sim.simulation import Simulation, run_ticks, runtime_submitter
from tests.sim.helpers import MARKETS, running, sim_config


def data(*argv: str) -> int:
    args = build_parser().parse_args(["data", *argv])
    code: int = args.func(args)
    return code


def state_hash(data_dir: Path) -> str:
    rt = Runtime.open(data_dir, MARKETS)
    try:
        rt.exchange.check_invariants()
        return rt.exchange.state_hash()
    finally:
        rt.close_files()


@pytest.fixture
async def filled(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    async with running(d) as rt:
        sim = Simulation(MARKETS, sim_config(taker_probability=50_000_000), 8)
        submit = runtime_submitter(rt)
        await sim.setup(rt.exchange, submit)
        await run_ticks(sim, rt.exchange, submit, 60)
    return d


def test_export_reset_import_check_round_trip(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = state_hash(filled)
    out = tmp_path / "state.json"
    assert data("export", str(out), "--data-dir", str(filled)) == 0
    assert data("reset", "--yes", "--data-dir", str(filled)) == 0
    assert state_hash(filled) != before
    assert data("reset", "--yes", "--data-dir", str(filled)) == 0
    assert data("import", str(out), "--data-dir", str(filled)) == 0
    assert data("check", "--data-dir", str(filled)) == 0
    assert state_hash(filled) == before
    with pytest.raises(SystemExit) as refused:
        data("import", str(out), "--data-dir", str(filled))
    assert refused.value.code == 2 and "is not empty" in capsys.readouterr().err


def test_import_into_a_new_directory(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "state.json"
    data("export", str(out), "--data-dir", str(filled))
    assert data("import", str(out), "--data-dir", str(tmp_path / "fresh")) == 0
    assert state_hash(tmp_path / "fresh") == state_hash(filled)


def test_imported_state_survives_a_read_model_rebuild(filled: Path, tmp_path: Path) -> None:
    before = state_hash(filled)
    out = tmp_path / "state.json"
    data("export", str(out), "--data-dir", str(filled))
    data("reset", "--yes", "--data-dir", str(filled))
    data("import", str(out), "--data-dir", str(filled))
    for f in filled.glob("history.sqlite3*"):
        f.unlink()
    assert state_hash(filled) == before
