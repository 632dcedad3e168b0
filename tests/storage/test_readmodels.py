"""The SQLite read models' housekeeping: checkpoints off the writer, clean close."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from openweex.domain.events import TransferRecord
from openweex.domain.markets import default_markets
from openweex.storage.readmodels import Page, SqliteStore

MARKETS = default_markets()


def _transfers(first: int, n: int) -> list[TransferRecord]:
    return [
        TransferRecord(1_700_000_000_000 + i, i, 10001, "USDT", 10**8 * i, "spot", "funding")
        for i in range(first, first + n)
    ]


def test_checkpoints_run_on_their_own_thread_and_empty_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = SqliteStore(path, MARKETS)
    try:
        store.CHECKPOINT_ROWS = 100
        wal = Path(str(path) + "-wal")
        for k in range(20):
            store.write(k + 1, _transfers(k * 50 + 1, 50))
        assert wal.stat().st_size > 0
        checkpointer = store._checkpointer
        for _ in range(500):  # the writer asked for checkpoints; wait for one to run
            if checkpointer.runs:
                break
            time.sleep(0.01)
        assert checkpointer.runs >= 1
        names = {t.name for t in threading.enumerate()}
        assert "sqlite-checkpoint" in names
        # what was checkpointed is in the database file, and the next writes reuse the WAL
        store.write(21, _transfers(2001, 1))
        rows = store.transfers(10001, None, None, Page(None, None, 100), 0)
        assert len(rows) == 100 and rows[0].transfer_id == 2001
    finally:
        store.close()
    assert not wal.exists()  # the last connection checkpointed and removed it
    assert all(t.name != "sqlite-checkpoint" for t in threading.enumerate())
    reopened = SqliteStore(path, MARKETS)
    try:
        assert reopened.applied_seq() == 21
        assert len(reopened.export_rows()["transfers"]) == 1001
    finally:
        reopened.close()


def test_the_wal_stays_bounded_under_sustained_writes(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = SqliteStore(path, MARKETS, wal_limit_pages=64)
    store._checkpointer.stop()  # no pauses for a background checkpoint to use, as under load
    wal = Path(str(path) + "-wal")
    page = 4096
    try:
        biggest = 0
        for k in range(120):  # each transaction adds several pages to the WAL
            store.write(k + 1, _transfers(k * 200 + 1, 200))
            biggest = max(biggest, wal.stat().st_size)
        # Without the writer's own checkpoints the WAL would hold every page ever written;
        # with them it stays near the limit, and the rows are in the database file.
        assert biggest < 3 * 64 * page
        assert path.stat().st_size > 4 * 64 * page
        rows = store.export_rows()["transfers"]
        assert len(rows) == 120 * 200 and store.applied_seq() == 120
    finally:
        store.close()
    reopened = SqliteStore(path, MARKETS)
    try:
        assert len(reopened.export_rows()["transfers"]) == 120 * 200
    finally:
        reopened.close()


def test_a_writer_process_writes_what_the_store_would_write_itself(tmp_path: Path) -> None:
    here = SqliteStore(tmp_path / "a.sqlite3", MARKETS)
    there = SqliteStore(tmp_path / "b.sqlite3", MARKETS, writer_process=True)
    try:
        for k in range(5):
            for store in (here, there):
                store.write(k + 1, _transfers(k * 30 + 1, 30))
            # committed when write returns: the store's own connection reads it at once
            assert there.applied_seq() == k + 1
            assert there.export_rows() == here.export_rows()
        child = there._child
        assert child is not None and child.pid is not None
        pid = child.pid
    finally:
        here.close()
        there.close()
    with pytest.raises(ProcessLookupError):  # the child ended with the store
        os.kill(pid, 0)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_writer_process_reports_failures(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "h.sqlite3", MARKETS, writer_process=True)
    try:
        store.write(1, _transfers(1, 3))
        child = store._child
        assert child is not None
        with pytest.raises(sqlite3.Error, match="bindings"):  # the child's own error, here
            child.write(2, [], [], [], [[1, 2, 3]])
        assert store.applied_seq() == 1  # nothing of the failed transaction
        store.write(2, _transfers(4, 3))  # the child goes on
        assert store.applied_seq() == 2
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        with pytest.raises(OSError, match="writer process"):
            for k in range(3, 100):  # the loss shows on the next write
                store.write(k, _transfers(10 * k, 1))
    finally:
        store.close()


def test_a_bulk_catch_up_through_a_writer_process_keeps_the_indexes_dropped(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "h.sqlite3", MARKETS, writer_process=True)

    def indexes() -> set[str]:
        rows = store._db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        return {name for (name,) in rows if not name.startswith("sqlite_")}

    try:
        every = indexes()
        assert every
        with store.bulk():
            store.write(1, _transfers(1, 50))  # the first write starts the child
            assert indexes() == set()  # built once at the end, not row by row
        assert indexes() == every
        rows = store.transfers(10001, None, None, Page(None, None, 100), 0)
        assert len(rows) == 50
    finally:
        store.close()
