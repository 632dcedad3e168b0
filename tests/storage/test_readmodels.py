"""The SQLite read models' housekeeping (checkpoints off the writer, clean close) and their
writer process."""

from __future__ import annotations

import itertools
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from openweex.domain.commands import Deposit
from openweex.domain.events import (
    BalanceUpdate,
    OrderUpdate,
    Settlement,
    Trade,
    TransferRecord,
    settlement_legs,
)
from openweex.domain.markets import default_markets
from openweex.domain.orders import Status
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import Exchange
from openweex.gcsettings import THRESHOLDS
from openweex.storage import readmodels
from openweex.storage.files import can_start_writeback, start_writeback
from openweex.storage.readmodels import (
    ORDER_BY_CLIENT_OID,
    SCHEMA,
    Page,
    SqliteStore,
    symbol_coins,
)
from openweex.storage.rows import ROW_EVENTS, amount, event_rows
from openweex.storage.writerproc import REQUEST, encode_message
from tests.durability.helpers import make_commands

MARKETS = default_markets()
COINS = symbol_coins(MARKETS)


def _transfers(first: int, n: int) -> list[TransferRecord]:
    return [
        TransferRecord(1_700_000_000_000 + i, i, 10001, "USDT", 10**8 * i, "spot", "funding")
        for i in range(first, first + n)
    ]


def test_checkpoints_run_on_their_own_thread_and_empty_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = SqliteStore(path, MARKETS)
    try:
        wal = Path(str(path) + "-wal")
        for k in range(20):
            store.write(k + 1, _transfers(k * 50 + 1, 50))
        assert wal.stat().st_size > 0
        checkpointer = store._checkpointer
        for _ in range(500):  # one runs every second
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


@pytest.mark.skipif(not can_start_writeback(), reason="sync_file_range is Linux's")
def test_between_checkpoints_the_wals_pages_are_sent_to_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []

    def recording(fd: int) -> None:
        started.append(os.readlink(f"/proc/self/fd/{fd}"))
        start_writeback(fd)

    monkeypatch.setattr(readmodels, "start_writeback", recording)
    path = tmp_path / "h.sqlite3"
    store = SqliteStore(path, MARKETS)
    try:
        checkpointer = store._checkpointer
        for k in range(20):
            store.write(k + 1, _transfers(k * 50 + 1, 50))
        for _ in range(500):
            if checkpointer.runs and len(started) > checkpointer.runs:
                break
            time.sleep(0.01)
        assert checkpointer.runs >= 1  # the checkpoints still come, once a second
        assert len(started) >= 10  # and about twenty write-backs each second in between
        assert set(started) == {str(path) + "-wal"}  # of the WAL only
        # nothing read or written is changed by it
        assert len(store.transfers(10001, None, None, Page(None, None, 2000), 0)) == 1000
    finally:
        store.close()
    assert all(t.name != "sqlite-checkpoint" for t in threading.enumerate())
    assert not [n for n in os.listdir("/proc/self/fd") if _points_to(n, tmp_path)]


def _points_to(fd: str, directory: Path) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith(str(directory))
    except OSError:
        return False


def test_start_writeback_leaves_a_files_content_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = os.urandom(1 << 20)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        os.write(fd, data)
        start_writeback(fd)  # (a no-op where there is no such call)
        assert os.pread(fd, len(data) + 1, 0) == data
    finally:
        os.close(fd)


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


def _engine_batches(n: int, seed: int) -> list[list[object]]:
    """The events of ``n`` random commands (orders, fills, cancels, funds, transfers) in
    batches of 1 to 40 commands, with one deposit beyond 64 bits along the way."""
    ex = Exchange(MARKETS)
    rnd = random.Random(seed)
    cmds = make_commands(n, seed)
    cmds.insert(n // 2, Deposit(cmds[n // 2].ts, 10001, "USDT", 2**70))
    batches: list[list[object]] = []
    i = 0
    while i < len(cmds):
        k = rnd.randint(1, 40)
        batches.append([e for cmd in cmds[i : i + k] for e in ex.apply(cmd)[1]])
        i += k
    return batches


def _pair(tmp_path: Path) -> tuple[SqliteStore, SqliteStore]:
    """A store writing itself and one writing through a writer process."""
    here = SqliteStore(tmp_path / "a.sqlite3", MARKETS)
    return here, SqliteStore(tmp_path / "b.sqlite3", MARKETS, writer_process=True)


def test_a_writer_process_writes_what_the_store_would_write_itself(tmp_path: Path) -> None:
    here, there = _pair(tmp_path)
    batches = _engine_batches(1500, 3)
    kinds = {type(e) for b in batches for e in b}
    assert {OrderUpdate, Trade, Settlement, BalanceUpdate, TransferRecord} <= kinds
    try:
        for seq, events in enumerate(batches, 1):
            for store in (here, there):
                store.write(seq, iter(events))  # an iterator, as the runtime's writer gives
            # committed when write returns: the store's own connection reads it at once
            assert there.applied_seq() == seq
            if seq % 10 == 0:
                assert there.export_rows() == here.export_rows()
        rows = there.export_rows()
        assert rows == here.export_rows()
        assert all(rows[t] for t in ("orders", "fills", "bills", "transfers"))
        assert any(int(bill[6]) >= 2**70 for bill in rows["bills"])  # exact beyond 64 bits
        child = there._child
        assert child is not None and child.pid is not None
        pid = child.pid
    finally:
        here.close()
        there.close()
    with pytest.raises(ProcessLookupError):  # the child ended with the store
        os.kill(pid, 0)


def test_a_transaction_of_several_runs_writes_what_their_events_in_one_would(
    tmp_path: Path,
) -> None:
    """The runtime's writer merges the hand-overs that queued up into one transaction, and
    a writer process gets each one's rows made on their own: an order in several of them
    has a row in each, and the last one is what stays."""
    here, there = _pair(tmp_path)
    batches = _engine_batches(1500, 5)
    rnd = random.Random(5)
    seq = i = 0
    try:
        while i < len(batches):
            runs = batches[i : i + rnd.randint(1, 6)]
            i += len(runs)
            seq += 1
            here.write(seq, [e for run in runs for e in run])
            # runs as the runtime prepares them, or events (a catch-up after a restart)
            there.write_runs(
                seq, [there.prepare(run) if k % 2 else iter(run) for k, run in enumerate(runs)]
            )
        rows = there.export_rows()
        assert rows == here.export_rows()
        ids = [{e.order_id for e in run if isinstance(e, OrderUpdate)} for run in batches]
        assert any(a & b for a, b in itertools.pairwise(ids))  # orders across runs
        # The message: each run's rows, in order, table by table (empty runs add nothing).
        runs = [batches[0], [], batches[1], batches[2]]
        sent = orjson.loads(encode_message(9, [iter(run) for run in runs], COINS)[4:])
        wanted: list[list[list[object]]] = [[], [], [], []]
        for run in runs:
            orders, fills, bills, transfers = event_rows(run, COINS)
            for table, made in zip(wanted, (orders.values(), fills, bills, transfers), strict=True):
                table.extend(list(r) for r in made)
        assert sent == [9, *wanted]
        prepared = [there.prepare(run) for run in runs]
        assert encode_message(9, prepared, COINS) == encode_message(9, runs, COINS)
        assert here.prepare(runs[0]) is runs[0]  # a store that writes itself keeps the events
        assert orjson.loads(encode_message(3, [[], []], COINS)[4:]) == [3, [], [], [], []]
    finally:
        here.close()
        there.close()


def test_rows_go_to_a_writer_process_as_json_arrays_with_64_bit_ints() -> None:
    events = [e for batch in _engine_batches(300, 5) for e in batch]
    rows = event_rows(events, COINS)
    orders, fills, bills, transfers = rows
    assert fills and bills and transfers
    wanted = {e.order_id for e in events if isinstance(e, OrderUpdate)}
    assert set(orders) == wanted  # the latest state of each order, once
    billed = [e for e in events if isinstance(e, BalanceUpdate) and e.bill_id]
    legs = [leg for e in events if isinstance(e, Settlement) for leg in settlement_legs(e)]
    assert sorted(b[0] for b in bills) == sorted(e.bill_id for e in billed + legs)
    assert {type(e) for e in events} - set(ROW_EVENTS)  # other events make no rows
    # Every int fits in SQLite's 64 bits: the deposit beyond them is decimal text.
    values = [
        v for table in (list(orders.values()), fills, bills, transfers) for r in table for v in r
    ]
    assert all(-(2**63) <= v < 2**63 for v in values if type(v) is int)
    assert str(2**70) in values
    message = encode_message(7, [iter(events)], COINS)
    (size,) = REQUEST.unpack(message[: REQUEST.size])
    assert size == len(message) - REQUEST.size
    sent = orjson.loads(message[REQUEST.size :])
    as_lists = [[list(r) for r in table] for table in (orders.values(), fills, bills, transfers)]
    assert sent == [7, *as_lists]


# 2**62 around: where compiled code's unboxed ints end (rows checks those first)
EDGES = [0, -1, 2**62 - 1, 2**62, -(2**62), -(2**62) - 1, 2**63 - 1, -(2**63), 2**63]


@pytest.mark.parametrize("value", [*EDGES, -(2**63) - 1, 10**30])
def test_an_amount_beyond_64_bits_is_stored_as_text_and_read_back_exactly(
    tmp_path: Path, value: int
) -> None:
    stored = amount(value)
    assert stored == (value if -(2**63) <= value < 2**63 else str(value))
    store = SqliteStore(tmp_path / "h.sqlite3", MARKETS)
    try:
        store.write(1, [TransferRecord(1_700_000_000_000, 1, 10001, "USDT", value, "a", "b")])
        (row,) = store.transfers(10001, None, None, Page(None, None, 10), 0)
        assert row.amount == value
        raw = store._db.execute("SELECT amount, typeof(amount) FROM transfers").fetchone()
        assert raw == (stored, "integer" if type(stored) is int else "text")
    finally:
        store.close()


def test_a_data_directory_with_text_amount_columns_reads_the_same(tmp_path: Path) -> None:
    """Data directories made before amounts were stored as ints declare those columns
    TEXT: SQLite stores every amount there as text, and the store reads the same values."""
    old = tmp_path / "old.sqlite3"
    db = sqlite3.connect(old)
    typed = SCHEMA
    for column in (
        "price",
        "quantity",
        "filled_qty",
        "filled_quote",
        "qty",
        "quote",
        "fee",
        "balance_before",
        "amount",
    ):
        typed = re.sub(rf"\b{column} NOT NULL", f"{column} TEXT NOT NULL", typed)
    assert typed.count(" TEXT NOT NULL") == SCHEMA.count(" TEXT NOT NULL") + 12
    db.executescript(typed)
    db.close()
    stores = SqliteStore(old, MARKETS), SqliteStore(tmp_path / "new.sqlite3", MARKETS)
    try:
        for seq, events in enumerate(_engine_batches(400, 9), 1):
            for store in stores:
                store.write(seq, events)
        texts = stores[0]._db.execute("SELECT count(*) FROM bills WHERE typeof(qty)='text'")
        assert texts.fetchone()[0] == len(stores[0].export_rows()["bills"]) > 0
        page = Page(None, None, 100)
        for uid in (10001, 10002, 10003):
            old_rows, new_rows = (
                (
                    s.bills(uid, None, None, None, page, 0),
                    s.fills(uid, "BTCUSDT_SPBL", None, page, 0),
                    s.order_history(uid, "BTCUSDT_SPBL", page, 0),
                    s.transfers(uid, None, None, page, 0),
                )
                for s in stores
            )
            assert old_rows == new_rows
            assert any(old_rows)
    finally:
        for store in stores:
            store.close()


def test_the_writer_process_collects_garbage_like_the_server(tmp_path: Path) -> None:
    """A transaction's rows are all decoded at once and alive until written: the writer
    process must not rescan them at Python's default threshold (700 allocations)."""
    SqliteStore(tmp_path / "h.sqlite3", MARKETS).close()
    probe = (
        "import gc, sys\n"
        "from openweex.storage import sqlwriter\n"
        "assert gc.get_threshold()[0] < 50000 and gc.get_freeze_count() == 0  # defaults\n"
        "sqlwriter.main([sys.argv[1], '1000'])  # stdin is empty: it starts, then ends\n"
        "print(*gc.get_threshold(), gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "h.sqlite3")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [*map(str, THRESHOLDS), "True"]


def _order_without_client_oid() -> OrderUpdate:
    """An order row that SQLite refuses in the writer process (rows are made before)."""
    return OrderUpdate(
        1,
        10001,
        "BTCUSDT_SPBL",
        1,
        None,  # type: ignore[arg-type]
        Side.BUY,
        OrderType.LIMIT,
        Force.NORMAL,
        1,
        1,
        Status.NEW,
        0,
        0,
        1,
        False,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_writer_process_reports_failures(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "h.sqlite3", MARKETS, writer_process=True)
    try:
        store.write(1, _transfers(1, 3))
        child = store._child
        assert child is not None
        refused = r"IntegrityError: NOT NULL constraint failed: orders.client_oid"
        bad = _order_without_client_oid()
        with pytest.raises(sqlite3.Error, match=refused):  # the child's error
            store.write(2, [*_transfers(4, 3), bad])
        assert store.applied_seq() == 1  # nothing of the failed transaction
        assert len(store.export_rows()["transfers"]) == 3
        with pytest.raises(sqlite3.Error, match=refused):  # none is skipped
            store.write(3, _transfers(4, 3))
        assert store.applied_seq() == 1
    finally:
        store.close()
    store = SqliteStore(tmp_path / "h.sqlite3", MARKETS, writer_process=True)
    try:
        store.write(2, _transfers(4, 3))  # a new store, a new child
        assert store.applied_seq() == 2
        child = store._child
        assert child is not None and child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        # A child that cannot start: the write after the loss raises.
        child._args = [sys.executable, "-c", "import sys; sys.exit(3)"]
        with pytest.raises(OSError, match=r"writer process ended \(exit code 3\) twice"):
            store.write(3, _transfers(7, 1))
        assert store.applied_seq() == 2
    finally:
        store.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_writer_process_that_ends_is_replaced_and_gets_what_it_left_unanswered(
    tmp_path: Path,
) -> None:
    batches = _engine_batches(400, 11)
    here, there = _pair(tmp_path)
    child = there._child
    assert child is not None
    pids = set()
    try:
        for seq, events in enumerate(batches, 1):
            here.write(seq, events)
            if seq % 7 == 0:  # killed between transactions: noticed on the next one
                assert child.pid is not None
                pids.add(child.pid)
                os.kill(child.pid, signal.SIGKILL)
            there.write(seq, events)
            assert there.applied_seq() == seq
        with there.bulk():  # killed with a transaction in flight: it is sent again
            for seq, events in enumerate(batches, len(batches) + 1):
                here.write(seq, events)
                there.write(seq, events)
                if seq % 5 == 0:
                    assert child.pid is not None
                    pids.add(child.pid)
                    os.kill(child.pid, signal.SIGKILL)
        assert there.applied_seq() == 2 * len(batches)
        assert there.export_rows() == here.export_rows()
        assert child.replacements == len(pids) >= 4
    finally:
        here.close()
        there.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):  # every one reaped
            os.kill(pid, 0)


def test_in_bulk_mode_a_writer_process_writes_while_the_next_transaction_is_made(
    tmp_path: Path,
) -> None:
    batches = _engine_batches(600, 7)
    here, there = _pair(tmp_path)
    try:
        with here.bulk(), there.bulk():
            for seq, events in enumerate(batches, 1):
                here.write(seq, events)
                there.write(seq, events)
                child = there._child
                assert child is not None and len(child._sent) <= 1  # one in flight at most
        assert there.applied_seq() == len(batches)  # all committed at the end of bulk()
        assert there.export_rows() == here.export_rows()
    finally:
        here.close()
        there.close()
    bad = _order_without_client_oid()
    store = SqliteStore(tmp_path / "c.sqlite3", MARKETS, writer_process=True)
    try:
        with pytest.raises(sqlite3.Error, match="NOT NULL"), store.bulk():
            store.write(1, _transfers(1, 3))
            store.write(2, [bad])  # raised by the next write or at the end
            store.write(3, _transfers(4, 3))
        assert store.applied_seq() == 1  # nothing after the failed transaction
        assert store.transfers(10001, None, None, Page(None, None, 100), 0)  # indexes back
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


def test_a_store_that_only_reads_keeps_a_small_page_cache_and_builds_indexes_with_a_large_one(
    tmp_path: Path,
) -> None:
    reader = SqliteStore(tmp_path / "r.sqlite3", MARKETS, writer_process=True)
    writer = SqliteStore(tmp_path / "w.sqlite3", MARKETS)

    def cache_kib(store: SqliteStore) -> int:
        return -int(store._db.execute("PRAGMA cache_size").fetchone()[0])

    statements: list[str] = []
    try:
        assert cache_kib(reader) == SqliteStore.READ_CACHE_KIB < SqliteStore.CACHE_KIB
        assert cache_kib(writer) == SqliteStore.CACHE_KIB  # it writes the rows itself
        reader._db.set_trace_callback(statements.append)
        with reader.bulk():
            reader.write(1, _transfers(1, 20))
        reader._db.set_trace_callback(None)
        sizes = [i for i, sql in enumerate(statements) if sql.startswith("PRAGMA cache_size")]
        built = [i for i, sql in enumerate(statements) if "CREATE INDEX" in sql]
        assert built and len(sizes) == 2 and sizes[0] < min(built) and max(built) < sizes[1]
        assert statements[sizes[0]] == f"PRAGMA cache_size=-{SqliteStore.CACHE_KIB}"
        assert cache_kib(reader) == SqliteStore.READ_CACHE_KIB  # and back after the build
        assert len(reader.transfers(10001, None, None, Page(None, None, 100), 0)) == 20
    finally:
        reader.close()
        writer.close()


def _order(order_id: int, uid: int, client_oid: str) -> OrderUpdate:
    return OrderUpdate(
        1_700_000_000_000 + order_id, uid, "BTCUSDT_SPBL", order_id, client_oid, Side.BUY,
        OrderType.LIMIT, Force.NORMAL, 100_000, 1_000, Status.NEW, 0, 0,
        1_700_000_000_000 + order_id, False,
    )  # fmt: skip


def test_only_orders_with_a_client_order_id_are_in_its_index(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    # A data directory of an earlier version: every order in an index of the old name.
    old = sqlite3.connect(path)
    old.executescript(SCHEMA.replace("DROP INDEX IF EXISTS orders_coid;", ""))
    old.execute("DROP INDEX orders_client_oid")
    old.execute("CREATE INDEX orders_coid ON orders (uid, client_oid)")
    old.close()
    store = SqliteStore(path, MARKETS)
    try:
        store.write(1, [_order(1, 10001, "a-1"), _order(2, 10001, ""), _order(3, 10002, "a-1")])
        # (the engine refuses a client order id a user already used; the store keeps both)
        store.write(2, [_order(4, 10001, ""), _order(5, 10001, "a-1")])
        db = store._db
        indexes = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type='index'"))
        assert "orders_coid" not in indexes
        assert "WHERE client_oid != ''" in indexes["orders_client_oid"]
        # the lookup by client order id is a search in that index, which holds 3 entries
        query = "EXPLAIN QUERY PLAN " + ORDER_BY_CLIENT_OID
        plan = " ".join(str(r[-1]) for r in db.execute(query, (10001, "a-1")))
        assert "USING INDEX orders_client_oid" in plan and "TEMP B-TREE" not in plan
        entries = "SELECT count(*) FROM orders INDEXED BY orders_client_oid WHERE client_oid != ''"
        assert db.execute(entries).fetchone()[0] == 3
        found = store.get_order(10001, 0, "a-1")
        assert found is not None and found.order_id == 5  # the latest with that id
        other = store.get_order(10002, 0, "a-1")
        assert other is not None and other.order_id == 3
        assert store.get_order(10001, 0, "") is None  # no id at all finds nothing
        assert store.get_order(10001, 0, "a-2") is None
        plain = store.get_order(10001, 4, "")
        assert plain is not None and plain.client_oid == ""
    finally:
        store.close()


def test_a_full_disk_is_the_error_told(tmp_path: Path) -> None:
    """A write that fails for lack of space raises that error (SQLite may have rolled the
    transaction back by itself: nothing is left to roll back, and that is no error)."""
    path = tmp_path / "h.sqlite3"
    store = SqliteStore(path, MARKETS)
    try:
        store.write(1, _transfers(1, 10))
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(sqlite3.OperationalError, match="full"):
            store.write(2, _transfers(11, 5000))
        assert not store._db.in_transaction
        store._db.execute("PRAGMA max_page_count = 1073741823")
        store.write(2, _transfers(11, 5))  # the store goes on once there is room
        rows = store.transfers(10001, None, None, Page(None, None, 100), 0)
        assert len(rows) == 15
    finally:
        store.close()
