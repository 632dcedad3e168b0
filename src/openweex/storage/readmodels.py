"""Read models for history queries, in SQLite (stdlib ``sqlite3``, WAL mode).

Tables: ``orders`` (every order, open and finished, in its latest state), ``fills`` (one
row per user side of a trade), ``bills``, ``transfers``, and ``meta`` holding the journal
seq of the last command whose events were written. Amounts are the engine's ints, stored as
INTEGER, and as decimal TEXT beyond 64 bits so that no value is ever clipped: their columns
have no declared type, so SQLite keeps either as given (data directories made before this
declare them TEXT, and SQLite stores every amount there as text; the readers take both);
ids and times are INTEGER.

The runtime writes the events of every durable batch in one transaction together with the
new ``applied_seq``; after a crash, recovery replays the journal from ``applied_seq + 1``
so the read models never disagree with the engine. Writing the same events twice gives the
same rows (every insert replaces by primary key), so a catch-up may overlap.

Durability is not needed here (``synchronous=NORMAL``: commits are not fsynced; the journal
is the truth). Checkpoints (copying the WAL back into the database file, with an fsync) run
on a background thread with its own connection, so that the writer seldom waits for one;
under sustained writes, which leave those no moment to finish, the writer's connection
checkpoints itself once the WAL holds ``wal_limit_pages`` pages, which bounds the WAL's
size (the runtime writes from a thread of its own, never from the event loop).
:meth:`SqliteStore.sync` makes them durable when the journal is about to forget records
(journal retention), :meth:`SqliteStore.bulk` speeds up large catch-ups.
The runtime only uses the :class:`HistoryStore` protocol, which another store (PostgreSQL)
can implement: ``write`` must store the events and the seq atomically.

Pagination (see ``docs/compat.md``): ``after`` returns records with an id below the cursor,
newest first (with ``before`` too, above that); ``before`` alone returns the records right
above the cursor, oldest first (:meth:`SqliteStore._paged`). A fill's id is
``trade_id * 2`` for the taker side and ``trade_id * 2 + 1`` for the maker side.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from openweex.domain.markets import Markets
from openweex.domain.orders import Status
from openweex.domain.values import Force, OrderType, Side
from openweex.storage.files import can_start_writeback, start_writeback
from openweex.storage.rows import event_rows
from openweex.storage.writerproc import WriterProcess
from openweex.storage.writerproc import prepare as prepare_rows

# An amount column has no type: an int or, beyond 64 bits, decimal text (rows.amount).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, symbol TEXT NOT NULL,
    client_oid TEXT NOT NULL, side INTEGER NOT NULL, order_type INTEGER NOT NULL,
    force INTEGER NOT NULL, price NOT NULL, quantity NOT NULL,
    status INTEGER NOT NULL, filled_qty NOT NULL, filled_quote NOT NULL,
    ctime INTEGER NOT NULL, utime INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_uid ON orders (uid, symbol, order_id);
-- Only an order placed with a client order id can be looked up by one (many clients never
-- set it): the index leaves the others out, one B-tree insert less for each of them. (Data
-- directories of earlier versions have an index of every order under the old name.)
DROP INDEX IF EXISTS orders_coid;
CREATE INDEX IF NOT EXISTS orders_client_oid ON orders (uid, client_oid) WHERE client_oid != '';
CREATE TABLE IF NOT EXISTS fills (
    fill_id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, symbol TEXT NOT NULL,
    order_id INTEGER NOT NULL, trade_id INTEGER NOT NULL, side INTEGER NOT NULL,
    order_type INTEGER NOT NULL, price NOT NULL, qty NOT NULL, quote NOT NULL,
    fee NOT NULL, fee_coin TEXT NOT NULL, maker INTEGER NOT NULL,
    self_trade INTEGER NOT NULL, client_oid TEXT NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS fills_uid ON fills (uid, symbol, fill_id);
CREATE INDEX IF NOT EXISTS fills_order ON fills (order_id);
CREATE TABLE IF NOT EXISTS bills (
    bill_id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, coin TEXT NOT NULL,
    group_type TEXT NOT NULL, biz_type TEXT NOT NULL, qty NOT NULL,
    balance_before NOT NULL, fee NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS bills_uid ON bills (uid, bill_id);
CREATE TABLE IF NOT EXISTS transfers (
    transfer_id INTEGER PRIMARY KEY, uid INTEGER NOT NULL, coin TEXT NOT NULL,
    amount NOT NULL, from_type TEXT NOT NULL, to_type TEXT NOT NULL, ts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS transfers_uid ON transfers (uid, ts);
"""


HISTORY_TABLES = ("orders", "fills", "bills", "transfers")
_INDEXES = tuple(re.findall(r"CREATE INDEX IF NOT EXISTS (\w+)", SCHEMA))


class OrderRow(NamedTuple):
    order_id: int
    uid: int
    symbol: str
    client_oid: str
    side: Side
    order_type: OrderType
    force: Force
    price: int
    quantity: int
    status: Status
    filled_qty: int
    filled_quote: int
    ctime: int
    utime: int


class FillRow(NamedTuple):
    fill_id: int
    uid: int
    symbol: str
    order_id: int
    trade_id: int
    side: Side
    order_type: OrderType
    price: int
    qty: int
    quote: int
    fee: int
    fee_coin: str
    maker: bool
    self_trade: bool
    client_oid: str
    ts: int


class BillRow(NamedTuple):
    bill_id: int
    uid: int
    coin: str
    group_type: str
    biz_type: str
    qty: int
    balance_before: int
    fee: int
    ts: int


class TransferRow(NamedTuple):
    transfer_id: int
    uid: int
    coin: str
    amount: int
    from_type: str
    to_type: str
    ts: int


class Page(NamedTuple):
    """A cursor window: ``after`` (older than), ``before`` (newer than), ``limit``."""

    after: int | None
    before: int | None
    limit: int


class HistoryStore(Protocol):
    """What the runtime and the API need from a history store (SQLite or another)."""

    def applied_seq(self) -> int: ...
    def write(self, seq: int, events: Iterable[object], *, wait: bool = True) -> None: ...
    def prepare(self, events: list[object]) -> object: ...
    def write_runs(self, seq: int, runs: Sequence[object], *, wait: bool = True) -> None: ...
    def drain(self) -> None: ...
    def reset(self) -> None: ...
    def bulk(self) -> AbstractContextManager[None]: ...
    def sync(self) -> None: ...
    def export_rows(self) -> dict[str, list[list[Any]]]: ...
    def import_rows(self, tables: Mapping[str, Sequence[Sequence[Any]]], seq: int) -> None: ...
    def get_order(self, uid: int, order_id: int, client_oid: str) -> OrderRow | None: ...
    def order_history(self, uid: int, symbol: str, page: Page, since: int) -> list[OrderRow]: ...
    def fills(
        self, uid: int, symbol: str, order_id: int | None, page: Page, since: int
    ) -> list[FillRow]: ...
    def bills(
        self, uid: int, coin: str | None, group: str | None, biz: str | None, page: Page, since: int
    ) -> list[BillRow]: ...
    def transfers(
        self, uid: int, coin: str | None, from_type: str | None, page: Page, since: int
    ) -> list[TransferRow]: ...
    def close(self) -> None: ...


def unreadable(path: Path, exc: sqlite3.DatabaseError) -> str:
    """What to tell of read models at ``path`` that SQLite cannot read, and the remedy."""
    return (
        f"read models {path} cannot be read ({exc}); they are rebuilt from the journal"
        f" once {path.name} and its -wal and -shm files are moved away"
    )


def symbol_coins(markets: Markets) -> dict[str, tuple[str, str]]:
    """What :func:`~openweex.storage.rows.event_rows` needs to know of the markets: each
    symbol's base and quote coin."""
    return {name: (s.base, s.quote) for name, s in markets.symbols.items()}


class Checkpointer:
    """Checkpoints a WAL database from a background thread (its own connection), every
    ``interval_s`` seconds, and meanwhile has the WAL's new pages written out a little at a
    time (every ``writeback_s``).

    PASSIVE checkpoints never block the writer; SQLite releases the GIL while it copies
    pages and fsyncs, so the event loop keeps running.

    A checkpoint first fsyncs the WAL: everything written to it since the last one, a
    second of a busy writer's transactions at once. The journal's syncs, on the same disk,
    then wait behind that burst (a command's p99 latency doubled in the durability
    benchmark). Between checkpoints the thread starts the write-back of the WAL's dirty
    pages (:func:`~openweex.storage.files.start_writeback`, which waits for nothing and
    makes nothing durable), so the disk sees them as a steady trickle and the checkpoint's
    fsync finds little left to write. Only the WAL: SQLite keeps no lock on it (its locks are
    on the database and ``-shm`` files, where closing a descriptor of our own would drop the
    process's locks), and the checkpoint writes the database file all at once anyway.
    """

    def __init__(self, path: str, interval_s: float = 1.0, writeback_s: float = 0.05) -> None:
        self._path = path
        self._interval = interval_s
        self._writeback = writeback_s if can_start_writeback() else interval_s
        self._stop = threading.Event()
        self.runs = 0
        self.writebacks = 0
        self._thread = threading.Thread(target=self._loop, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        wal: int | None = None
        due = time.monotonic() + self._interval
        try:
            while not self._stop.wait(min(self._writeback, max(due - time.monotonic(), 0))):
                if time.monotonic() < due:
                    wal = self._start_writeback(wal)
                    continue
                due = time.monotonic() + self._interval
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:  # busy or failing disk: the next round tries again
                    pass
        finally:
            db.close()
            if wal is not None:
                os.close(wal)

    def _start_writeback(self, wal: int | None) -> int | None:
        if wal is None:
            try:  # (the WAL stays while a connection is open: this thread's is)
                wal = os.open(self._path + "-wal", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return None
        start_writeback(wal)
        self.writebacks += 1
        return wal

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# The latest order of a user with a client order id (the last term lets SQLite use the
# partial index, which holds only orders with one).
ORDER_BY_CLIENT_OID = (
    "SELECT * FROM orders WHERE uid=? AND client_oid=? AND client_oid != '' ORDER BY order_id DESC"
)

# Only the state of an order changes after it is placed: updating those columns in place
# leaves the row's index entries alone (a REPLACE would delete and insert them again).
_UPSERT_ORDER = (
    "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(order_id) DO UPDATE SET"
    " status=excluded.status, filled_qty=excluded.filled_qty,"
    " filled_quote=excluded.filled_quote, utime=excluded.utime"
)


def connect(
    path: str, wal_limit_pages: int, cache_kib: int, *, create: bool = True
) -> sqlite3.Connection:
    """A connection to the read models with their settings; with ``create``, the tables and
    indexes are created if missing (the writer process leaves that to the store, which may
    have dropped the indexes for a bulk catch-up)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout=30000")  # a writer process may hold the lock a moment
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    # The background checkpointer keeps the WAL short while writes pause now and then.
    # Under sustained writes none of its checkpoints can finish, the WAL is never restarted
    # and grows without bound (to 687 MB in 20 s of the durability benchmark, for a 72 MB
    # database), which also makes every write slower. A checkpoint by the writer's own
    # connection after the commit that took the WAL past the limit can finish (no other
    # writer); the next transaction restarts the WAL from its start, and the file is cut
    # back to the limit.
    page = int(db.execute("PRAGMA page_size").fetchone()[0])
    db.execute(f"PRAGMA wal_autocheckpoint={int(wal_limit_pages)}")
    db.execute(f"PRAGMA journal_size_limit={int(wal_limit_pages) * page}")
    # Each user has a place in the per-user indexes where its new rows go: with many active
    # users those leaf pages are the working set, far beyond the default cache (with 1,000
    # users, 20% more commands/s over a minute of sustained writes).
    db.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
    if create:
        db.executescript(SCHEMA)
    return db


def write_rows(
    db: sqlite3.Connection,
    seq: int,
    orders: Iterable[Sequence[Any]],
    fills: Sequence[Sequence[Any]],
    bills: Sequence[Sequence[Any]],
    transfers: Sequence[Sequence[Any]],
) -> None:
    """Store rows made by :func:`~openweex.storage.rows.event_rows` and ``seq`` as the
    applied seq, in one transaction."""
    db.execute("BEGIN")
    try:
        db.executemany(_UPSERT_ORDER, orders)
        # A fill, bill or transfer never changes once made: a transaction written again (by
        # a writer process that replaced one that ended) has the same rows, and keeping the
        # row already there costs less than replacing it (12% less per row with its index).
        if fills:
            db.executemany(
                "INSERT OR IGNORE INTO fills VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", fills
            )
        if bills:
            db.executemany("INSERT OR IGNORE INTO bills VALUES (?,?,?,?,?,?,?,?,?)", bills)
        if transfers:
            db.executemany("INSERT OR IGNORE INTO transfers VALUES (?,?,?,?,?,?,?)", transfers)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('applied_seq', ?)", (seq,))
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise


def rollback(db: sqlite3.Connection) -> None:
    """Roll back the open transaction, if any: after a failed statement, its error is the
    one to tell (a disk full, say), not that there was nothing left to roll back (SQLite
    rolls back by itself on some errors)."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


class SqliteStore:
    """The embedded default :class:`HistoryStore`.

    ``wal_limit_pages``: the size of the WAL, in pages, past which the writer checkpoints
    after its commit (0: never, only the background checkpointer does). ``writer_process``:
    :meth:`write` has a :class:`WriterProcess` store the rows instead of this connection
    (the runtime's store); queries and maintenance always use this connection.
    """

    # The WAL's size in pages beyond which the writer checkpoints itself (256 MiB of 4 KiB);
    # otherwise the background thread checkpoints once a second. Checkpoints asked for every
    # 5,000 rows as well kept the WAL shorter, but under sustained writes their fsyncs, 30 a
    # second, made the journal's wait for its own 2-5 times longer (the durability
    # benchmark's bulk case: 92,700 against 104,400 commands/s over 20 s).
    WAL_LIMIT_PAGES = 65_536
    # SQLite's page cache of the connection that writes (default 2 MiB). The pages where each
    # user's next rows go in the per-user indexes are the working set: with 10,000 active
    # users, three indexes hold 30,000 of them (120 MB), and with 32 MiB every transaction
    # read most of them back and spilled them before its commit (the durability benchmark's
    # bulk case, 10 to 40 s into a run: 77,000-89,000 commands/s against 55,000-68,000,
    # together with the larger history_max_lag of the runtime). Memory is taken as pages are
    # read, so a small database never holds that much.
    CACHE_KIB = 128 * 1024
    # A connection that only reads (a writer process writes) keeps SQLite's default: under
    # steady writes each read transaction finds the database changed and empties its cache,
    # so a large one only held memory (12 MB more after 180,000 commands, measured).
    READ_CACHE_KIB = 2 * 1024

    def __init__(
        self,
        path: str | Path,
        markets: Markets,
        *,
        wal_limit_pages: int = WAL_LIMIT_PAGES,
        writer_process: bool = False,
    ) -> None:
        self._coins = symbol_coins(markets)
        self._cache_kib = self.READ_CACHE_KIB if writer_process else self.CACHE_KIB
        self._db = connect(str(path), wal_limit_pages, self._cache_kib)
        self._child = (
            WriterProcess(str(path), wal_limit_pages, self._coins) if writer_process else None
        )
        self._bulk = False  # in bulk(): writes through the child are not waited for
        self._checkpointer = Checkpointer(str(path))

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
        self._checkpointer.stop()
        self._db.close()  # the last connection to close checkpoints and removes the WAL

    def applied_seq(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='applied_seq'").fetchone()
        return int(row[0]) if row else 0

    # -- maintenance ---------------------------------------------------------------------
    def reset(self) -> None:
        """Delete every row and the applied seq (before a rebuild from the journal)."""
        db = self._db
        db.execute("BEGIN")
        for table in (*HISTORY_TABLES, "meta"):
            db.execute(f"DELETE FROM {table}")
        db.execute("COMMIT")

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """For a large catch-up: secondary indexes are dropped and built again at the end
        (sorting once is much cheaper than updating them row by row). A crash in between
        loses nothing: the next open creates any missing index. A writer process writes
        each transaction while the caller makes the next (a failure is raised by the next
        write, or at the end). The indexes are built with the writer's page cache (SQLite
        sorts in memory up to the cache's size)."""
        for name in _INDEXES:
            self._db.execute(f"DROP INDEX IF EXISTS {name}")
        self._bulk = True
        try:
            yield
            if self._child is not None:
                self._child.drain()
        finally:
            self._bulk = False
            self._db.execute(f"PRAGMA cache_size=-{self.CACHE_KIB}")
            try:
                self._db.executescript(SCHEMA)
            finally:
                self._db.execute(f"PRAGMA cache_size=-{self._cache_kib}")

    def drain(self) -> None:
        """Wait until every write is committed; raise the first failure."""
        if self._child is not None:
            self._child.drain()

    def sync(self) -> None:
        """Make every committed write durable (a full WAL checkpoint syncs the files)."""
        self._db.execute("PRAGMA wal_checkpoint(FULL)").fetchall()

    def export_rows(self) -> dict[str, list[list[Any]]]:
        """Every row of the history tables, in primary key order, as plain lists."""
        return {
            t: [list(r) for r in self._db.execute(f"SELECT * FROM {t} ORDER BY 1")]
            for t in HISTORY_TABLES
        }

    def import_rows(self, tables: Mapping[str, Sequence[Sequence[Any]]], seq: int) -> None:
        """Load rows made by :meth:`export_rows` and set the applied seq, in one transaction."""
        unknown = set(tables) - set(HISTORY_TABLES)
        if unknown:
            raise ValueError(f"unknown history tables: {sorted(unknown)}")
        db = self._db
        db.execute("BEGIN")
        try:
            for table, rows in tables.items():
                if rows:
                    marks = ",".join("?" * len(rows[0]))
                    db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", rows)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('applied_seq', ?)", (seq,))
            db.execute("COMMIT")
        except BaseException:
            rollback(db)
            raise

    # -- writing -------------------------------------------------------------------------
    def write(self, seq: int, events: Iterable[object], *, wait: bool = True) -> None:
        """Write the events of all commands up to ``seq`` in one transaction.

        Without ``wait``, a writer process may still be writing it when this returns (the
        one before it is committed by then): :meth:`drain`, or the next write, waits for it
        and raises its failure.
        """
        self.write_runs(seq, (events,), wait=wait)

    def prepare(self, events: list[object]) -> object:
        """A run of ``events`` (whole commands) as :meth:`write_runs` takes it: with a writer
        process, their rows encoded for it (see :func:`~openweex.storage.writerproc.prepare`);
        otherwise the events themselves."""
        if self._child is not None:
            return prepare_rows(events, self._coins)
        return events

    def write_runs(self, seq: int, runs: Sequence[object], *, wait: bool = True) -> None:
        """:meth:`write` of ``runs`` in order, each the events of some delivered batches or
        what :meth:`prepare` made of them: a writer process gets the rows of each run made
        (if not yet) and encoded one at a time."""
        if self._child is not None:
            self._child.write(seq, runs, wait=wait and not self._bulk)
        else:
            runs_ = cast(Sequence[Iterable[object]], runs)
            events = runs_[0] if len(runs_) == 1 else chain(*runs_)
            orders, fills, bills, transfers = event_rows(events, self._coins)
            write_rows(self._db, seq, orders.values(), fills, bills, transfers)

    # -- queries -------------------------------------------------------------------------
    def get_order(self, uid: int, order_id: int, client_oid: str) -> OrderRow | None:
        if order_id:
            sql, args = "SELECT * FROM orders WHERE order_id=? AND uid=?", (order_id, uid)
        else:
            sql, args = ORDER_BY_CLIENT_OID, (uid, client_oid)  # type: ignore[assignment]
        row = self._db.execute(sql, args).fetchone()
        return _order_row(row) if row else None

    def order_history(self, uid: int, symbol: str, page: Page, since: int) -> list[OrderRow]:
        where = "uid=? AND symbol=? AND status IN (?, ?) AND utime>=?"
        args: list[Any] = [uid, symbol, int(Status.FULL_FILL), int(Status.CANCELLED), since]
        return [_order_row(r) for r in self._paged("orders", "order_id", where, args, page)]

    def fills(
        self, uid: int, symbol: str, order_id: int | None, page: Page, since: int
    ) -> list[FillRow]:
        where = "uid=? AND symbol=? AND ts>=?"
        args: list[Any] = [uid, symbol, since]
        if order_id is not None:
            where += " AND order_id=?"
            args.append(order_id)
        return [_fill_row(r) for r in self._paged("fills", "fill_id", where, args, page)]

    def bills(
        self, uid: int, coin: str | None, group: str | None, biz: str | None, page: Page, since: int
    ) -> list[BillRow]:
        where = "uid=? AND ts>=?"
        args: list[Any] = [uid, since]
        for col, val in (("coin", coin), ("group_type", group), ("biz_type", biz)):
            if val is not None:
                where += f" AND {col}=?"
                args.append(val)
        rows = self._paged("bills", "bill_id", where, args, page)
        return [
            BillRow(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), int(r[7]), r[8])
            for r in rows
        ]

    def transfers(
        self, uid: int, coin: str | None, from_type: str | None, page: Page, since: int
    ) -> list[TransferRow]:
        where = "uid=? AND ts>=?"
        args: list[Any] = [uid, since]
        if coin is not None:
            where += " AND coin=?"
            args.append(coin)
        if from_type is not None:
            where += " AND from_type=?"
            args.append(from_type)
        rows = self._paged("transfers", "ts", where, args, page)
        return [TransferRow(r[0], r[1], r[2], int(r[3]), r[4], r[5], r[6]) for r in rows]

    def _paged(
        self, table: str, key: str, where: str, args: list[Any], page: Page
    ) -> Sequence[tuple[Any, ...]]:
        """One page: with ``after``, the records right below it, newest first (also with
        ``before`` as the lower bound); with ``before`` alone, the records right above it,
        oldest first (the contract's "the data after this orderId asc"); else the newest."""
        if page.after is not None:
            where += f" AND {key}<?"
            args.append(page.after)
        if page.before is not None:
            where += f" AND {key}>?"
            args.append(page.before)
        order = "ASC" if page.after is None and page.before is not None else "DESC"
        sql = f"SELECT * FROM {table} WHERE {where} ORDER BY {key} {order} LIMIT ?"
        return self._db.execute(sql, [*args, page.limit]).fetchall()


def _order_row(r: tuple[Any, ...]) -> OrderRow:
    return OrderRow(
        r[0],
        r[1],
        r[2],
        r[3],
        Side(r[4]),
        OrderType(r[5]),
        Force(r[6]),
        int(r[7]),
        int(r[8]),
        Status(r[9]),
        int(r[10]),
        int(r[11]),
        r[12],
        r[13],
    )


def _fill_row(r: tuple[Any, ...]) -> FillRow:
    return FillRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        Side(r[5]),
        OrderType(r[6]),
        int(r[7]),
        int(r[8]),
        int(r[9]),
        int(r[10]),
        r[11],
        bool(r[12]),
        bool(r[13]),
        r[14],
        r[15],
    )
