"""The WebSocket hub: connections, subscriptions, and events from the runtime to sockets.

Wiring (see :mod:`openweex.server`): ``runtime.subscribe(hub.on_command)`` and
``runtime.subscribe_batch(hub.on_batch)``; ``hub.run()`` in the server's task group;
``ws_route(hub)`` serves ``/ws``; ``hub.close()`` on shutdown.

Ordering and durability. The runtime calls :meth:`Hub.on_command` for every command after
it is on disk and after the command's REST future was resolved, in sequence order, and
:meth:`Hub.on_batch` after each batch. Both are synchronous: they format frames and hand
them to the connections (:meth:`~openweex.api.ws.conn.Conn.push`: written to the transport
at once, or appended to a bounded queue), never waiting for a socket. While one callback
runs, directly written frames are held so that each connection gets that callback's frames
in one write (:class:`~openweex.api.ws.conn.Hold`). Cost: ``on_command`` returns at once
when nobody is connected with a listen key and nobody subscribes a public channel, else
O(events + frames sent); ``on_batch`` is O(symbols + frames sent). A user's private frames
are pushed in the order the engine produced the events, so each connection receives them in
that order.

Private streams. A connection opened with ``/ws?listenKey=KEY`` belongs to the key's user.
Each private event is serialised at most once, on first need, and the same frame is sent
to every connection of the user subscribed to its channel.

Listen keys and limits. A key must exist and not be expired (runtime clock) when a
connection opens; a key has at most 5 connections (the 6th gets a notice and is closed).
DELETE of a key (``ListenKeyClosed`` event) closes its connections at once; a periodic check
(``WsConfig.check_interval_s``, runtime clock) closes the connections of expired keys,
connections older than ``max_connection_ms`` (24 h) and, when ``idle_ms`` is set,
connections without any subscription for that long; the same check pushes every forming
kline. Every server-initiated close first sends the frames already queued, then a notice
``{"id":0,"code":N,"msg":...}``, then a close frame; a slow consumer is dropped without the
queued frames.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from starlette.routing import WebSocketRoute

from openweex.api.ws import frames
from openweex.api.ws.channels import (
    PRIVATE_ACCOUNT,
    PRIVATE_DEALS,
    PRIVATE_ORDERS,
    Channel,
    parse_channel,
)
from openweex.api.ws.conn import Conn, Hold, WsConfig
from openweex.api.ws.frames import Formatter, Frame, push
from openweex.api.ws.public import PublicFeed
from openweex.domain.commands import Command, SetUserFrozen
from openweex.domain.events import (
    BalanceUpdate,
    Event,
    ListenKeyClosed,
    OrderUpdate,
    Settlement,
    Trade,
    settlement_legs,
)

log = logging.getLogger(__name__)
P = ParamSpec("P")
POLICY = 1008  # WebSocket close code: policy violation
GOING_AWAY = 1001


class Hub:
    """All live connections and the streams they subscribe to."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.runtime = api.runtime
        self.markets = api.markets
        self.clock: Callable[[], int] = api.runtime.clock
        self.config = WsConfig.from_settings(api.settings)
        self.fmt = Formatter(self.markets)
        self.public = PublicFeed(self.fmt, self.runtime.exchange, self.runtime.applied_seq)
        self.conns: set[Conn] = set()
        self.by_uid: dict[int, set[Conn]] = {}
        self.by_key: dict[str, set[Conn]] = {}
        self.drops: list[Conn] = []
        self.hold = Hold()  # active while a callback makes frames (see conn.Hold)
        self.dropped_total = 0  # slow consumers dropped since start
        self._next_id = 0
        self._closing = False
        self._stop = asyncio.Event()
        # The endpoint tasks still running (a closed connection's task sends its farewell).
        self.sessions: set[asyncio.Task[Any]] = set()

    # -- engine side ---------------------------------------------------------------------
    def on_command(self, seq: int, cmd: Command, result: Any, events: list[Event]) -> None:
        """Send the private frames of one durable command; buffer watched trades."""
        if not self.by_uid and not self.public.topics:
            return  # nobody to tell (depth versions are kept by on_batch)
        self._held(self._command_frames, cmd, result, events)

    def _command_frames(self, cmd: Command, result: Any, events: list[Event]) -> None:
        by_uid = self.by_uid
        public = self.public
        now = 0
        for ev in events:
            if isinstance(ev, BalanceUpdate):
                if ev.uid in by_uid:
                    now = now or self.clock()
                    self._private(ev.uid, PRIVATE_ACCOUNT, self.fmt.account, ev, "", now)
            elif isinstance(ev, Settlement):
                if ev.taker_uid in by_uid or ev.maker_uid in by_uid:
                    now = now or self.clock()
                    for leg in settlement_legs(ev):
                        if leg.uid in by_uid:
                            self._private(leg.uid, PRIVATE_ACCOUNT, self.fmt.account, leg, "", now)
            elif isinstance(ev, OrderUpdate):
                if ev.uid in by_uid:
                    now = now or self.clock()
                    self._private(ev.uid, PRIVATE_ORDERS, self.fmt.order, ev, ev.symbol, now)
            elif isinstance(ev, Trade):
                public.on_trade(ev)
                if ev.taker_uid in by_uid or ev.maker_uid in by_uid:
                    now = now or self.clock()
                    self._deal(ev, now)
            elif isinstance(ev, ListenKeyClosed):
                self.close_key(ev.key, frames.LISTEN_KEY_CLOSED)
        if type(cmd) is SetUserFrozen and result is True and cmd.uid in by_uid:
            for conn in list(by_uid[cmd.uid]):  # a frozen user's streams end with it
                self.close_conn(conn, frames.ACCOUNT_FROZEN, POLICY)

    def on_batch(self, last_seq: int) -> None:
        """Publish the public frames of a durable batch."""
        self._held(self.public.publish, self.clock)

    def _held(self, fn: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
        """Run ``fn``, which pushes frames, with the connections' writes held; then write
        them (one write per connection) and drop the consumers found too slow."""
        self.hold.active = True
        try:
            fn(*args, **kwargs)
        finally:
            self.hold.release()
        if self.drops:
            self.flush_drops()

    def depth_version(self, symbol: str) -> int:
        """The depth version of the book as it is now (see :mod:`.public`)."""
        return self.public.versions[symbol]

    def _private(
        self, uid: int, channel: str, build: Callable[[Any], Any], ev: Any, symbol: str, t: int
    ) -> None:
        msg: Frame | None = None
        for conn in self.by_uid[uid]:
            if channel in conn.private:
                if msg is None:
                    name = self.fmt.info[symbol].name if symbol else ""
                    msg = push(channel, build(ev), name, t)
                conn.push(msg)

    def _deal(self, tr: Trade, t: int) -> None:
        name = self.fmt.info[tr.symbol].name
        for uid, maker in ((tr.taker_uid, False), (tr.maker_uid, True)):
            msg: Frame | None = None
            for conn in self.by_uid.get(uid, ()):
                if PRIVATE_DEALS in conn.private:
                    if msg is None:
                        msg = push(PRIVATE_DEALS, self.fmt.deal(tr, maker), name, t)
                    conn.push(msg)

    # -- connections ---------------------------------------------------------------------
    def admit(self, key: str | None) -> Conn | tuple[int, int]:
        """A new registered connection, or ``(notice code, close code)`` refusing it."""
        if self._closing:
            return frames.SHUTTING_DOWN, GOING_AWAY
        now = self.clock()
        uid: int | None = None
        if key is not None:
            entry = self.runtime.exchange.listen_keys.get(key)
            if entry is None:
                return frames.INVALID_LISTEN_KEY, POLICY
            if entry[1] <= now:
                return frames.LISTEN_KEY_EXPIRED, POLICY
            if len(self.by_key.get(key, ())) >= self.config.max_connections_per_key:
                return frames.TOO_MANY_CONNECTIONS, POLICY
            uid = entry[0]
            acct = self.runtime.exchange.accounts.get(uid)
            if acct is not None and acct.frozen:  # as its REST calls get 40013
                return frames.ACCOUNT_FROZEN, POLICY
        self._next_id += 1
        conn = Conn(self._next_id, uid, key, now, self.config.queue_size, self.drops, self.hold)
        self.conns.add(conn)
        if key is not None and uid is not None:
            self.by_key.setdefault(key, set()).add(conn)
            self.by_uid.setdefault(uid, set()).add(conn)
        return conn

    def release(self, conn: Conn) -> None:
        """Forget a connection: it gets no more frames. Idempotent."""
        self.conns.discard(conn)
        if conn.key is not None and conn.uid is not None:
            _discard(self.by_key, conn.key, conn)
            _discard(self.by_uid, conn.uid, conn)
        for text, topic in conn.public.items():
            self.public.remove(conn, Channel(topic, text))
        conn.public.clear()
        conn.private.clear()

    def close_conn(self, conn: Conn, code: int, ws_code: int) -> None:
        """Close gracefully: queued frames first, then the notice and the close frame."""
        if conn.closing:
            return
        conn.closing = True
        conn.notice = (code, ws_code)
        self.release(conn)
        conn.wake()

    def close_key(self, key: str, code: int) -> None:
        for conn in list(self.by_key.get(key, ())):
            self.close_conn(conn, code, POLICY)

    def drop(self, conn: Conn) -> None:
        """Drop a slow consumer: discard its queue, stop its writer, close it."""
        if conn.dropped:
            return
        conn.dropped = True
        conn.closing = True
        conn.notice = (frames.SLOW_CONSUMER, POLICY)
        conn.outbox.clear()
        conn.held = None
        self.release(conn)
        self.dropped_total += 1
        log.info("dropped slow WebSocket consumer %r", conn)
        if conn.writer is not None:
            conn.writer.cancel()

    def flush_drops(self) -> None:
        drops = list(self.drops)
        self.drops.clear()  # the same list object is shared with every Conn
        for conn in drops:
            self.drop(conn)

    # -- subscriptions -------------------------------------------------------------------
    def subscribe(self, conn: Conn, params: list[str]) -> tuple[int, str, list[Frame]]:
        """``(code, msg, initial frames)``; all channels or none are subscribed."""
        chans: list[Channel] = []
        for text in params:
            ch = parse_channel(text, self.markets)
            if isinstance(ch, str):
                return frames.UNKNOWN_CHANNEL, ch, []
            if ch.topic.private and conn.uid is None:
                msg = f"{text} needs a listen key: connect to /ws?listenKey=KEY"
                return frames.NEEDS_LISTEN_KEY, msg, []
            chans.append(ch)
        new = {ch.text: ch for ch in chans if ch.text not in conn.private}
        new = {t: ch for t, ch in new.items() if t not in conn.public}
        limit = self.config.max_subscriptions
        if conn.subscriptions + len(new) > limit:
            msg = f"at most {limit} subscriptions per connection ({conn.subscriptions} active)"
            return frames.TOO_MANY_SUBSCRIPTIONS, msg, []
        initial: list[Frame] = []
        now = self.clock()
        for ch in new.values():
            if ch.topic.private:
                conn.private.add(ch.text)
            else:
                conn.public[ch.text] = ch.topic
                first = self.public.add(conn, ch, now)
                if first is not None:
                    initial.append(first)
        if conn.subscriptions:
            conn.idle_since = None
        return frames.OK, ",".join(params), initial

    def unsubscribe(self, conn: Conn, params: list[str]) -> tuple[int, str]:
        chans: list[Channel] = []
        for text in params:
            ch = parse_channel(text, self.markets)
            if isinstance(ch, str):
                return frames.UNKNOWN_CHANNEL, ch
            chans.append(ch)
        for ch in chans:
            if ch.topic.private:
                conn.private.discard(ch.text)
            elif conn.public.pop(ch.text, None) is not None:
                self.public.remove(conn, ch)
        if not conn.subscriptions and conn.idle_since is None:
            conn.idle_since = self.clock()
        return frames.OK, ",".join(params)

    # -- periodic checks -----------------------------------------------------------------
    async def run(self) -> None:
        """Check listen keys and connection lifetimes until :meth:`close`."""
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(self.config.check_interval_s):
                    await self._stop.wait()
            except TimeoutError:
                self.check(self.clock())

    def check(self, now: int) -> None:
        """Close what expired at ``now``: keys, connection lifetimes, idle connections; and
        push the forming klines (:meth:`PublicFeed.tick <.public.PublicFeed.tick>`)."""
        self._held(self.public.tick, now)
        keys = self.runtime.exchange.listen_keys
        for key in list(self.by_key):
            entry = keys.get(key)
            if entry is None or entry[1] <= now:
                self.close_key(key, frames.LISTEN_KEY_EXPIRED)
        cfg = self.config
        for conn in list(self.conns):
            if now - conn.opened >= cfg.max_connection_ms:
                self.close_conn(conn, frames.CONNECTION_EXPIRED, GOING_AWAY)
            elif _idle(conn, now, cfg.idle_ms):
                self.close_conn(conn, frames.NO_SUBSCRIPTION, POLICY)

    async def close(self, wait_s: float = 0.0) -> None:
        """Refuse new connections, close the open ones, stop :meth:`run`; wait up to
        ``wait_s`` seconds for every connection's notice (17) and close frame to go out."""
        self._closing = True
        for conn in list(self.conns):
            self.close_conn(conn, frames.SHUTTING_DOWN, GOING_AWAY)
        self._stop.set()
        sessions = self.sessions - {asyncio.current_task()}
        if sessions and wait_s > 0:
            await asyncio.wait(sessions, timeout=wait_s)


def _idle(conn: Conn, now: int, idle_ms: int) -> bool:
    return idle_ms > 0 and conn.idle_since is not None and now - conn.idle_since >= idle_ms


def _discard(index: dict[Any, set[Conn]], k: Any, conn: Conn) -> None:
    got = index.get(k)
    if got is not None:
        got.discard(conn)
        if not got:
            del index[k]


def ws_route(hub: Hub) -> WebSocketRoute:
    """The ``/ws`` route served by ``hub``."""
    from openweex.api.ws.session import Endpoint

    return WebSocketRoute("/ws", Endpoint(hub))
