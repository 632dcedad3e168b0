"""Opening a data directory: newest good snapshot + journal tail, read models caught up.

Recovery runs the journal through the same ``Exchange.apply`` as live traffic, so the
recovered state has the same ``state_hash`` as an uninterrupted run.

Order of work:

1. Open the journal, validating only its last segment (a torn tail found there is cut once
   the state is recovered, so a refused start leaves every file as it was; damage raises
   :class:`~openweex.storage.journal.JournalCorrupt` naming file and offset). Earlier
   segments are checked frame by frame while they are replayed, so records before the
   snapshot are never read.
2. Load the newest valid snapshot. It must lie inside the journal: at or after the journal's
   origin (the seq before its oldest segment) and at or before its last record; otherwise
   acknowledged records would be missing and :class:`RecoveryError` stops the start.
3. Read models are caught up from their own ``applied_seq``. When they are behind the
   snapshot (for example ``history.sqlite3`` was deleted), replay starts from the newest
   snapshot at or below their seq, or from the start of history, so that they are rebuilt;
   only when the journal no longer reaches back that far is the start allowed with a gap in
   history (a warning says so). Read models ahead of the journal are refused: they were
   written after the journal made those records durable, so records once acknowledged are
   missing from it (a damaged journal, or an older copy restored). Moving the read models
   away is the operator's way to accept that and rebuild them from the journal.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openweex.domain.events import Event
from openweex.domain.markets import Markets
from openweex.engine.exchange import Exchange
from openweex.engine.trading import order_update
from openweex.storage import codec
from openweex.storage.files import FsyncFn
from openweex.storage.journal import DEFAULT_SEGMENT_SIZE, Journal
from openweex.storage.readmodels import HistoryStore
from openweex.storage.snapshots import SnapshotStore

if TYPE_CHECKING:
    from openweex.runtime import Runtime

log = logging.getLogger(__name__)
EVENTS_PER_WRITE = 50_000
BULK_RECORDS = 20_000  # read models this far behind are caught up in bulk mode


class RecoveryError(Exception):
    """The data directory cannot be opened as it is."""


@dataclass
class ReplayStats:
    """Where replay time went (seconds); ``read`` is reading and checking the journal."""

    records: int = 0
    read: float = 0.0
    decode: float = 0.0
    apply: float = 0.0
    read_models: float = 0.0


@dataclass
class RecoveryReport:
    snapshot_seq: int
    replayed: int
    last_seq: int
    read_models_from: int
    torn_tail: str | None
    seconds: float
    journal_seconds: float = 0.0  # opening the journal (validating its last segment)
    snapshot_seconds: float = 0.0  # loading the snapshot
    stats: ReplayStats | None = None


def load_snapshot(
    snapshots: SnapshotStore, markets: Markets, at_most: int | None = None
) -> tuple[int, Exchange]:
    """The newest valid snapshot (at or below ``at_most``) as an exchange; (0, empty) if none."""
    return exchange_from(snapshots, markets, snapshots.latest(at_most))


def exchange_from(
    snapshots: SnapshotStore, markets: Markets, snapshot: tuple[int, bytes] | None
) -> tuple[int, Exchange]:
    """``(seq, exchange)`` of a ``(seq, payload)`` snapshot; ``(0, empty)`` for ``None``."""
    if snapshot is None:
        return 0, Exchange(markets)
    seq, payload = snapshot
    try:
        return seq, Exchange.from_state(markets, codec.decode_state(payload))
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise RecoveryError(
            f"snapshot {snapshots.path_for(seq)} does not match the market configuration: {exc}"
        ) from exc


def replay(
    journal: Journal,
    exchange: Exchange,
    first: int,
    *,
    until: int | None = None,
    store: HistoryStore | None = None,
    events_after: int = 0,
    stats: ReplayStats | None = None,
) -> int:
    """Apply the journal records ``first .. until`` (or to the end); returns the last seq.

    With ``store``, the events of the records after ``events_after`` are written to it, in
    large transactions, and its applied seq ends at the returned seq. The garbage collector
    is paused meanwhile: replay allocates mostly long-lived objects (orders, book levels), and
    collecting repeatedly rescans them (it costs about as much as applying).
    """
    with gc_paused():
        return _replay(journal, exchange, first, until, store, events_after, stats)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees most objects)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _replay(
    journal: Journal,
    exchange: Exchange,
    first: int,
    until: int | None,
    store: HistoryStore | None,
    events_after: int,
    stats: ReplayStats | None,
) -> int:
    stats = stats if stats is not None else ReplayStats()
    apply, decode, perf = exchange.apply, codec.decode, time.perf_counter
    events: list[Event] = []
    seq = first - 1
    if until is not None and until < first:
        return seq
    mark = perf()
    for chunk in journal.read_chunks(first):
        t_read = perf()
        if until is not None and chunk[-1][0] > until:
            del chunk[until - chunk[0][0] + 1 :]
        cmds = [decode(payload) for _, payload in chunk]
        t_decode = perf()
        if store is None or chunk[-1][0] <= events_after:
            for cmd in cmds:
                apply(cmd)
        else:
            skip = max(0, events_after - chunk[0][0] + 1)
            for cmd in cmds[:skip]:
                apply(cmd)
            for cmd in cmds[skip:]:
                events.extend(apply(cmd)[1])
        seq = chunk[-1][0]
        t_apply = perf()
        if store is not None and len(events) >= EVENTS_PER_WRITE:
            store.write(seq, events)
            events = []
        mark = _account(stats, len(chunk), mark, t_read, t_decode, t_apply, perf())
        if until is not None and seq >= until:
            break
    if store is not None and seq > events_after:
        t0 = perf()
        store.write(seq, events)
        stats.read_models += perf() - t0
    return seq


def _account(
    stats: ReplayStats, n: int, mark: float, t_read: float, t_dec: float, t_app: float, end: float
) -> float:
    stats.records += n
    stats.read += t_read - mark
    stats.decode += t_dec - t_read
    stats.apply += t_app - t_dec
    stats.read_models += end - t_app
    return end


def recover(
    cls: type[Runtime],
    data_dir: Path,
    markets: Markets,
    *,
    fsync: FsyncFn = os.fsync,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    **kwargs: Any,
) -> Runtime:
    """Open ``data_dir`` and return a :class:`Runtime` holding the recovered state."""
    from openweex.runtime import open_store

    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    with gc_paused():
        # A torn tail is cut only once the state is recovered: a refused start changes nothing.
        journal = Journal.open(
            data_dir, verify="last", fsync=fsync, segment_size=segment_size, defer_repair=True
        )
        opened = time.perf_counter() - started
        store: HistoryStore | None = None
        try:
            snapshots = SnapshotStore(data_dir, fsync=fsync)
            store = open_store(data_dir, markets)
            report, exchange = _recover_state(journal, snapshots, store, markets)
            journal.repair()
        except BaseException:
            if store is not None:
                store.close()
            journal.close()
            raise
    rt = cls(data_dir, markets, exchange, journal, snapshots, store, **kwargs)
    rt.snapshot_seq = report.snapshot_seq
    report.seconds = time.perf_counter() - started
    report.journal_seconds = opened
    rt.recovery = report
    log.info(
        "recovered seq %d: snapshot %d + %d journal records in %.2fs",
        report.last_seq,
        report.snapshot_seq,
        report.replayed,
        report.seconds,
    )
    return rt


def _recover_state(
    journal: Journal, snapshots: SnapshotStore, store: HistoryStore, markets: Markets
) -> tuple[RecoveryReport, Exchange]:
    t0 = time.perf_counter()
    snap_seq, exchange = load_snapshot(snapshots, markets)
    _check_snapshot_in_journal(journal, snapshots, snap_seq)
    rm_seq = _check_read_models(journal, store)
    base, base_ex = snap_seq, exchange
    if rm_seq < snap_seq:
        base, base_ex = _rebuild_base(journal, snapshots, markets, rm_seq, snap_seq, exchange)
        if base == snap_seq:  # the journal does not reach back: history has a gap
            _seed_open_orders(store, snap_seq, base_ex)
    load_seconds = time.perf_counter() - t0
    stats = ReplayStats()
    bulk = journal.last_seq - rm_seq >= BULK_RECORDS
    with store.bulk() if bulk else nullcontext():
        replay(journal, base_ex, base + 1, store=store, events_after=rm_seq, stats=stats)
    torn = journal.torn_tail
    report = RecoveryReport(
        snapshot_seq=snap_seq,
        replayed=stats.records,
        last_seq=journal.last_seq,
        read_models_from=rm_seq,
        torn_tail=None if torn is None else f"{torn.path} at byte offset {torn.offset}",
        seconds=0.0,
        snapshot_seconds=load_seconds,
        stats=stats,
    )
    return report, base_ex


def _check_snapshot_in_journal(journal: Journal, snapshots: SnapshotStore, snap_seq: int) -> None:
    last, origin = journal.last_seq, journal.origin_seq
    path = snapshots.path_for(snap_seq)
    if snap_seq > 0 and not journal.segment_paths():
        raise RecoveryError(
            f"snapshot {path} is at seq {snap_seq} but {journal.directory} holds no journal "
            "segment: the journal is missing"
        )
    if snap_seq > last:
        raise RecoveryError(
            f"snapshot {path} is at seq {snap_seq} but the journal ends at seq {last}: "
            "acknowledged journal records are missing"
        )
    if snap_seq < origin:
        what = f"snapshot {path} is at seq {snap_seq}" if snap_seq else "there is no snapshot"
        raise RecoveryError(
            f"the journal starts after seq {origin} but {what}: the records in between are gone"
        )


def _check_read_models(journal: Journal, store: HistoryStore) -> int:
    rm_seq = store.applied_seq()
    if rm_seq <= journal.last_seq:
        return rm_seq
    if not journal.segment_paths():
        raise RecoveryError(
            f"the read models are at seq {rm_seq} but {journal.directory} holds no journal "
            "segment: the journal is missing"
        )
    # The read models are written only after the journal made a batch durable: ahead of it,
    # they show that records acknowledged once are gone from it. Never a start over that.
    remedy = (
        "rebuild them from it"
        if journal.origin_seq == 0
        else "start with a gap in history (the journal no longer holds all of it)"
    )
    raise RecoveryError(
        f"the read models are at seq {rm_seq}, ahead of the journal (last seq "
        f"{journal.last_seq}): records acknowledged up to seq {rm_seq} are missing from the "
        "journal. If an older copy of the journal was restored on purpose, move "
        f"history.sqlite3 (and its -wal and -shm files) away to {remedy}"
    )


def _seed_open_orders(store: HistoryStore, seq: int, exchange: Exchange) -> None:
    """Write the orders resting in ``exchange`` (a snapshot's state at ``seq``) into read
    models that cannot be caught up to it: the history before it is gone, but the orders
    still open are known, and found by ``orderInfo`` as by ``open-orders``."""
    events: list[object] = [
        order_update(o, o.ctime, o.uid, o.order_id, o.price, o.quantity, o.ctime, False)
        for book in exchange.books.values()
        for o in book.live_orders()
    ]
    store.write(seq, events)
    log.warning("the %d open orders of snapshot %d are written into them", len(events), seq)


def _rebuild_base(
    journal: Journal,
    snapshots: SnapshotStore,
    markets: Markets,
    rm_seq: int,
    snap_seq: int,
    exchange: Exchange,
) -> tuple[int, Exchange]:
    """Where to start replaying so that read models behind the snapshot are caught up."""
    origin = journal.origin_seq
    if rm_seq >= origin:
        older = snapshots.latest(at_most=rm_seq)
        if older is not None and older[0] >= origin:
            log.info("catching the read models up from snapshot %d", older[0])
            return exchange_from(snapshots, markets, older)
        if origin == 0:
            log.info("rebuilding the read models from the start of the journal")
            return 0, Exchange(markets)
    log.warning(
        "read models are at seq %d but the journal starts after seq %d: history before "
        "seq %d is missing from them",
        rm_seq,
        origin,
        snap_seq + 1,
    )
    return snap_seq, exchange
