"""Offline operations on a data directory: check, snapshot, reset, export, import.

Run them while the server is stopped: each of them takes the journal's lock
(``journal/LOCK``, which a running server holds) and refuses a directory whose lock is held,
with exit status 2 and nothing changed. A data directory path that is not a directory, or a
file that cannot be read or written, is one line on stderr and exit status 2 as well.

* ``check`` is read-only: it validates every journal frame and every snapshot file, replays
  the journal from the start of history (or from the oldest usable snapshot when older
  segments were dropped) and compares the replayed state with each snapshot's state at its
  seq, checks the engine invariants on the final state and compares the read models' open
  orders with the engine's. A torn tail is reported, not cut. Exit status 0 when all is
  well, 1 when a problem was found, 2 when the directory could not be checked.
* ``snapshot`` recovers the state (as a start would: torn tail cut, read models caught up)
  and writes a snapshot.
* ``reset`` deletes the state openweex keeps in the directory (:func:`reset_plan` lists it:
  journal segments and lock, snapshots, read models, ``markets.toml`` and the temporary
  files of their writers) and keeps ``admin-token``. It deletes nothing when the directory
  holds anything else: files of another program are never openweex's to delete.
* ``export`` writes the whole exchange state (accounts, balances, API keys, open orders,
  market data) plus the history read models (orders, fills, bills, transfers) into one JSON
  file, with the journal seq it is taken at.
* ``import`` loads such a file into an empty data directory without inventing commands: the
  state becomes a snapshot at the export's seq ``N``, the read models get the exported rows
  with applied seq ``N``, and the journal starts empty at seq ``N + 1`` (an empty first
  segment named for ``N + 1``). The result has the export's ``state_hash``, which is checked
  by opening the directory afterwards.

``disk`` (:func:`cmd_disk`) only measures the disk under the directory and touches no state.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from openweex.cli import MARKETS_FILE as MARKETS_FILE
from openweex.domain.markets import Markets
from openweex.domain.orders import Status
from openweex.engine.exchange import Exchange
from openweex.recovery import RecoveryError, exchange_from, replay
from openweex.runtime import READ_MODELS_FILE as READ_MODELS_FILE
from openweex.storage import codec
from openweex.storage.files import atomic_write
from openweex.storage.journal import (
    JOURNAL_DIRNAME,
    Journal,
    JournalCorrupt,
    JournalError,
    lock_journal,
)
from openweex.storage.readmodels import unreadable
from openweex.storage.snapshots import SnapshotStore

if TYPE_CHECKING:
    from openweex.runtime import Runtime

EXPORT_FORMAT = "openweex-export"
EXPORT_VERSION = 1
# The files of a data directory named outside storage/: the admin API's token (stored by
# serve when none is given), and, re-exported above, markets.toml and the read models.
TOKEN_FILE = "admin-token"


def _markets(args: argparse.Namespace) -> Markets:
    """``--config``'s markets, else those the data directory remembers, else the built-in."""
    from openweex.cli import choose_markets

    return choose_markets(getattr(args, "config", None), args.data_dir).markets


def fail(message: str) -> NoReturn:
    """``openweex: message`` on stderr, and exit status 2."""
    print(f"openweex: {message}", file=sys.stderr)
    raise SystemExit(2)


def need_dir(data_dir: Path) -> None:
    """Exit (status 2, one line) unless ``data_dir`` is a directory."""
    if not data_dir.is_dir():
        there = os.path.lexists(data_dir)
        fail(f"{data_dir} is not a directory" if there else f"no data directory at {data_dir}")


def need_data(data_dir: Path) -> None:
    """Exit (status 2, one line) unless ``data_dir`` is a directory a server (or an import)
    made: it has a journal directory. A command that only reads must not create one, nor
    call an unrelated directory sound."""
    need_dir(data_dir)
    if not (data_dir / JOURNAL_DIRNAME).is_dir():
        fail(f"{data_dir} is not an openweex data directory (it has no {JOURNAL_DIRNAME}/)")


def in_use(doing: str, data_dir: Path, unchanged: str) -> NoReturn:
    fail(
        f"cannot {doing} {data_dir}: it is in use (its journal's LOCK is held by a running "
        f"server or another openweex command); stop that first ({unchanged})"
    )


@contextmanager
def journal_locked(data_dir: Path, doing: str, unchanged: str) -> Iterator[None]:
    """Hold ``data_dir``'s journal lock, the one a server holds while it runs, for the block.

    When it is held (a server, or another command, has the directory open) this exits with
    status 2, saying so. A directory without a journal has no lock to take: no server has it
    open. ``doing`` and ``unchanged`` complete the message ("reset", "nothing was deleted").
    """
    jdir = data_dir / JOURNAL_DIRNAME
    if not jdir.is_dir():
        yield
        return
    try:
        fd = lock_journal(jdir)
    except JournalError:
        in_use(doing, data_dir, unchanged)
    except OSError as exc:
        fail(f"cannot {doing} {data_dir}: {exc}")
    try:
        yield
    finally:
        os.close(fd)


@contextmanager
def opened(data_dir: Path, markets: Markets) -> Iterator[Runtime]:
    """A recovered runtime on ``data_dir`` (not running), closed afterwards.

    Any reason the directory cannot be opened becomes one line on stderr and exit status 2.
    """
    from openweex.runtime import Runtime

    need_data(data_dir)
    try:
        rt = Runtime.open(data_dir, markets)
    except (JournalError, RecoveryError, OSError, sqlite3.Error) as exc:
        fail(f"cannot open {data_dir}: {exc}")
    try:
        yield rt
    finally:
        rt.close_files()


# --------------------------------------------------------------------------- check


@dataclass
class CheckReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def problem(self, text: str) -> None:
        self.lines.append(f"PROBLEM: {text}")
        self.problems.append(text)


def check_data_dir(data_dir: Path, markets: Markets) -> CheckReport:
    """Verify ``data_dir`` without changing it; see the module docstring."""
    report = CheckReport()
    report.note(f"data dir: {data_dir}")
    snaps = SnapshotStore(data_dir, read_only=True)
    good = _check_snapshot_files(snaps, report)
    try:
        journal = Journal.open(data_dir, verify="all", read_only=True)
    except JournalCorrupt as exc:
        report.problem(str(exc))
        return report
    with journal:
        _describe_journal(journal, report)
        exchange = _replay_and_compare(journal, snaps, good, markets, report)
        if exchange is None:
            return report
        try:
            exchange.check_invariants()
            report.note("invariants: ok")
        except AssertionError as exc:
            report.problem(f"engine invariants do not hold: {exc}")
        _check_read_models(data_dir / READ_MODELS_FILE, exchange, journal.last_seq, report)
        report.note(
            f"accounts: {len(exchange.accounts)}, open orders: {len(exchange.orders)}, "
            f"api keys: {len(exchange.api_keys)}"
        )
        report.note(f"seq: {journal.last_seq}")
        report.note(f"state hash: {exchange.state_hash()}")
    return report


def _check_snapshot_files(snaps: SnapshotStore, report: CheckReport) -> list[int]:
    good = []
    for seq in snaps.list():
        try:
            snaps.load(seq)
            good.append(seq)
        except Exception as exc:
            report.problem(f"snapshot {snaps.path_for(seq)} is unusable: {exc}")
    return good


def _describe_journal(journal: Journal, report: CheckReport) -> None:
    segs = journal.segment_paths()
    first, last = journal.first_seq, journal.last_seq
    span = f"records {first}..{last}" if first is not None else "no records"
    report.note(
        f"journal: {len(segs)} segment(s), {journal.size_bytes():,} bytes, {span}, "
        f"continues from seq {journal.origin_seq}; every frame checked"
    )
    torn = journal.torn_tail
    if torn is not None:
        report.note(
            f"journal: torn tail of {torn.dropped_bytes} byte(s) at byte offset {torn.offset} "
            f"of {torn.path} ({torn.reason}); the next start cuts it"
        )


def _replay_and_compare(
    journal: Journal, snaps: SnapshotStore, good: list[int], markets: Markets, report: CheckReport
) -> Exchange | None:
    origin, last = journal.origin_seq, journal.last_seq
    for seq in good:
        if seq > last:
            report.problem(f"snapshot at seq {seq} is past the end of the journal (seq {last})")
    usable = [seq for seq in good if origin <= seq <= last]
    if origin == 0:
        base, exchange = 0, Exchange(markets)
    elif usable:
        base, exchange = exchange_from(snaps, markets, (usable[0], snaps.load(usable[0])))
        report.note(f"snapshot {base}: ok, the replay starts from it")
    else:
        report.problem(f"the journal starts after seq {origin} and no snapshot covers it")
        return None
    started, start = time.perf_counter(), base + 1
    try:
        for seq in [s for s in usable if s > base]:
            replay(journal, exchange, base + 1, until=seq)
            base = _compare_snapshot(snaps, markets, seq, exchange, report)
        replay(journal, exchange, base + 1)
    except JournalCorrupt as exc:
        report.problem(str(exc))
        return None
    took = time.perf_counter() - started
    if start <= last:
        report.note(f"replayed seq {start}..{last} in {took:.2f}s")
    return exchange


def _compare_snapshot(
    snaps: SnapshotStore, markets: Markets, seq: int, exchange: Exchange, report: CheckReport
) -> int:
    _, from_snapshot = exchange_from(snaps, markets, (seq, snaps.load(seq)))
    if from_snapshot.state_hash() == exchange.state_hash():
        report.note(f"snapshot {seq}: ok, equal to the replayed journal")
    else:
        report.problem(f"snapshot {snaps.path_for(seq)} differs from the replayed journal")
    return seq


def _check_read_models(path: Path, exchange: Exchange, last: int, report: CheckReport) -> None:
    if not path.exists():
        report.note("read models: none yet (built from the journal at the next start)")
        return
    wal = path.with_name(path.name + "-wal")
    # Without a WAL to read, "immutable" opens the file without creating any side file.
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    db = sqlite3.connect(f"file:{path}?{mode}", uri=True)
    try:
        try:
            row = db.execute("SELECT value FROM meta WHERE key='applied_seq'").fetchone()
        except sqlite3.DatabaseError as exc:  # not a database, or not ours, or damaged
            report.problem(unreadable(path, exc))
            return
        rm_seq = int(row[0]) if row else 0
        if rm_seq > last:
            report.problem(f"read models are at seq {rm_seq}, ahead of the journal ({last})")
        elif rm_seq < last:
            report.note(f"read models: at seq {rm_seq}, caught up at the next start")
        else:
            _compare_open_orders(db, exchange, report)
    finally:
        db.close()


def _compare_open_orders(db: sqlite3.Connection, exchange: Exchange, report: CheckReport) -> None:
    live = (int(Status.NEW), int(Status.PARTIAL_FILL))
    rows = db.execute(
        "SELECT order_id, filled_qty, filled_quote FROM orders WHERE status IN (?, ?)", live
    ).fetchall()
    stored = {oid: (int(fq), int(fquote)) for oid, fq, fquote in rows}
    engine = {oid: (o.filled_qty, o.filled_quote) for oid, o in exchange.orders.items()}
    if stored == engine:
        report.note(f"read models: up to date; {len(stored)} open orders agree with the engine")
        return
    differ = sorted(set(stored.items()) ^ set(engine.items()))[:5]
    report.problem(f"read models disagree with the engine on open orders, e.g. {differ}")


def cmd_check(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    need_data(data_dir)
    try:
        report = check_data_dir(data_dir, _markets(args))
    except (JournalError, RecoveryError, OSError, sqlite3.Error) as exc:
        print(f"openweex: cannot check {data_dir}: {exc}", file=sys.stderr)
        return 2
    for line in report.lines:
        print(line)
    if report.problems:
        print(f"check: {len(report.problems)} problem(s)")
        return 1
    print("check: ok")
    return 0


# --------------------------------------------------------------------------- snapshot


def cmd_snapshot(args: argparse.Namespace) -> int:
    with opened(args.data_dir, _markets(args)) as rt:
        seq = rt.applied_seq
        if seq == 0:
            print("nothing to snapshot: the journal is empty")
        elif seq == rt.snapshot_seq:
            print(f"snapshot at seq {seq} is already current: {rt.snapshots.path_for(seq)}")
        else:
            path = rt.snapshots.save(seq, codec.encode_state(rt.exchange.export_state()))
            print(f"snapshot written at seq {seq}: {path}")
    return 0


# --------------------------------------------------------------------------- export, import


def cmd_export(args: argparse.Namespace) -> int:
    from openweex.cli import choose_markets

    out: Path = args.file
    need_data(args.data_dir)
    _check_writable(out)  # before the recovery, which may take a while
    choice = choose_markets(args.config, args.data_dir)
    with opened(args.data_dir, choice.markets) as rt:
        doc = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "seq": rt.applied_seq,
            "state_hash": rt.exchange.state_hash(),
            "state": rt.exchange.export_state(),
            "history": rt.store.export_rows(),
            "markets": choice.text,  # the configuration the state needs (TOML)
        }
    try:  # all or nothing: an export cut short never looks like a whole one
        atomic_write(out, json.dumps(doc, separators=(",", ":")).encode())
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    print(f"exported seq {doc['seq']} to {out} (state hash {doc['state_hash']})")
    return 0


def _check_writable(path: Path) -> None:
    """Exit (status 2, one line) when ``path`` cannot be a file written by this process."""
    folder = path.parent
    if path.is_dir():
        fail(f"cannot write {path}: it is a directory")
    if not folder.is_dir():
        missing = not os.path.lexists(folder)
        fail(
            f"cannot write {path}: {folder} {'does not exist' if missing else 'is not a directory'}"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"cannot write {path}: no permission to create files in {folder}")


def _is_empty(d: Path, markets: Markets) -> bool:
    """No journal segment, no snapshot, and read models that never saw a command."""
    from openweex.runtime import open_store

    if any((d / "journal").glob("journal-*.log")) or any((d / "snapshots").glob("*.snap")):
        return False
    if not (d / READ_MODELS_FILE).exists():
        return True
    store = open_store(d, markets)
    try:
        return store.applied_seq() == 0
    finally:
        store.close()


def _read_export(path: Path) -> dict[str, Any]:
    """The document of export file ``path``; exits with a message when it is not one."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        fail(f"cannot read {path}: {reason}")
    if not (
        isinstance(doc, dict)
        and doc.get("format") == EXPORT_FORMAT
        and doc.get("version") == EXPORT_VERSION
        and type(doc.get("seq")) is int
        and doc["seq"] >= 0
        and isinstance(doc.get("state"), dict)
        and isinstance(doc.get("history"), dict)
        and isinstance(doc.get("state_hash"), str)
    ):
        fail(f"{path} is not an openweex export file")
    return doc


def _open_empty(d: Path, markets: Markets) -> None:
    """Exit unless ``d`` is an empty (or no) data directory that nothing has open."""
    if os.path.lexists(d) and not d.is_dir():
        fail(f"{d} is not a directory")
    if not d.is_dir():
        return
    with journal_locked(d, "import into", "nothing was written"):
        empty = _is_empty(d, markets)
    if not empty:
        fail(f"{d} is not empty (reset it first)")


def cmd_import(args: argparse.Namespace) -> int:
    from openweex.cli import choose_markets, markets_of, remember_markets
    from openweex.runtime import open_store

    doc = _read_export(args.file)
    d: Path = args.data_dir
    carried = doc.get("markets")
    if args.config is None and isinstance(carried, str):  # the exported directory's markets
        choice = markets_of(carried, f"the markets in {args.file}")
    else:
        choice = choose_markets(args.config, d)
    markets = choice.markets
    _open_empty(d, markets)
    seq, state = doc["seq"], doc["state"]
    try:
        reproduced = Exchange.from_state(markets, state).state_hash() == doc["state_hash"]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        fail(f"{args.file} holds a state that cannot be read: {exc!r}")
    if not reproduced:
        fail(f"{args.file} does not reproduce its state hash")
    try:
        d.mkdir(parents=True, exist_ok=True)
        journal = Journal.open(d)
    except JournalError:  # a server started on it since _open_empty
        in_use("import into", d, "nothing was written")
    except OSError as exc:
        fail(f"cannot import into {d}: {exc}")
    with journal:
        if seq > 0:
            journal.begin_at(seq + 1)  # the journal continues after the imported state
            SnapshotStore(d).save(seq, codec.encode_state(state))
        store = open_store(d, markets)
        try:
            store.import_rows(doc["history"], seq)
        finally:
            store.close()
    with opened(d, markets) as rt:
        if rt.exchange.state_hash() != doc["state_hash"]:
            raise SystemExit(f"openweex: {d} does not reproduce the export's state hash")
    remember_markets(d, choice.text)
    print(f"imported {args.file} into {d} at seq {seq} (state hash {doc['state_hash']})")
    return 0


# --------------------------------------------------------------------------- disk


def cmd_disk(args: argparse.Namespace) -> int:
    """How long the data directory's disk takes to make an append durable."""
    from openweex.storage.disktest import existing_dir, measure_disk

    target = existing_dir(args.data_dir)
    asked = target == args.data_dir.absolute()
    if not target.is_dir():
        if asked:
            fail(f"{args.data_dir} is not a directory")
        fail(f"{args.data_dir} cannot be made: {target} is not a directory")
    if not asked:
        print(
            f"{args.data_dir} does not exist yet: measuring {target}, where it would be made",
            file=sys.stderr,  # (standard output stays the report alone, JSON with --json)
        )
    try:
        report = measure_disk(
            target,
            seconds=args.seconds,
            rate=args.rate,
            size=args.size,
            warmup=args.warmup,
            idle=args.idle,
        )
    except OSError as exc:
        print(f"openweex: cannot measure the disk under {target}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.lines():
            print(line)
    return 0
