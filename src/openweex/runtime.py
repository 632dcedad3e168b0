"""The single writer: sequence, journal, apply, then release.

Every state change goes through :meth:`Runtime.submit`. The runtime stamps the command with
the time (ms), gives it the next sequence number and queues it. A flusher task writes all
queued commands to the journal with one write and one fsync (group commit: everything that
arrived while the previous fsync ran goes into the next one), then applies them to the engine
in sequence order, writes their events to the read models, and only then resolves the
callers' futures and hands the events to subscribers (the WebSocket hub). So no response and
no event about a change leaves before the change is on disk, and a read of live engine state
never shows a change that is not durable.

Commands are journaled before they are validated; a rejected command replays to the same
rejection. A failed fsync is fatal: the runtime stops accepting commands and the server exits.

Snapshots of the whole engine are taken every ``snapshot_every`` commands, every
``snapshot_interval_ms`` of activity and on clean shutdown; recovery loads the newest valid
snapshot and replays the journal after it, and catches the read models up from their own
``applied_seq``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openweex.domain.commands import Command, PlaceBatch
from openweex.domain.events import Event
from openweex.domain.markets import Markets
from openweex.engine.exchange import Exchange, Result
from openweex.storage import codec
from openweex.storage.journal import Journal, JournalFatal
from openweex.storage.readmodels import HistoryStore, SqliteStore
from openweex.storage.snapshots import SnapshotStore

log = logging.getLogger(__name__)

Subscriber = Callable[[int, Command, Result, list[Event]], None]
READ_MODELS_FILE = "history.sqlite3"


def now_ms() -> int:
    """Wall-clock time in integer milliseconds (never a float)."""
    return time.time_ns() // 1_000_000


@dataclass
class RecoveryReport:
    snapshot_seq: int
    replayed: int
    last_seq: int
    read_models_from: int
    torn_tail: str | None
    seconds: float


class RuntimeStopped(Exception):
    """The runtime no longer accepts commands (closing, or after a fatal journal error)."""


class Runtime:
    """Owns the engine, the journal, snapshots and read models of one data directory."""

    def __init__(
        self,
        data_dir: Path,
        markets: Markets,
        exchange: Exchange,
        journal: Journal,
        snapshots: SnapshotStore,
        store: HistoryStore,
        *,
        snapshot_every: int = 200_000,
        snapshot_interval_ms: int = 300_000,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.data_dir = data_dir
        self.markets = markets
        self.exchange = exchange
        self.journal = journal
        self.snapshots = snapshots
        self.store = store
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.snapshot_interval_ms = snapshot_interval_ms
        self.seq = journal.last_seq
        self.applied_seq = self.seq
        self.snapshot_seq = 0
        self._last_snapshot_ms = clock()
        self._last_stamp = exchange.last_ts
        self._pending: list[tuple[int, Command, bytes, asyncio.Future[tuple[Result, list[Event]]]]]
        self._pending = []
        self._wake: asyncio.Event | None = None
        self._subscribers: list[Subscriber] = []
        self._closing = False
        self.fatal: BaseException | None = None
        self.recovery: RecoveryReport | None = None

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: str | Path, markets: Markets, **kwargs: Any) -> Runtime:
        """Open a data directory, recovering the state (snapshot + journal tail)."""
        from openweex.recovery import recover

        return recover(cls, Path(data_dir), markets, **kwargs)

    def subscribe(self, fn: Subscriber) -> None:
        """Call ``fn(seq, command, result, events)`` for every durable command, in order."""
        self._subscribers.append(fn)

    # -- submitting ----------------------------------------------------------------------
    def stamp(self, cmd: Command) -> Command:
        """Put the current time in a command (and in the orders of a batch)."""
        ts = self.clock()
        if ts < self._last_stamp:
            ts = self._last_stamp
        self._last_stamp = ts
        if type(cmd) is PlaceBatch:
            orders = tuple(o._replace(ts=ts) for o in cmd.orders)
            return cmd._replace(ts=ts, orders=orders)
        return cmd._replace(ts=ts)

    async def submit(self, cmd: Command) -> tuple[Result, list[Event]]:
        """Journal, apply and return ``(result, events)`` once the command is durable."""
        if self._closing or self.fatal is not None:
            raise RuntimeStopped("the exchange is shutting down")
        cmd = self.stamp(cmd)
        self.seq += 1
        fut: asyncio.Future[tuple[Result, list[Event]]] = asyncio.get_running_loop().create_future()
        self._pending.append((self.seq, cmd, codec.encode(cmd), fut))
        if self._wake is not None:
            self._wake.set()
        return await fut

    # -- the flusher ---------------------------------------------------------------------
    async def run(self) -> None:
        """The flusher loop; runs until :meth:`close` and the queue is drained."""
        self._wake = asyncio.Event()
        if self._pending:
            self._wake.set()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._pending:
                batch, self._pending = self._pending, []
                await self._flush(batch)
                if self._due_snapshot():
                    await self.snapshot()
            elif self._closing:
                return

    async def _flush(
        self, batch: list[tuple[int, Command, bytes, asyncio.Future[tuple[Result, list[Event]]]]]
    ) -> None:
        records = [(seq, payload) for seq, _, payload, _ in batch]
        try:
            await asyncio.to_thread(self.journal.append_batch, records)
        except JournalFatal as exc:
            self._fail(exc, batch)
            return
        apply = self.exchange.apply
        outputs: list[tuple[int, Command, Result, list[Event]]] = []
        all_events: list[Event] = []
        for seq, cmd, _, _ in batch:
            result, events = apply(cmd)
            outputs.append((seq, cmd, result, events))
            all_events.extend(events)
        self.store.write(batch[-1][0], all_events)
        self.applied_seq = batch[-1][0]
        for (_, _, _, fut), (seq, cmd, result, events) in zip(batch, outputs, strict=True):
            if not fut.done():
                fut.set_result((result, events))
            for fn in self._subscribers:
                try:
                    fn(seq, cmd, result, events)
                except Exception:  # a subscriber must never stop the writer
                    log.exception("event subscriber failed")

    def _fail(self, exc: BaseException, batch: list[Any]) -> None:
        log.critical("journal write failed, the exchange stops: %s", exc)
        self.fatal = exc
        for *_, fut in batch + self._pending:
            if not fut.done():
                fut.set_exception(RuntimeStopped("journal failure"))
        self._pending = []
        self._closing = True

    def _due_snapshot(self) -> bool:
        since = self.applied_seq - self.snapshot_seq
        if since >= self.snapshot_every:
            return True
        return since > 0 and self.clock() - self._last_snapshot_ms >= self.snapshot_interval_ms

    async def snapshot(self) -> int:
        """Write a snapshot of the state as of the last applied command; returns its seq."""
        seq = self.applied_seq
        if seq == 0 or seq == self.snapshot_seq:
            return self.snapshot_seq
        data = self.exchange.export_state()
        payload = await asyncio.to_thread(codec.encode_data, data)
        await asyncio.to_thread(self.snapshots.save, seq, payload)
        self.snapshot_seq = seq
        self._last_snapshot_ms = self.clock()
        return seq

    async def close(self) -> None:
        """Stop accepting commands, drain the queue, snapshot, and close the files."""
        self._closing = True
        if self._wake is not None:
            self._wake.set()

    async def finish(self) -> None:
        """Final snapshot and file close, after :meth:`run` returned."""
        if self.fatal is None:
            await self.snapshot()
        self.journal.close()
        self.store.close()


def open_store(data_dir: Path, markets: Markets) -> SqliteStore:
    return SqliteStore(data_dir / READ_MODELS_FILE, markets)
