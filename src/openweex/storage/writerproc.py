"""The read models' writer process, seen from the runtime's side, and the messages it reads.

:class:`WriterProcess` starts ``python -m openweex.storage.sqlwriter`` and sends it one
message per transaction over a pipe: its rows (:func:`~openweex.storage.rows.event_rows`)
as JSON arrays, ``[seq, orders, fills, bills, transfers]``, which the child writes with the
read models' connection settings. Each message is framed (:data:`REQUEST`: payload size)
and answered (:data:`REPLY`: size and status). Used by
:class:`~openweex.storage.readmodels.SqliteStore`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import struct
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Mapping
from typing import NamedTuple, cast

import orjson

from openweex.storage.rows import Coins, event_rows

log = logging.getLogger(__name__)

# A message to the writer process: payload size, then ``[seq, orders, fills, bills,
# transfers]`` in JSON (every int of a row fits in 64 bits: see rows.amount). A reply:
# message size and status (0: done, 1: failed, the message is the error).
REQUEST = struct.Struct("<I")
REPLY = struct.Struct("<IB")


class Prepared(NamedTuple):
    """The rows of one run of events, encoded (:func:`prepare`): each table's rows as JSON
    without the brackets (empty when it has none)."""

    orders: bytes
    fills: bytes
    bills: bytes
    transfers: bytes


def prepare(events: Iterable[object], coins: Coins) -> Prepared:
    """The rows of ``events`` (whole commands), encoded for :func:`encode_message`.

    The runtime prepares each batch's rows right after applying it, while its events are
    still in the processor's caches: made there they cost about two thirds of what they do
    a hand-over later on the read models' thread.
    """
    orders, fills, bills, transfers = event_rows(events, coins)
    tables = (list(orders.values()), fills, bills, transfers)
    return Prepared(*(orjson.dumps(rows)[1:-1] for rows in tables))  # "[]" gives b""


def encode_message(seq: int, runs: Iterable[object], coins: Coins) -> bytes:
    """The framed message that writes the rows of ``runs`` with ``seq``.

    A run is a :class:`Prepared` or an iterable of events (whole commands: a fill finds its
    taker's order in its own run), whose rows are made and encoded here, one run at a time:
    a transaction merged from many hand-overs does not hold the GIL from its first row to
    its last, and between two runs the event loop's thread can take it. The message joins
    the runs' JSON; an order in more than one run has a row in each, in order, and the
    writer's upsert keeps the last.
    """
    tables: tuple[list[bytes], ...] = ([], [], [], [])
    for run in runs:
        made = run if type(run) is Prepared else prepare(cast(Iterable[object], run), coins)
        for parts, part in zip(tables, made, strict=True):
            if part:
                parts.append(part)
    pieces: list[bytes] = [b"[%d,[" % seq]
    for k, parts in enumerate(tables):
        if k:
            pieces.append(b"],[")
        for n, part in enumerate(parts):
            if n:
                pieces.append(b",")
            pieces.append(part)
    pieces.append(b"]]")
    return b"".join([REQUEST.pack(sum(map(len, pieces))), *pieces])


class WriterProcess:
    """The rows and SQLite half of
    :meth:`SqliteStore.write <openweex.storage.readmodels.SqliteStore.write>` in a child
    process of its own.

    The rows of one transaction (made by the runtime for each batch, :func:`prepare`, or
    here) are sent as one JSON message over a pipe, and ``python -m
    openweex.storage.sqlwriter`` writes them with the same connection settings;
    :meth:`write` returns once that transaction is committed (read-your-writes holds). In
    the runtime's process SQLite would give the GIL back and take it again around each row,
    and its inserts and commits (5-6 us per command under load) would compete with the event
    loop for the GIL; the child has them to itself. The child starts with the first write
    and ends when the pipe closes (also when this process dies). It runs in a process group
    of its own, so that a Ctrl+C or a signal sent to this process's group does not end it
    before this process wrote its last rows.

    A child that ends on its own (killed, out of memory) is replaced: a new one gets every
    transaction not answered yet, again (writing one twice gives the same rows, and one cut
    short was rolled back). If the new one ends too before it answered anything,
    ``OSError`` is raised. A transaction the child could not write raises
    ``sqlite3.Error`` with its message; that child then refuses every later one, so none is
    ever skipped.
    """

    def __init__(
        self, path: str, wal_limit_pages: int, coins: Mapping[str, tuple[str, str]]
    ) -> None:
        module = "openweex.storage.sqlwriter"
        self._args = [sys.executable, "-m", module, path, str(int(wal_limit_pages))]
        self._coins = coins
        self._proc: subprocess.Popen[bytes] | None = None
        self._sent: deque[bytes] = deque()  # messages sent whose answer was not read yet
        self._replaced = False  # the child was replaced and has not answered since
        self.replacements = 0  # children replaced so far

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def write(self, seq: int, runs: Iterable[object], *, wait: bool = True) -> None:
        """Send one transaction of the rows of ``runs`` (see :func:`encode_message`);
        with ``wait``, return once it is committed. Without, it is only sent: the child
        writes it while the caller goes on, and the next write (or :meth:`drain`) waits for
        the one before it and raises its failure."""
        message = encode_message(seq, runs, self._coins)
        self._sent.append(message)
        if self._proc is None:
            self._start()
        else:
            try:
                self._send(self._proc, message)
            except OSError:
                self._replace()
        self._replies(0 if wait else 1)

    def drain(self) -> None:
        """Wait until every transaction sent was committed; raise the first failure."""
        self._replies(0)

    def _start(self) -> None:
        """A new child, sent every message not answered yet."""
        # A process group of its own: the signals sent to the server's group (a terminal's
        # Ctrl+C, a supervisor's SIGTERM) are the server's to act on, and it ends the child
        # in order, after the last write (by closing the pipe).
        proc = self._proc = subprocess.Popen(
            self._args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            process_group=0,
        )
        with contextlib.suppress(OSError):  # a child that ended shows it by not answering
            self._send(proc, b"".join(self._sent))

    @staticmethod
    def _send(proc: subprocess.Popen[bytes], data: bytes) -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(data)
            proc.stdin.flush()
        except ValueError as exc:  # closed
            raise OSError(str(exc)) from exc

    @staticmethod
    def _answer(proc: subprocess.Popen[bytes]) -> str | None:
        """The child's next answer: "" (done), its error, or None if it ended."""
        assert proc.stdout is not None
        try:
            head = proc.stdout.read(REPLY.size)
            if len(head) < REPLY.size:
                return None
            size, status = REPLY.unpack(head)
            text = proc.stdout.read(size).decode(errors="replace") if size else ""
        except (OSError, ValueError):
            return None
        return text if status else ""

    def _replace(self) -> None:
        """The child ended: start another one with what it left unanswered (once in a row)."""
        old, self._proc = self._proc, None
        code = None
        if old is not None:
            code = _reap(old)
        if self._replaced:
            raise OSError(f"the read-model writer process ended (exit code {code}) twice")
        log.warning("the read-model writer process ended (exit code %s); starting another", code)
        self._replaced = True
        self.replacements += 1
        self._start()

    def _replies(self, keep: int) -> None:
        """Read the child's answers until ``keep`` are outstanding; raise the first failure
        (the child refuses every transaction after a failed one)."""
        failed = ""
        while len(self._sent) > keep:
            proc = self._proc
            answer = self._answer(proc) if proc is not None else None
            if answer is None:
                self._replace()  # sends the unanswered ones again
                continue
            self._sent.popleft()
            self._replaced = False
            failed = failed or answer
        if failed:
            raise sqlite3.OperationalError(failed)

    def close(self) -> None:
        """End the child once it wrote what it was sent (a no-op if it never started)."""
        proc, self._proc = self._proc, None
        self._sent.clear()
        if proc is not None:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
            _reap(proc, 30)


def _reap(proc: subprocess.Popen[bytes], timeout: float = 0) -> int:
    """Wait for a child (killing it after ``timeout`` s), close its pipes; its exit code."""
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    return proc.returncode
