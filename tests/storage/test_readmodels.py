"""The SQLite read models' housekeeping: checkpoints off the writer, clean close."""

from __future__ import annotations

import threading
import time
from pathlib import Path

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
