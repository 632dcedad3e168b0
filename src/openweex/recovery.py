"""Opening a data directory: newest good snapshot + journal tail, read models caught up.

Recovery runs the journal through the same ``Exchange.apply`` as live traffic, so the
recovered state has the same ``state_hash`` as an uninterrupted run. Read models are caught
up from their own ``applied_seq``: when they are behind the snapshot (for example the SQLite
file was deleted) the whole journal is replayed from its first record instead of starting at
the snapshot, which rebuilds them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openweex.domain.events import Event
from openweex.domain.markets import Markets
from openweex.engine.exchange import Exchange
from openweex.storage import codec
from openweex.storage.journal import Journal
from openweex.storage.snapshots import SnapshotStore

if TYPE_CHECKING:
    from openweex.runtime import Runtime

log = logging.getLogger(__name__)
_CHUNK = 5000


class RecoveryError(Exception):
    """The data directory cannot be opened as it is."""


def load_snapshot(snapshots: SnapshotStore, markets: Markets) -> tuple[int, Exchange]:
    latest = snapshots.latest()
    if latest is None:
        return 0, Exchange(markets)
    seq, payload = latest
    try:
        return seq, Exchange.from_state(markets, codec.decode_data(payload))
    except (KeyError, ValueError, TypeError) as exc:
        raise RecoveryError(
            f"snapshot {snapshots.path_for(seq)} does not match the market configuration: {exc}"
        ) from exc


def recover(cls: type[Runtime], data_dir: Path, markets: Markets, **kwargs: Any) -> Runtime:
    from openweex.runtime import open_store

    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    journal = Journal.open(data_dir)
    snapshots = SnapshotStore(data_dir)
    store = open_store(data_dir, markets)
    snap_seq, exchange = load_snapshot(snapshots, markets)
    if snap_seq > journal.last_seq:
        raise RecoveryError(
            f"snapshot seq {snap_seq} is ahead of the journal (last seq {journal.last_seq})"
        )
    rm_seq = store.applied_seq()
    start = snap_seq
    if rm_seq < snap_seq:
        first = journal.first_seq
        if first is None or first > rm_seq + 1:
            log.warning("read models are behind the journal's first record; history has a gap")
        else:
            log.info("rebuilding read models from journal seq %d", rm_seq + 1)
            start, exchange = 0, Exchange(markets)
    replayed = _replay(journal, exchange, store, start, rm_seq)
    rt = cls(data_dir, markets, exchange, journal, snapshots, store, **kwargs)
    rt.snapshot_seq = snap_seq
    rt.recovery = _report(rt, snap_seq, replayed, rm_seq, journal, started)
    return rt


def _replay(journal: Journal, exchange: Exchange, store: Any, start: int, rm_seq: int) -> int:
    apply = exchange.apply
    decode = codec.decode
    events: list[Event] = []
    replayed = 0
    seq = start
    for seq, payload in journal.read_from(start + 1):
        _, evs = apply(decode(payload))
        replayed += 1
        if seq > rm_seq:
            events.extend(evs)
            if len(events) >= _CHUNK:
                store.write(seq, events)
                events = []
    if seq > rm_seq and (events or replayed):
        store.write(seq, events)
    return replayed


def _report(
    rt: Runtime, snap_seq: int, replayed: int, rm_seq: int, journal: Journal, started: float
) -> Any:
    from openweex.runtime import RecoveryReport

    torn = journal.torn_tail
    report = RecoveryReport(
        snapshot_seq=snap_seq,
        replayed=replayed,
        last_seq=journal.last_seq,
        read_models_from=rm_seq,
        torn_tail=None if torn is None else f"{torn.path} at {torn.offset}",
        seconds=time.perf_counter() - started,
    )
    log.info(
        "recovered: snapshot %d + %d journal records in %.2fs",
        snap_seq,
        replayed,
        report.seconds,
    )
    return report
