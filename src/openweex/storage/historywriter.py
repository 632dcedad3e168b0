"""The read models' writer thread: transactions written in order, away from the event loop.

Used by :class:`openweex.runtime.Runtime`, which puts the events of its delivered batches
here and waits on it for read-your-writes and for backpressure.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from functools import partial

from openweex.storage.readmodels import HistoryStore


class HistoryWriter:
    """Writes read-model transactions, in order, on a thread of its own.

    Everything put while a transaction was being written goes into the next one (the
    events in order, with the last seq): a writer that fell behind catches up in larger
    transactions, which cost much less per row. A transaction goes to the store without
    waiting for its commit (``wait=False``): a writer process writes it while this thread
    makes the next one, and the store returns from that next write once the one before is
    committed. A put counts as written once its transaction is committed, and as
    :attr:`queued` until this thread takes it into a transaction. :meth:`put` never blocks;
    :meth:`wait` blocks until everything put was written and raises the first write error
    (after which nothing more is written: the runtime stops and recovery writes those events
    again).
    ``on_error`` is called on the writer thread.
    """

    def __init__(self, store: HistoryStore, on_error: Callable[[BaseException], None]) -> None:
        self._store = store
        self._on_error = on_error
        self._queue: queue.SimpleQueue[tuple[int, list[object]] | None] = queue.SimpleQueue()
        self._done = threading.Condition()
        self._outstanding = 0  # puts not written yet
        self._queued = 0  # puts not taken into a transaction yet
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="read-models", daemon=True)
        self._thread.start()

    def put(self, seq: int, runs: list[object]) -> None:
        """Hand over the read models' changes up to ``seq``: runs of events, or what the
        store's ``prepare`` made of them (see ``HistoryStore.write_runs``)."""
        with self._done:
            self._outstanding += 1
            self._queued += 1
        self._queue.put((seq, runs))

    @property
    def outstanding(self) -> int:
        """Puts not yet written."""
        return self._outstanding

    @property
    def queued(self) -> int:
        """Puts not yet taken into a transaction (the others are being written)."""
        return self._queued

    def wait(self) -> None:
        self.wait_below(1)
        if self.error is not None:
            raise self.error

    def wait_below(self, n: int) -> None:
        """Block until fewer than ``n`` puts are not yet written (or a write failed)."""
        with self._done:
            self._done.wait_for(lambda: self._outstanding < n or self.error is not None)

    def wait_queued_below(self, n: int) -> None:
        """Block until fewer than ``n`` puts wait to be taken into a transaction (or a write
        failed)."""
        with self._done:
            self._done.wait_for(lambda: self._queued < n or self.error is not None)

    def close(self) -> None:
        """Stop the thread once it wrote everything put before."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        get, take = self._queue.get, self._queue.get_nowait
        in_flight = 0  # puts of the transaction sent last, not known to be committed yet
        while True:
            try:
                item = take()
            except queue.Empty:  # nothing more to send: wait for the one in flight
                if in_flight:
                    in_flight = self._settle(in_flight, self._store.drain)
                item = get()
            if item is None:
                if in_flight:
                    self._settle(in_flight, self._store.drain)
                return
            # Whatever queued up meanwhile goes into the same transaction: a writer that fell
            # behind catches up in fewer, larger transactions, and a large one costs far less
            # per row (an index page changed by many of its rows is written to the WAL once).
            seq, runs, puts = item[0], list(item[1]), 1
            stopping = False
            try:
                while (more := take()) is not None:
                    seq = more[0]
                    runs += more[1]
                    puts += 1
                stopping = True  # the sentinel came after them: stop once they are written
            except queue.Empty:
                pass
            with self._done:
                self._queued -= puts
                self._done.notify_all()
            # Sent without waiting for it: the store writes it while the next one is made
            # here. The call returns once the transaction before it was committed.
            in_flight = self._settle(
                in_flight, partial(self._store.write_runs, seq, runs, wait=False), puts
            )
            if stopping:
                self._settle(in_flight, self._store.drain)
                return

    def _settle(self, done: int, step: Callable[[], None], sent: int = 0) -> int:
        """Run ``step`` (a write or a drain) unless a write failed before; after it, ``done``
        puts are written. ``sent``: puts that ``step`` sends (still in flight, unless it
        failed). Returns the puts in flight."""
        if self.error is None:
            try:
                step()
            except Exception as exc:
                self.error = exc
                self._on_error(exc)
        if self.error is not None:  # nothing more is written: none is waited for
            done, sent = done + sent, 0
        if done:
            with self._done:
                self._outstanding -= done
                self._done.notify_all()
        return sent
