"""One WebSocket connection: its subscriptions and its bounded send queue; the limits.

Sending. Every frame for a connection goes through :meth:`Conn.push`, which is synchronous:
the engine side never waits for a socket. Two ways out, one per connection:

* direct (the server offers a :class:`~openweex.api.ws.fastpath.FrameSink`): ``push`` writes
  the frame's bytes to the transport at once. Only while the transport is backed up (its
  write buffer above the high-water mark) are frames queued instead; when it drains,
  :meth:`Conn.flush` writes them, oldest first, from the transport's callback. No task
  wakes up per frame.
* ASGI: ``push`` appends to the queue and wakes the connection's writer task, which pops
  and sends the frames in order through the ASGI ``send``.

While the hub turns one engine callback into frames it holds the direct writes
(:class:`Hold`): a connection that gets several frames from one command or one batch (a
user's order and account updates, or a book ticker, a depth diff and the deals of a symbol)
gets them in one write, one system call, when the callback ends.

Either way frames leave in the order they were pushed, and the queue holds the frames that
could not go out yet. When a push finds ``queue_size`` frames in it, the connection is a
slow consumer: it is marked, queued in the hub's drop list, and the hub drops it (clears
the queue, cancels the writer, tries to say why and closes). A connection that is closing
(graceful close requested) accepts no more frames; what was queued before the close goes
out first, then the notice, then the close frame.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

from openweex.api.ws.channels import Topic
from openweex.api.ws.fastpath import FrameSink
from openweex.api.ws.frames import Frame

DAY_MS = 24 * 3600 * 1000
CHUNK = 1 << 16  # bytes of queued frames joined into one write when a transport drains


@dataclass(frozen=True)
class WsConfig:
    """Limits of ``/ws``. Times in ms are compared with the runtime clock."""

    queue_size: int = 1024  # frames not yet sent before a connection counts as too slow
    max_connection_ms: int = DAY_MS  # a connection is closed after this long
    idle_ms: int = 30_000  # no subscription for this long closes it; 0: never
    check_interval_s: float = 1.0  # how often lifetimes and keys are checked, klines pushed
    close_timeout_s: float = 2.0  # how long a close notice may take to go out
    max_subscriptions: int = 30
    max_connections_per_key: int = 5

    @classmethod
    def from_settings(cls, settings: Any) -> WsConfig:
        """From ``Settings.ws_queue_size`` and optional ``Settings.extra["ws_..."]`` keys
        (``ws_max_connection_ms``, ``ws_idle_ms``, ``ws_check_interval_s``,
        ``ws_close_timeout_s``)."""
        extra = getattr(settings, "extra", {}) or {}
        base = cls()
        return cls(
            queue_size=int(getattr(settings, "ws_queue_size", base.queue_size)),
            max_connection_ms=int(extra.get("ws_max_connection_ms", base.max_connection_ms)),
            idle_ms=int(extra.get("ws_idle_ms", base.idle_ms)),
            check_interval_s=float(extra.get("ws_check_interval_s", base.check_interval_s)),
            close_timeout_s=float(extra.get("ws_close_timeout_s", base.close_timeout_s)),
        )


class Hold:
    """While active, directly written frames wait in their connection until :meth:`release`.

    One object is shared by the hub and all its connections; the hub activates it for the
    length of one synchronous callback, so nothing waits longer than that callback.
    """

    __slots__ = ("active", "conns")

    def __init__(self) -> None:
        self.active = False
        self.conns: list[Conn] = []  # connections holding frames, in order of their first

    def release(self) -> None:
        """Stop holding; write what every connection held, one write per connection."""
        self.active = False
        conns = self.conns
        if conns:
            self.conns = []
            for conn in conns:
                held, conn.held = conn.held, None
                sink = conn.sink
                if held and sink is not None and not conn.dropped:
                    sink.write(held if isinstance(held, bytes) else b"".join(held))


class Conn:
    """State of one accepted connection (see the module docstring for the queue policy)."""

    __slots__ = (
        "_drops",
        "_hold",
        "closing",
        "conn_id",
        "dropped",
        "gone",
        "held",
        "idle_since",
        "key",
        "limit",
        "notice",
        "opened",
        "outbox",
        "private",
        "public",
        "sink",
        "uid",
        "waiter",
        "writer",
    )

    def __init__(
        self,
        conn_id: int,
        uid: int | None,
        key: str | None,
        opened: int,
        limit: int,
        drops: list[Conn],
        hold: Hold | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.uid = uid  # the listen key's user; None on a public-only connection
        self.key = key
        self.opened = opened
        self.idle_since: int | None = opened  # since when it has had no subscription
        self.limit = limit
        self.outbox: deque[Frame] = deque()  # frames not sent yet, oldest first
        self.sink: FrameSink | None = None  # set by attach(): frames are written directly
        self.waiter: asyncio.Future[None] | None = None
        self.private: set[str] = set()  # private channel names
        self.public: dict[str, Topic] = {}  # canonical channel text -> topic
        self.closing = False  # accepts no more frames; the writer drains and stops
        self.dropped = False  # slow consumer: queue discarded, writer cancelled
        self.gone = False  # the client disconnected (nothing more can be sent)
        self.notice: tuple[int, int] | None = None  # (notice code, close code) to send
        self.writer: asyncio.Task[None] | None = None
        self._drops = drops
        self._hold = hold or Hold()
        # frames held while the hub's Hold is active: the first one's bytes, or a list
        self.held: bytes | list[bytes] | None = None

    def __repr__(self) -> str:
        return f"Conn({self.conn_id}, uid={self.uid})"

    @property
    def subscriptions(self) -> int:
        return len(self.private) + len(self.public)

    def attach(self, sink: FrameSink) -> None:
        """Write frames directly to the transport from now on (see the module docstring)."""
        self.sink = sink
        sink.on_resume = self.flush
        if self.outbox and not sink.paused:
            self.flush()

    def detach(self) -> None:
        if self.sink is not None:
            self.sink.on_resume = None

    def push(self, frame: Frame) -> None:
        """Send or queue one frame; on overflow mark the connection for dropping instead."""
        if self.closing:
            return
        out = self.outbox
        sink = self.sink
        if sink is not None and not out and not sink.paused:
            held = self.held
            if held is None:
                if self._hold.active:
                    self.held = frame.wire
                    self._hold.conns.append(self)
                else:
                    sink.write(frame.wire)
            elif isinstance(held, bytes):
                self.held = [held, frame.wire]
            else:
                held.append(frame.wire)
            return
        if len(out) >= self.limit:
            self.closing = True
            self._drops.append(self)
            return
        out.append(frame)
        if sink is None:
            w = self.waiter
            if w is not None:
                self.waiter = None
                if not w.done():
                    w.set_result(None)

    def flush(self) -> None:
        """Write queued frames while the transport takes them (direct sending only).

        Called when the transport drained; consecutive frames are joined into writes of
        about :data:`CHUNK` bytes. Wakes the writer task once the queue is empty (a closing
        connection waits for that before its notice).
        """
        out, sink = self.outbox, self.sink
        if sink is None:
            return
        while out and not sink.paused:
            data = out.popleft().wire
            if out and len(data) < CHUNK:
                parts, size = [data], len(data)
                while out and size < CHUNK:
                    data = out.popleft().wire
                    parts.append(data)
                    size += len(data)
                data = b"".join(parts)
            if not sink.write(data):
                out.clear()  # the connection is going away
        if not out:
            self.wake()

    def wake(self) -> None:
        w = self.waiter
        if w is not None:
            self.waiter = None
            if not w.done():
                w.set_result(None)

    async def wait(self) -> None:
        """Until a frame is pushed (ASGI), the queue drained (direct) or closing started."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiter = fut
        try:
            await fut
        finally:
            if self.waiter is fut:
                self.waiter = None
