"""One WebSocket connection: its subscriptions and its bounded send queue; the limits.

Queue policy. Every frame for a connection goes through :meth:`Conn.push`, a synchronous
append to a deque (the engine side never waits for a socket). The connection's writer task
pops and sends frames in order. When a push finds ``queue_size`` frames still unsent, the
connection is a slow consumer: it is marked, queued in the hub's drop list, and the hub
drops it (clears the queue, cancels the writer, tries to say why and closes). A connection
that is closing (graceful close requested) accepts no more frames; its writer sends what was
queued before the close, then the notice, then the close frame.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

from openweex.api.ws.channels import Topic
from openweex.api.ws.frames import Message

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class WsConfig:
    """Limits of ``/ws``. Times in ms are compared with the runtime clock."""

    queue_size: int = 1024  # frames not yet sent before a connection counts as too slow
    max_connection_ms: int = DAY_MS  # a connection is closed after this long
    idle_ms: int = 30_000  # no subscription for this long closes it; 0: never
    check_interval_s: float = 1.0  # how often lifetimes and listen keys are checked
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


class Conn:
    """State of one accepted connection (see the module docstring for the queue policy)."""

    __slots__ = (
        "_drops",
        "closing",
        "conn_id",
        "dropped",
        "gone",
        "idle_since",
        "key",
        "limit",
        "notice",
        "opened",
        "outbox",
        "private",
        "public",
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
    ) -> None:
        self.conn_id = conn_id
        self.uid = uid  # the listen key's user; None on a public-only connection
        self.key = key
        self.opened = opened
        self.idle_since: int | None = opened  # since when it has had no subscription
        self.limit = limit
        self.outbox: deque[Message] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.private: set[str] = set()  # private channel names
        self.public: dict[str, Topic] = {}  # canonical channel text -> topic
        self.closing = False  # accepts no more frames; the writer drains and stops
        self.dropped = False  # slow consumer: queue discarded, writer cancelled
        self.gone = False  # the client disconnected (nothing more can be sent)
        self.notice: tuple[int, int] | None = None  # (notice code, close code) to send
        self.writer: asyncio.Task[None] | None = None
        self._drops = drops

    def __repr__(self) -> str:
        return f"Conn({self.conn_id}, uid={self.uid})"

    @property
    def subscriptions(self) -> int:
        return len(self.private) + len(self.public)

    def push(self, msg: Message) -> None:
        """Queue one frame; on overflow mark the connection for dropping instead."""
        if self.closing:
            return
        out = self.outbox
        if len(out) >= self.limit:
            self.closing = True
            self._drops.append(self)
            return
        out.append(msg)
        w = self.waiter
        if w is not None:
            self.waiter = None
            if not w.done():
                w.set_result(None)

    def wake(self) -> None:
        w = self.waiter
        if w is not None:
            self.waiter = None
            if not w.done():
                w.set_result(None)

    async def wait(self) -> None:
        """Until a frame is pushed or the connection starts closing."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiter = fut
        try:
            await fut
        finally:
            if self.waiter is fut:
                self.waiter = None
