"""``openweex data disk``: appends + fdatasync timed on the data directory's disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from openweex.cli import main
from openweex.storage import disktest
from openweex.storage.disktest import FILE_SIZE, existing_dir, measure_disk

from .helpers import direct_io_here


class FakeTime:
    """A clock that only moves when the code under test sleeps or syncs."""

    def __init__(self, sync_takes: list[float]) -> None:
        self.now = 100.0
        self.sync_takes = sync_takes
        self.synced: list[int] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds

    def sync(self, fd: int) -> None:
        self.synced.append(fd)
        self.now += self.sync_takes[(len(self.synced) - 1) % len(self.sync_takes)]


def test_each_append_is_timed_from_write_to_sync_and_paced(tmp_path: Path) -> None:
    t = FakeTime([0.004, 0.0002, 0.0002, 0.0002, 0.0025, 0.0002, 0.0002])
    report = measure_disk(
        tmp_path,
        seconds=0.01,
        rate=500,
        warmup=0.002,
        idle=0.5,
        sync=t.sync,
        clock=t.clock,
        sleep=t.sleep,
    )
    # one after idle, one warm-up append (due every 2 ms), then five measured ones
    assert len(t.synced) == 1 + 1 + 5
    assert report.first == pytest.approx(0.004)
    assert report.timings == pytest.approx([0.0002, 0.0002, 0.0002, 0.0002, 0.0025])
    assert report.over(0.001) == 1 and report.over(0.002) == 1 and report.over(0.005) == 0
    assert report.percentile(50) == pytest.approx(0.0002)
    assert report.percentile(99) == pytest.approx(0.0025)
    assert list(tmp_path.iterdir()) == []  # the test file is gone


def test_back_to_back_fills_the_time_and_no_idle_append(tmp_path: Path) -> None:
    t = FakeTime([0.001])
    report = measure_disk(
        tmp_path, seconds=0.01, rate=0, warmup=0, idle=0, sync=t.sync, clock=t.clock,
        sleep=t.sleep,
    )  # fmt: skip
    assert report.first is None
    assert len(report.timings) == 10
    assert report.to_json()["appendsPerSecond"] == pytest.approx(1000)
    assert "one after the other" in report.lines()[0]


def test_the_records_go_round_within_the_zero_filled_file(tmp_path: Path) -> None:
    sizes: list[int] = []
    t = FakeTime([0.0])

    def sync(fd: int) -> None:
        sizes.append(os.fstat(fd).st_size)
        t.sync(fd)
        t.now += 1e-6  # each append takes a microsecond

    measure_disk(
        tmp_path, seconds=300e-6, rate=0, warmup=0, idle=0, size=65536, sync=sync,
        clock=t.clock, sleep=t.sleep,
    )  # fmt: skip
    assert len(sizes) > FILE_SIZE // 65536  # it went round
    assert set(sizes) == {FILE_SIZE}  # and never grew the file


def test_a_failed_sync_removes_the_file_and_is_raised(tmp_path: Path) -> None:
    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError):
        measure_disk(tmp_path, seconds=0.01, rate=0, idle=0, sync=failing)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"seconds": 0}, {"seconds": 1, "rate": -1}, {"seconds": 1, "size": 0},
     {"seconds": 1, "warmup": -1}, {"seconds": 1, "size": 2 << 20}],
)  # fmt: skip
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        measure_disk(tmp_path, **{"rate": 0, **kwargs})  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_directory_not_made_yet_is_measured_where_it_would_be(tmp_path: Path) -> None:
    assert existing_dir(tmp_path / "a" / "b") == tmp_path
    assert existing_dir(tmp_path) == tmp_path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(["data", "disk", *argv])
    out = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 1), out.out, out.err


def test_the_command_measures_the_real_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-dir", str(tmp_path), "--seconds", "0.05", "--rate", "400", "--warmup", "0.01"]
    code, out, _ = run_cli(capsys, *args, "--idle", "0.05", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["directory"] == str(tmp_path)
    assert doc["recordBytes"] == 200 and doc["rate"] == 400
    assert doc["appends"] == 20
    assert 0 < doc["p50Ms"] <= doc["p99Ms"] <= doc["maxMs"]
    assert doc["firstAfterIdleMs"] > 0 and doc["idleSeconds"] == 0.05
    assert doc["directIo"] is direct_io_here(tmp_path)  # as the journal writes
    code, out, _ = run_cli(capsys, *args, "--idle", "0")
    assert code == 0
    how = "direct I/O" if doc["directIo"] else "through the page cache"
    assert out.startswith(f"disk under {tmp_path}: 20 appends of 200 bytes, each written ({how})")
    assert "idle" not in out
    assert "write + fdatasync: p50 " in out and "over 2 ms: " in out
    assert list(tmp_path.iterdir()) == []


def test_the_command_says_which_directory_it_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "not-yet"
    code, out, err = run_cli(
        capsys, "--data-dir", str(missing), "--seconds", "0.01", "--rate", "0", "--idle", "0",
        "--warmup", "0", "--json",
    )  # fmt: skip
    assert code == 0
    assert err.startswith(f"{missing} does not exist yet: measuring {tmp_path}")
    assert json.loads(out)["directory"] == str(tmp_path)
    assert not missing.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seconds", "0"], "more than 0"),
        (["--seconds", "nan"], "more than 0"),
        (["--rate", "-5"], "0 or more"),
        (["--rate", "inf"], "0 or more"),
        (["--size", "0"], "1 to 65536"),
        (["--size", "1.5"], "whole number"),
        (["--warmup", "-1"], "0 or more"),
        (["--idle", "x"], "not a number"),
    ],
)
def test_the_command_refuses_bad_options(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert message in err


def test_an_unwritable_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**_: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(disktest.tempfile, "mkstemp", refused)
    code, _, err = run_cli(capsys, "--data-dir", str(tmp_path), "--seconds", "0.01")
    assert code == 2
    assert f"cannot measure the disk under {tmp_path}: [Errno 13] Permission denied" in err
