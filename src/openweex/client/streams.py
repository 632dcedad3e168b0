"""WebSocket streams: private user data (orders, deals, account) and public market data.

Both are async iterators of typed events (:mod:`openweex.client.events`), best used as
async context managers so that cleanup runs when you stop::

    async with private_stream(client) as events:
        async for event in events:
            ...

What a stream does:
- connects to ``ws(s)://host/ws`` (derived from the client's base URL: http -> ws,
  https -> wss; pass ``ws_url`` for a separate WebSocket host such as
  ``wss://wbs.weex.com/ws``), with ``?listenKey=KEY`` for the private stream;
- subscribes with ``{"method":"SUBSCRIPTION","params":[...]}``; if the first ack after the
  subscription has a non-zero code, raises :class:`~.errors.StreamError`, unless the server
  closes the connection right after it (a refused connection: unknown or expired listen
  key, too many connections, shutting down), which is retried like a failed connection;
- sends ``{"method":"PING"}`` every ``ping_interval`` seconds (acks and PONGs are not
  yielded);
- on a closed or failed connection, reconnects with exponential backoff
  (``reconnect_initial`` doubling up to ``reconnect_max``) and subscribes again; after
  ``max_reconnects`` consecutive failures (None: never give up) raises
  :class:`~.errors.TransportError`. Events pushed while disconnected are lost: refresh state
  over REST after a reconnect if that matters.

The private stream also creates its listen key (``POST /api/v3/userDataStream``), extends it
(``PUT``) every ``keepalive_interval`` seconds (30 min) and before each reconnect, replaces
it with a new key when the server no longer knows it, and deletes it (``DELETE``) on exit.
Timers run inside the iterator (no background task): while your code holds an event, pings
wait; the WebSocket layer answers protocol pings on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import quote, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidURI, WebSocketException

from .async_ import AsyncClient
from .errors import ApiError, RateLimitError, ServerError, StreamError, TransportError, is_retryable
from .events import (
    PRIVATE_ACCOUNT,
    PRIVATE_DEALS,
    PRIVATE_ORDERS,
    PUBLIC_BOOK_TICKER,
    PUBLIC_DEALS,
    PUBLIC_INCREASE_DEPTH,
    PUBLIC_KLINE,
    PUBLIC_LIMIT_DEPTH,
    Ack,
    StreamEvent,
    decode_message,
)

PRIVATE_CHANNELS: tuple[str, ...] = (PRIVATE_ORDERS, PRIVATE_DEALS, PRIVATE_ACCOUNT)
_PING = json.dumps({"method": "PING"})


class _Refused(Exception):
    """Internal: the server answered the new connection with an error and closed it (an
    unknown or expired listen key, too many connections, shutting down): retried."""


_RETRYABLE = (
    _Refused,
    OSError,
    TimeoutError,
    WebSocketException,
    TransportError,
    RateLimitError,
    ServerError,
)


def deals_channel(symbol: str) -> str:
    """``spot@public.deals.v3.api@<symbol>``."""
    return f"{PUBLIC_DEALS}@{symbol}"


def kline_channel(symbol: str, interval: str = "Min1") -> str:
    """``spot@public.kline.v3.api@<symbol>@<interval>`` (Min1, Min5, ..., Hour4, Day1...)."""
    return f"{PUBLIC_KLINE}@{symbol}@{interval}"


def increase_depth_channel(symbol: str) -> str:
    """``spot@public.increase.depth.v3.api@<symbol>``."""
    return f"{PUBLIC_INCREASE_DEPTH}@{symbol}"


def limit_depth_channel(symbol: str, levels: int = 5) -> str:
    """``spot@public.limit.depth.v3.api@<symbol>@<levels>`` (5, 10 or 20)."""
    return f"{PUBLIC_LIMIT_DEPTH}@{symbol}@{levels}"


def book_ticker_channel(symbol: str) -> str:
    """``spot@public.bookTicker.v3.api@<symbol>``."""
    return f"{PUBLIC_BOOK_TICKER}@{symbol}"


def ws_url_from(base_url: str) -> str:
    """The WebSocket URL for a REST base URL: same host and port, scheme ws(s), path /ws."""
    parts = urlsplit(base_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "/ws", "", ""))


def _with_listen_key(ws_url: str, listen_key: str) -> str:
    separator = "&" if "?" in ws_url else "?"
    return f"{ws_url}{separator}listenKey={quote(listen_key, safe='')}"


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Timers and reconnect policy of a stream (seconds)."""

    ping_interval: float = 20.0
    keepalive_interval: float = 1800.0
    reconnect_initial: float = 0.5
    reconnect_max: float = 30.0
    max_reconnects: int | None = None
    open_timeout: float = 10.0

    def backoff(self, failures: int) -> float:
        """Delay before reconnect attempt number ``failures`` (1-based), with 10 % jitter."""
        base = min(self.reconnect_max, self.reconnect_initial * 2.0 ** max(0, failures - 1))
        return base * (1 + 0.1 * random.random())


class _Reconnect(Exception):
    """Internal: drop the connection and connect again at once (e.g. new listen key)."""


REFUSAL_WAIT = 0.5
"""Seconds to wait, after an error reply to the subscription, for the server to close the
connection: closed means the connection was refused (retried), open means the subscription
was rejected (:class:`StreamError`)."""


async def _closes(ws: ClientConnection) -> bool:
    try:
        async with asyncio.timeout(REFUSAL_WAIT):
            await ws.wait_closed()
    except TimeoutError:
        return False
    return True


class _Periodic:
    """An action due every ``interval`` seconds of the loop clock."""

    def __init__(self, interval: float, action: Callable[[], Awaitable[None]]) -> None:
        self.interval = interval
        self.action = action
        self.due = asyncio.get_running_loop().time() + interval

    async def run_if_due(self, now: float) -> None:
        if now >= self.due:
            self.due = now + self.interval
            await self.action()


class _Ready:
    """Internal marker: a connection is subscribed (its ack came, or an event, or time ran out)."""


_READY = _Ready()
Item = StreamEvent | _Ready


class Stream:
    """An async iterator of events that is also an async context manager.

    Entering the context (``async with``) connects and waits until the subscription is
    acknowledged, so that events caused by what you do next are not missed. Iterating
    without the context connects on the first ``__anext__``. ``connections`` counts the
    connections made so far (more than 1 means there were reconnects, and events pushed
    while disconnected were lost).
    """

    def __init__(self, items: AsyncGenerator[Item, None]) -> None:
        self._items = items
        self._early: list[StreamEvent] = []
        self.connections = 0

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._early:
            return self._early.pop(0)
        while True:
            item = await self._items.__anext__()
            if isinstance(item, _Ready):
                self.connections += 1
                continue
            return item

    async def __aenter__(self) -> Self:
        await self.wait_connected()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def wait_connected(self) -> None:
        """Connect and subscribe now (no-op once connected)."""
        while self.connections == 0:
            item = await self._items.__anext__()
            if isinstance(item, _Ready):
                self.connections += 1
            else:
                self._early.append(item)

    async def aclose(self) -> None:
        """Stop: close the connection (and the listen key of a private stream)."""
        await self._items.aclose()


async def _subscribe(ws: ClientConnection, channels: Sequence[str]) -> None:
    await ws.send(json.dumps({"method": "SUBSCRIPTION", "params": list(channels)}))


async def _read(
    ws: ClientConnection, timers: Sequence[_Periodic], ack_timeout: float
) -> AsyncGenerator[Item, None]:
    """Items of one connection, running the timers between messages.

    Yields ``_READY`` once: on the subscription ack, before the first event, or when
    ``ack_timeout`` passes without either (servers that do not ack).
    """
    loop = asyncio.get_running_loop()
    ack_due: float | None = loop.time() + ack_timeout
    while True:
        for timer in timers:
            await timer.run_if_due(loop.time())
        deadlines = [timer.due for timer in timers] + ([] if ack_due is None else [ack_due])
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that arrives together with a message, and Ctrl-C would then be lost.
            async with asyncio.timeout(max(0.0, min(deadlines) - loop.time())):
                message = await ws.recv()
        except TimeoutError:
            if ack_due is not None and loop.time() >= ack_due:
                ack_due = None
                yield _READY
            continue
        decoded = decode_message(message)
        if isinstance(decoded, Ack) and ack_due is not None and not decoded.ok:
            reason = f"[{decoded.code}] {decoded.msg}"
            if await _closes(ws):
                raise _Refused(f"connection refused: {reason}")
            raise StreamError(f"subscription rejected: {reason}")
        if decoded is not None and ack_due is not None:
            ack_due = None
            yield _READY
        if decoded is not None and not isinstance(decoded, Ack):
            yield decoded


async def _run(
    url_for: Callable[[bool], Awaitable[str]],
    channels: Sequence[str],
    options: StreamOptions,
    shared_timers: Sequence[_Periodic] = (),
) -> AsyncGenerator[Item, None]:
    """Connect, subscribe, read; reconnect with backoff on failure."""
    failures = 0
    connected_before = False
    last_error: BaseException | None = None
    while True:
        try:
            url = await url_for(connected_before)
            async with connect(url, open_timeout=options.open_timeout) as ws:
                connected_before = True
                await _subscribe(ws, channels)
                ping = _Periodic(options.ping_interval, lambda: ws.send(_PING))
                timers = [ping, *shared_timers]
                async with contextlib.aclosing(_read(ws, timers, options.open_timeout)) as items:
                    async for item in items:
                        if isinstance(item, _Ready):
                            failures = 0  # subscribed: the backoff starts over
                        yield item
        except _Reconnect:
            continue
        except InvalidURI:
            raise
        except _RETRYABLE as exc:
            last_error = exc
        failures += 1
        if options.max_reconnects is not None and failures > options.max_reconnects:
            raise TransportError(f"stream gave up after {failures} failures: {last_error}")
        await asyncio.sleep(options.backoff(failures))


async def _public_events(
    ws_url: str, channels: Sequence[str], options: StreamOptions
) -> AsyncGenerator[Item, None]:
    async def url_for(_reconnecting: bool) -> str:
        return ws_url

    async for item in _run(url_for, channels, options):
        yield item


def public_stream(
    channels: Sequence[str],
    *,
    ws_url: str | None = None,
    base_url: str | None = None,
    ping_interval: float = 20.0,
    reconnect_initial: float = 0.5,
    reconnect_max: float = 30.0,
    max_reconnects: int | None = None,
    open_timeout: float = 10.0,
) -> Stream:
    """Public market data: deals, kline, increase/limit depth, bookTicker channels.

    Give ``ws_url`` (``ws://host:port/ws``) or the REST ``base_url`` it is derived from.
    """
    if not channels:
        raise ValueError("give at least one channel")
    if ws_url is None:
        if base_url is None:
            raise ValueError("give ws_url or base_url")
        ws_url = ws_url_from(base_url)
    options = StreamOptions(
        ping_interval=ping_interval,
        reconnect_initial=reconnect_initial,
        reconnect_max=reconnect_max,
        max_reconnects=max_reconnects,
        open_timeout=open_timeout,
    )
    return Stream(_public_events(ws_url, list(channels), options))


class _ListenKey:
    """The private stream's listen key: created, extended, replaced, closed."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.key: str | None = None
        self.fresh = False  # created since the last connection: no need to extend it

    async def _create(self) -> str:
        self.key = await self.client.create_listen_key()
        self.fresh = True
        return self.key

    async def ensure(self, reconnecting: bool) -> str:
        """The key to connect with; on a reconnect, extend it or replace it if it is gone."""
        if self.key is None:
            return await self._create()
        if reconnecting and not self.fresh:
            try:
                await self.client.keep_alive_listen_key(self.key)
            except ApiError as exc:
                if is_retryable(exc):
                    raise
                return await self._create()
        self.fresh = False
        return self.key

    async def keep_alive(self) -> None:
        if self.key is None:
            return
        try:
            await self.client.keep_alive_listen_key(self.key)
        except (TransportError, RateLimitError, ServerError):
            return  # the key lives 60 min; the next keepalive or reconnect tries again
        except ApiError:
            await self._create()
            raise _Reconnect from None

    async def close(self) -> None:
        if self.key is not None:
            with contextlib.suppress(Exception):
                await self.client.close_listen_key(self.key)
            self.key = None


async def _private_events(
    client: AsyncClient, ws_url: str, channels: Sequence[str], options: StreamOptions
) -> AsyncGenerator[Item, None]:
    listen_key = _ListenKey(client)
    await listen_key.ensure(False)

    async def url_for(reconnecting: bool) -> str:
        return _with_listen_key(ws_url, await listen_key.ensure(reconnecting))

    keepalive = _Periodic(options.keepalive_interval, listen_key.keep_alive)
    try:
        async for item in _run(url_for, channels, options, [keepalive]):
            yield item
    finally:
        await listen_key.close()


def private_stream(
    client: AsyncClient,
    channels: Sequence[str] = PRIVATE_CHANNELS,
    *,
    ws_url: str | None = None,
    keepalive_interval: float = 1800.0,
    ping_interval: float = 20.0,
    reconnect_initial: float = 0.5,
    reconnect_max: float = 30.0,
    max_reconnects: int | None = None,
    open_timeout: float = 10.0,
) -> Stream:
    """The user's orders, deals and balance changes (all three channels by default).

    ``client`` must have credentials; ``ws_url`` defaults to the client's base URL with
    ws(s) and path /ws.
    """
    if not channels:
        raise ValueError("give at least one channel")
    options = StreamOptions(
        ping_interval=ping_interval,
        keepalive_interval=keepalive_interval,
        reconnect_initial=reconnect_initial,
        reconnect_max=reconnect_max,
        max_reconnects=max_reconnects,
        open_timeout=open_timeout,
    )
    url = ws_url or ws_url_from(client.base_url)
    return Stream(_private_events(client, url, list(channels), options))
