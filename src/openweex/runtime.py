"""The single writer: sequence, journal, apply, then release.

Every state change goes through :meth:`Runtime.submit`. The runtime stamps the command with
the time (ms), gives it the next sequence number and queues it. A flusher task writes all
queued commands to the journal with one write and one fsync (group commit: everything that
arrived while the previous fsync ran goes into the next one), then applies them to the engine
in sequence order, resolves the callers' futures and hands the events to subscribers (the
WebSocket hub). So no response and no event about a change leaves before the change is on
disk, and a read of live engine state never shows a change that is not durable.

The flusher is pipelined: as soon as batch N is durable, the commands that queued up meanwhile
(batch N+1) go to the journal on a worker thread while batch N is applied on the event loop.
Batches are still applied strictly in seq order and each only after its own fsync. A small
batch (at most ``inline_batch`` commands) that finds the journal idle is written and fsynced
on the event loop itself: under light load that saves two thread hand-offs per command (the
fsync is the whole wait), while under load batches grow past the limit and the overlapped
thread path takes over by itself. A slow disk turns this off: while the recent journal writes
average more than ``inline_max_ms`` (an fsync that blocks the loop that long would stall
every request), every batch goes to the thread. When the flusher is idle (nothing queued, no
write in flight), a submitted command does not even wait for it: the caller's task journals,
fsyncs, applies and publishes it directly (at most one command per event-loop iteration; the
rest of a burst queues up behind it and shares one fsync). Nor does one in the loop iteration
after the flusher released callers, who answer first. A flusher woken by a queued command
lets the loop run once more before it takes the queue, so the requests already read join
that fsync: when each sync is slow, one fsync per request in turn would never catch up.

Read models are written after the responses went out, coalesced, and on a thread of their
own: the store prepares each applied batch's events at once (the store of
:func:`open_store` makes their rows, while the events are still in the processor's
caches); these wait in memory until the oldest of them waited ``history_delay_ms`` or
``history_max_events`` events piled up, and then go to the read-model writer thread as one
transaction: the thread hands them to the store, which sends them to a child process that
writes them to SQLite, away from the event loop's GIL. Whatever reads :attr:`Runtime.store`
first hands over what waits and waits until the writer wrote it all, so a history query
always sees every change that was acknowledged before it. A writer that fell behind takes
everything queued into its next transaction, and a large transaction costs far less per
command (a page of a per-user index changed by many rows is written once). At most
``history_max_lag`` hand-overs (default 10) may wait to be taken into a transaction: beyond
that the flusher waits before it releases more (backpressure: memory and the wait of a
history query stay bounded when commands come faster than the read models can take them).
Besides those, the writer holds at most two transactions: one being committed, the next
being sent. The count leaves out what is being written, so the flusher goes on while a
large transaction is committed and the next one fills up meanwhile: counting it too had the
flusher wait for each large transaction, with the writer idle while the next one was made.
One transaction per delivered batch would be one SQLite commit per order under light load:
the write-ahead log then grows by several pages per order, and the checkpoints that copy it
back compete with the journal's fsyncs for the disk (measured: a journal fsync stalled for
45 ms about once a second at 1,000 orders/s).

Commands are journaled before they are validated; a rejected command replays to the same
rejection. Failures are fatal: after a failed journal write or fsync the batch is not applied
(its callers get :class:`RuntimeStopped`), the runtime refuses every later command and the
server exits. A failure after the fsync (a read-model write, an engine bug) stops the runtime
the same way; the batch is durable, so its callers learn the outcome after the restart.

Snapshots of the whole engine are taken every ``snapshot_every`` commands, after
``snapshot_interval_ms`` with changes since the last one, and on clean shutdown. While the
runtime runs, a forked child (``snapshot_in_child``, the default on Linux; see
:mod:`openweex.storage.forked`) exports, encodes and writes the state as of ``applied_seq``
while the flusher goes on: the event loop pauses only for the fork, not for a walk of every
resting order. Elsewhere, and for the final snapshot, the state is exported on the event loop
and encoded and written on a worker thread. A failed snapshot is logged and retried later; it
loses nothing, the journal is the truth. With ``journal_retention="snapshots"`` journal
segments older than the oldest kept snapshot are deleted after each snapshot (the read models
are synced first); the default ``"all"`` keeps the whole journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from openweex.domain.commands import Command, PlaceBatch
from openweex.domain.events import Event
from openweex.domain.markets import Markets
from openweex.engine.exchange import Exchange, Result
from openweex.recovery import RecoveryReport
from openweex.storage import codec, forked
from openweex.storage.historywriter import HistoryWriter
from openweex.storage.journal import Journal, JournalError
from openweex.storage.readmodels import HistoryStore, SqliteStore
from openweex.storage.snapshots import SnapshotStore

__all__ = ["READ_MODELS_FILE", "RecoveryReport", "Runtime", "RuntimeStopped", "now_ms"]

log = logging.getLogger(__name__)

Subscriber = Callable[[int, Command, Result, list[Event]], None]
Outcome = tuple[Result, list[Event]]
Retention = Literal["all", "snapshots"]
READ_MODELS_FILE = "history.sqlite3"
_new_tuple = tuple.__new__


def _consume_error(fut: asyncio.Future[Any]) -> None:
    """Mark a future's exception as seen (asyncio logs the ones nobody retrieved)."""
    if not fut.cancelled():
        fut.exception()


def now_ms() -> int:
    """Wall-clock time in integer milliseconds (never a float)."""
    return time.time_ns() // 1_000_000


class _Many:
    """The waiter of one :meth:`Runtime.submit_many`: its outcomes in order, gathered as its
    commands are delivered, and one future for all of them (a future per command cost about
    1 us, as much as stamping and encoding the command)."""

    __slots__ = ("future", "outcomes", "size")

    def __init__(self, future: asyncio.Future[list[Outcome]], size: int) -> None:
        self.future = future
        self.outcomes: list[Outcome] = []
        self.size = size

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if len(self.outcomes) == self.size and not self.future.done():
            self.future.set_result(self.outcomes)


# A queued command: seq, command, journal payload and who waits for it (a submit's future, a
# submit_many's waiter, or nobody: the direct path of a lone command).
Pending = tuple[int, Command, bytes, asyncio.Future[Outcome] | _Many | None]


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
        journal_retention: Retention = "all",
        clock: Callable[[], int] = now_ms,
        inline_batch: int = 16,
        inline_max_ms: float = 1.0,
        history_delay_ms: float = 50.0,
        history_max_events: int = 20_000,
        history_max_lag: int = 10,
        snapshot_in_child: bool | None = None,
    ) -> None:
        if journal_retention not in ("all", "snapshots"):
            raise ValueError("journal_retention must be 'all' or 'snapshots'")
        self.data_dir = data_dir
        self.markets = markets
        self.exchange = exchange
        self.journal = journal
        self.snapshots = snapshots
        self._store = store
        # The delivered batches not yet handed to the read models' writer, each as the
        # store prepared its events (see _apply), and how many events they hold.
        self._history: list[object] = []
        self._history_events = 0
        self._history_written = journal.last_seq  # the last seq handed to the writer
        self._writer: HistoryWriter | None = None  # started by the first write
        self._history_since = 0.0  # monotonic time the oldest unwritten batch was delivered
        self.history_delay_s = history_delay_ms / 1000
        self.history_max_events = history_max_events
        self.history_max_lag = history_max_lag  # read-model transactions not yet written
        self.inline_batch = inline_batch
        self.inline_max_s = inline_max_ms / 1000
        self.write_seconds = 0.0  # moving average of one journal write + fsync
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.snapshot_interval_ms = snapshot_interval_ms
        self.journal_retention = journal_retention
        self.seq = journal.last_seq
        self.applied_seq = self.seq
        self.snapshot_in_child = (
            forked.available() if snapshot_in_child is None else snapshot_in_child
        )
        self.snapshot_seq = 0
        self._snapshot_tried_seq = 0
        self._last_snapshot_ms = clock()
        self._last_stamp = exchange.last_ts
        self._pending: list[Pending] = []
        self._wake: asyncio.Future[None] | None = None  # the idle flusher waits on it
        # No direct path until the next loop iteration: a command took it, or the flusher
        # just released callers (their responses go out first).
        self._direct_closed = False
        self._subscribers: list[Subscriber] = []
        self._batch_subscribers: list[Callable[[int], None]] = []
        self._closing = False
        self._snapshot_lock = asyncio.Lock()
        self._snapshot_task: asyncio.Task[int] | None = None
        self._snapshot_child: forked.Child | None = None  # writing a snapshot now
        self.fatal: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop run() runs on
        self.recovery: RecoveryReport | None = None

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: str | Path, markets: Markets, **kwargs: Any) -> Runtime:
        """Open a data directory, recovering the state (snapshot + journal tail).

        ``fsync`` and ``segment_size`` go to the journal and snapshots; other keyword
        arguments to the constructor. Raises :class:`~openweex.recovery.RecoveryError` or
        :class:`~openweex.storage.journal.JournalError` when the directory cannot be used.
        """
        from openweex.recovery import recover

        return recover(cls, Path(data_dir), markets, **kwargs)

    @property
    def store(self) -> HistoryStore:
        """The read models, with every delivered event written (read-your-writes).

        Blocks until the writer thread wrote everything delivered so far; raises
        :class:`RuntimeStopped` if a read-model write failed.
        """
        self.flush_history()
        if self._writer is not None:
            try:
                self._writer.wait()
            except Exception as exc:
                self._fail(exc, [])
                raise RuntimeStopped(f"the exchange stopped: {exc}") from exc
        return self._store

    def flush_history(self) -> None:
        """Hand the events of the delivered batches to the read-model writer (one transaction).

        A failed write is fatal like a journal failure: the runtime stops (the batches are
        durable, recovery writes their events again); it is raised as
        :class:`RuntimeStopped` here or by :attr:`store` once it is known.
        """
        writer = self._writer
        if writer is not None and writer.error is not None:
            self._fail(writer.error, [])
        if self.fatal is not None:
            raise RuntimeStopped(f"the exchange stopped: {self.fatal}")
        seq = self.applied_seq
        if seq == self._history_written:
            return
        runs, self._history = self._history, []
        self._history_events = 0
        if writer is None:
            writer = self._writer = HistoryWriter(self._store, self._writer_failed)
        writer.put(seq, runs)
        self._history_written = seq

    def _writer_failed(self, exc: BaseException) -> None:
        """Called on the writer thread after a failed write: stop the runtime on its loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing: finish() reports it
                loop.call_soon_threadsafe(self._fail, exc, [])

    def close_files(self) -> None:
        """Write what the read models still miss, stop their writer, close journal and store.

        What :meth:`finish` does after the final snapshot; also the end of a runtime that
        only recovered or that ended like a crash (no snapshot).
        """
        with contextlib.suppress(RuntimeStopped):  # logged and recorded as fatal already
            _ = self.store
        if self._writer is not None:
            self._writer.close()
        self.journal.close()
        self._store.close()

    def subscribe(self, fn: Subscriber) -> None:
        """Call ``fn(seq, command, result, events)`` for every durable command, in order."""
        self._subscribers.append(fn)

    def subscribe_batch(self, fn: Callable[[int], None]) -> None:
        """Call ``fn(last_seq)`` after each durable batch, once its commands were delivered.

        At that moment the engine state is exactly the state after ``last_seq`` (for example
        books for depth diffs, whose changed levels are in ``Book.touched``).
        """
        self._batch_subscribers.append(fn)

    # -- submitting ----------------------------------------------------------------------
    def _now(self) -> int:
        """The clock, never behind a time already stamped."""
        ts = self.clock()
        if ts < self._last_stamp:
            ts = self._last_stamp
        self._last_stamp = ts
        return ts

    def stamp_at(self, cmd: Command, ts: int) -> Command:
        """Put time ``ts`` in a command (and in the orders of a batch)."""
        if type(cmd) is PlaceBatch:
            orders = tuple(o._replace(ts=ts) for o in cmd.orders)
            return cmd._replace(ts=ts, orders=orders)
        # every command is a NamedTuple whose first field is ``ts``; this is _replace(ts=ts)
        # without its keyword handling (a measurable share of a small command's cost)
        stamped: Command = _new_tuple(type(cmd), (ts, *cmd[1:]))
        return stamped

    @property
    def closing(self) -> bool:
        """True once the runtime stopped accepting commands (shutdown or a fatal error)."""
        return self._closing or self.fatal is not None

    def _check_open(self) -> None:
        if self.closing:
            raise RuntimeStopped("the exchange is shutting down")

    def _sequence(self, cmd: Command, ts: int) -> tuple[int, Command, bytes]:
        """``cmd`` stamped with ``ts``, with the next seq and its journal payload."""
        cmd = self.stamp_at(cmd, ts)
        payload = codec.encode(cmd)  # before taking a seq: a command it refuses leaves no gap
        self.seq += 1
        return self.seq, cmd, payload

    async def submit(self, cmd: Command) -> Outcome:
        """Journal, apply and return ``(result, events)`` once the command is durable."""
        self._check_open()
        seq, cmd, payload = self._sequence(cmd, self._now())
        wake = self._wake
        if wake is not None and not wake.done() and not self._direct_closed and self._inline(1):
            return self._submit_now(seq, cmd, payload)
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((seq, cmd, payload, fut))
        self._wake_up()
        return await fut

    async def submit_many(self, cmds: Sequence[Command]) -> list[Outcome]:
        """Journal and apply ``cmds`` in order; their outcomes once all of them are durable.

        What :meth:`submit` does for each, with the commands queued together (they share
        group commits and one time stamp) and one wait for all of them. If the runtime stops
        before they are all durable this raises :class:`RuntimeStopped`; the ones before the
        failure may have been applied, as with separate submits. Cancelling the caller does
        not take back commands already queued.
        """
        self._check_open()
        if not cmds:
            return []
        ts = self._now()
        many = _Many(asyncio.get_running_loop().create_future(), len(cmds))
        pending, sequence = self._pending, self._sequence
        for cmd in cmds:
            pending.append((*sequence(cmd, ts), many))
        self._wake_up()
        try:
            return await asyncio.shield(many.future)
        except BaseException:
            # nobody else will look at its error (now or later)
            if many.future.done():
                _consume_error(many.future)
            else:
                many.future.add_done_callback(_consume_error)
            raise

    def _submit_now(self, seq: int, cmd: Command, payload: bytes) -> Outcome:
        """The whole write path for one command, in the caller's task, while the flusher is
        idle (nothing queued, no write in flight): journal + fsync, apply, publish.

        Under light load this skips two trips through the event loop (waking the flusher,
        then waking the caller), a tenth of an order's time in the server. Nothing can run
        in between: there is no ``await`` here. At most one command per event-loop
        iteration goes this way: the others of a burst queue up and share one fsync. None
        goes this way in the iteration after the flusher released callers (see _deliver).
        """
        self._close_direct()
        error = self._append([(seq, payload)])
        if error is not None:
            self._fail(error, [])
            raise RuntimeStopped(f"the exchange stopped: {error}") from error
        try:
            outputs = self._apply([(seq, cmd, payload, None)])
        except Exception as exc:
            self._fail(exc, [])
            raise RuntimeStopped(f"the exchange stopped: {exc}") from exc
        self._publish(outputs)
        if self._due_snapshot():
            self._start_snapshot()  # its task runs before anything else is applied
        return outputs[0][2], outputs[0][3]

    # -- the flusher ---------------------------------------------------------------------
    async def run(self) -> None:
        """The flusher loop; runs until :meth:`close` and the queue is drained (or a failure)."""
        self._loop = asyncio.get_running_loop()
        batch: list[Pending] = []
        write: asyncio.Future[BaseException | None] | None = None
        try:
            while self.fatal is None:
                if write is None:
                    if not self._pending:
                        if self._closing:
                            break
                        await self._idle()
                        continue
                    batch = self._take()
                    write = self._start_write(batch)
                error = await write
                if error is not None:
                    self._fail(error, batch)
                    break
                if self._history_due():
                    await self._write_history()
                    if self.fatal is not None:
                        self._fail(self.fatal, batch)
                        break
                following = self._take()
                overlap = bool(following) and not self._inline(len(following))
                write = self._start_write(following) if overlap else None
                self._deliver(batch)
                if self.fatal is not None:
                    self._fail(self.fatal, following)
                    break
                if following and not overlap:
                    await asyncio.sleep(0)  # let the responses just released go out first
                    following += self._take()
                    if self.fatal is not None:
                        self._fail(self.fatal, following)
                        break
                    write = self._start_write(following)
                batch = following
                if self._due_snapshot():
                    self._start_snapshot()
        finally:
            if self._snapshot_task is not None:
                await asyncio.wait([self._snapshot_task])

    def _take(self) -> list[Pending]:
        batch, self._pending = self._pending, []
        return batch

    def _start_write(self, batch: list[Pending]) -> asyncio.Future[BaseException | None]:
        """Journal a batch: on a worker thread, or here and now when it is small."""
        records = [(seq, payload) for seq, _, payload, _ in batch]
        loop = asyncio.get_running_loop()
        if not self._inline(len(batch)):
            return loop.run_in_executor(None, self._append, records)
        done: asyncio.Future[BaseException | None] = loop.create_future()
        done.set_result(self._append(records))
        return done

    def _history_due(self) -> bool:
        """Are the unwritten read-model events old enough or many enough to be written?"""
        if self.applied_seq == self._history_written:
            return False
        return (
            self._history_events >= self.history_max_events
            or time.monotonic() - self._history_since >= self.history_delay_s
        )

    async def _write_history(self) -> None:
        """Hand the waiting events to the read-model writer; if more than
        ``history_max_lag`` of these hand-overs wait for it to take them into a transaction,
        wait until no more than that do."""
        with contextlib.suppress(RuntimeStopped):  # logged and recorded as fatal already
            self.flush_history()
        writer = self._writer
        if writer is not None and writer.queued > self.history_max_lag:
            await asyncio.to_thread(writer.wait_queued_below, self.history_max_lag + 1)

    def _inline(self, commands: int) -> bool:
        """Journal a batch of ``commands`` on the event loop? Small ones, on a fast disk."""
        return commands <= self.inline_batch and self.write_seconds <= self.inline_max_s

    def _append(self, records: list[tuple[int, bytes]]) -> BaseException | None:
        """Write and fsync one batch (worker thread or loop); returns the error, never raises."""
        started = time.perf_counter()
        try:
            self.journal.append_batch(records)
        except (JournalError, OSError, ValueError) as exc:
            return exc
        took = time.perf_counter() - started
        self.write_seconds += (took - self.write_seconds) / 8
        return None

    def _wake_up(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def _idle(self) -> None:
        """Wait for commands, or until a time-based snapshot is due.

        The wake-up is a bare future resolved by :meth:`submit` (one loop iteration from a
        submit to the flusher running, where an ``asyncio.Event`` under ``wait_for`` takes
        several).
        """
        if self._history_due():
            await asyncio.sleep(0)  # responses first, then the read models
            await self._write_history()
        if self._pending or self._closing or self.fatal is not None:
            return  # (a submit or close during the sleep above found no future to resolve)
        loop = asyncio.get_running_loop()
        wake = self._wake = loop.create_future()
        due_s: list[float] = []
        if self.applied_seq > self.snapshot_seq:
            snapshot_ms = self._last_snapshot_ms + self.snapshot_interval_ms - self.clock()
            due_s.append(snapshot_ms / 1000)
        if self.applied_seq != self._history_written:
            due_s.append(self._history_since + self.history_delay_s - time.monotonic())
        timer = loop.call_later(max(min(due_s), 0), self._wake_up) if due_s else None
        try:
            await wake
        finally:
            self._wake = None
            if timer is not None:
                timer.cancel()
        if self._pending:
            # The requests already read run first and queue their commands too: one fsync
            # for all of them rather than one for the command that woke us and one for each
            # of the others in turn.
            await asyncio.sleep(0)
        if not self._pending and self._due_snapshot():
            self._start_snapshot()

    def _close_direct(self) -> None:
        """No direct path (see :meth:`_submit_now`) until the next loop iteration."""
        if not self._direct_closed:
            self._direct_closed = True
            asyncio.get_running_loop().call_soon(self._open_direct)

    def _open_direct(self) -> None:
        self._direct_closed = False

    def _deliver(self, batch: list[Pending]) -> None:
        """Apply a durable batch, release its callers and hand its events to subscribers."""
        try:
            outputs = self._apply(batch)
        except Exception as exc:
            self._fail(exc, batch)
            return
        for (_, _, _, waiter), (_, _, result, events) in zip(batch, outputs, strict=True):
            if isinstance(waiter, _Many):
                waiter.add((result, events))
            elif waiter is not None and not waiter.done():
                waiter.set_result((result, events))
        # The callers just released resume in the next loop iteration. A request read
        # meanwhile runs before them: on the direct path its fsync would hold up their
        # responses, so it queues for the flusher instead.
        self._close_direct()
        self._publish(outputs)

    def _publish(self, outputs: list[tuple[int, Command, Result, list[Event]]]) -> None:
        for seq, cmd, result, events in outputs:
            for fn in self._subscribers:
                try:
                    fn(seq, cmd, result, events)
                except Exception:  # a subscriber must never stop the writer
                    log.exception("event subscriber failed")
        for batch_fn in self._batch_subscribers:
            try:
                batch_fn(self.applied_seq)
            except Exception:
                log.exception("batch subscriber failed")

    def _apply(
        self, batch: Sequence[tuple[int, Command, bytes, object]]
    ) -> list[tuple[int, Command, Result, list[Event]]]:
        apply = self.exchange.apply
        outputs: list[tuple[int, Command, Result, list[Event]]] = []
        history: list[object] = []  # the batch's events, for the read models
        if self.applied_seq == self._history_written:
            self._history_since = time.monotonic()
            self._wake_up()  # an idle flusher (direct path) sets the read models' timer
        for seq, cmd, _, _ in batch:
            result, events = apply(cmd)
            outputs.append((seq, cmd, result, events))
            history.extend(events)
        self.applied_seq = batch[-1][0]
        if history:
            # Prepared now, while the events are still in the processor's caches: the read
            # models' rows cost a third less made here than on their thread a hand-over
            # later (they are written after the responses, on that thread).
            self._history.append(self._store.prepare(history))
            self._history_events += len(history)
        return outputs

    def _fail(self, exc: BaseException, batch: list[Pending]) -> None:
        """Stop for good: fail ``batch`` and everything queued (logged once, the first error
        is the one kept)."""
        if self.fatal is None:
            log.critical("the exchange stops: %s", exc, exc_info=exc)
            self.fatal = exc
        for *_, waiter in batch + self._pending:
            fut = waiter.future if isinstance(waiter, _Many) else waiter
            if fut is not None and not fut.done():
                fut.set_exception(RuntimeStopped(f"the exchange stopped: {exc}"))
        self._pending = []
        self._closing = True
        self._wake_up()  # an idle flusher returns

    # -- snapshots -----------------------------------------------------------------------
    def _due_snapshot(self) -> bool:
        if self.applied_seq <= self.snapshot_seq:
            return False
        if (
            self.applied_seq - max(self.snapshot_seq, self._snapshot_tried_seq)
            >= self.snapshot_every
        ):
            return True
        return self.clock() - self._last_snapshot_ms >= self.snapshot_interval_ms

    def _start_snapshot(self) -> None:
        if self._snapshot_task is None or self._snapshot_task.done():
            self._snapshot_task = asyncio.get_running_loop().create_task(self._snapshot_logged())
            self._snapshot_task.add_done_callback(self._snapshot_ended)

    def _snapshot_ended(self, _: asyncio.Task[int]) -> None:
        """Start the next snapshot if it fell due while this one was written (a large state
        takes seconds: the batches that made it due found this one still at work)."""
        if not self._closing and self._due_snapshot():
            self._start_snapshot()

    async def _snapshot_logged(self) -> int:
        try:
            return await self.snapshot()
        except Exception:
            log.exception("snapshot failed")
            return self.snapshot_seq

    async def snapshot(self) -> int:
        """Write a snapshot of the state as of the last applied command; returns its seq.

        Returns the previous snapshot's seq when nothing changed or the write failed.
        """
        async with self._snapshot_lock:
            seq = self.applied_seq
            if seq == 0 or seq <= self.snapshot_seq or self.fatal is not None:
                return self.snapshot_seq
            self._last_snapshot_ms = self.clock()  # the next ones are due from this attempt
            self._snapshot_tried_seq = seq
            try:
                child = self._fork_snapshot(seq) if self.snapshot_in_child else None
                if child is not None:
                    self._snapshot_child = child
                    try:
                        await asyncio.to_thread(child.wait)
                    finally:
                        self._snapshot_child = None
                else:
                    data = self._export()  # on the loop: consistent as of seq
                    await asyncio.to_thread(self._save_snapshot, seq, data)
            except OSError as exc:
                if isinstance(exc, forked.ChildFailed) and self._closing and self.fatal is None:
                    log.info("snapshot at seq %d stopped: the final snapshot follows", seq)
                else:
                    log.error(
                        "snapshot at seq %d failed (the journal has everything): %s", seq, exc
                    )
                return self.snapshot_seq
            self.snapshot_seq = seq
            if self.journal_retention == "snapshots":
                await self._drop_old_segments()
            return seq

    def _fork_snapshot(self, seq: int) -> forked.Child | None:
        """A child writing the snapshot at ``seq`` (the state now: call with no await since
        ``seq`` was read), or None to write it here (closing, or no fork to be had)."""
        if self._closing:
            return None  # the final snapshot: nothing else runs meanwhile
        try:
            return forked.start(lambda: self._save_snapshot(seq, self._export()))
        except OSError as exc:  # no memory or no process left for a child
            log.warning("snapshot at seq %d written in process: cannot fork: %s", seq, exc)
            return None

    def _export(self) -> Any:
        return self.exchange.export_state()

    def _save_snapshot(self, seq: int, data: Any) -> None:
        self.snapshots.save(seq, codec.encode_state(data))

    async def _drop_old_segments(self) -> None:
        """Delete journal segments that the oldest kept snapshot makes unnecessary."""
        kept = self.snapshots.list()
        if not kept:
            return
        try:
            self.store.sync()  # read models written and durable past the oldest snapshot
            dropped = await asyncio.to_thread(self.journal.drop_segments_before, kept[0] + 1)
        except (JournalError, OSError) as exc:
            log.error("could not drop old journal segments: %s", exc)
            return
        if dropped:
            log.info("dropped %d journal segment(s) before seq %d", dropped, kept[0] + 1)

    # -- stopping ------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop accepting commands; :meth:`run` drains the queue and returns.

        A snapshot being written by a child is stopped: the final snapshot of :meth:`finish`
        comes after it, and a shutdown never waits for a large state to be written twice.
        """
        self._closing = True
        child = self._snapshot_child
        if child is not None:
            child.kill()
        self._wake_up()

    async def finish(self) -> None:
        """Final snapshot and file close, after :meth:`run` returned."""
        if self._snapshot_task is not None:
            await asyncio.wait([self._snapshot_task])
        if self.fatal is None:
            await self.snapshot()
        self.close_files()


def open_store(data_dir: Path, markets: Markets) -> SqliteStore:
    """The data directory's read models, written by a process of their own."""
    return SqliteStore(data_dir / READ_MODELS_FILE, markets, writer_process=True)
