"""WebSocket streams: private user data (orders, deals, account) and public market data.

Both are async iterators of typed events (:mod:`openweex.client.events`), best used as
async context managers so that cleanup runs when you stop::

    async with private_stream(client) as events:
        async for event in events:
            ...

What a stream does:
- connects to ``ws(s)://host/ws`` (derived from the client's base URL: http -> ws,
  https -> wss; pass ``ws_url`` for a separate WebSocket host such as
  ``wss://wbs.weex.com/ws``; an http(s) ``ws_url`` is turned into ws(s) the same way, and
  anything else that is not a WebSocket URL raises ValueError), with ``?listenKey=KEY`` for
  the private stream;
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
  over REST after a reconnect if that matters. ``on_retry`` (if given) is called with a
  :class:`StreamRetry` (the error, the failure count, the delay) before each wait, to log
  it or to give up sooner by raising.

The private stream also creates its listen key (``POST /api/v3/userDataStream``; a failure
to create it is retried like a failed connection, so a stream started while the server is
down waits for it), extends it (``PUT``) every ``keepalive_interval`` seconds (30 min) and
before each reconnect, replaces it with a new key when the server no longer knows it, and
deletes it (``DELETE``) on exit.

The connection is read by a background task, started when the stream is entered or first
read, which keeps up to :data:`STREAM_BUFFER` items for the reader and runs the timers.
Reading with a timeout is safe (``asyncio.wait_for(anext(stream), 5)``, or
``asyncio.timeout`` around the read): a read that is cancelled ends nothing and loses
nothing, and the next read gets the next event. When the buffer is full the task stops
reading until the reader catches up (the WebSocket layer and then the server hold what comes
meanwhile), and pings wait too. Once the stream has failed, every later read raises the
error; a read after :meth:`Stream.aclose` (also one that was waiting in another task when
the stream was closed) ends the iteration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import quote, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidURI, WebSocketException
from websockets.uri import parse_uri

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


_WS_SCHEMES = {"https": "wss", "http": "ws"}


def ws_url_from(base_url: str) -> str:
    """The WebSocket URL for a REST base URL: same host and port, scheme ws(s), path /ws."""
    parts = urlsplit(base_url)
    scheme = _WS_SCHEMES.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "/ws", "", ""))


def _checked_ws_url(url: str) -> str:
    """``url`` with an http(s) scheme turned into ws(s); ValueError if it is not a valid
    WebSocket URL."""
    parts = urlsplit(url)
    converted = url
    if parts.scheme in _WS_SCHEMES:
        converted = urlunsplit(parts._replace(scheme=_WS_SCHEMES[parts.scheme]))
    try:
        parse_uri(converted)
    except InvalidURI as exc:
        raise ValueError(f"invalid WebSocket URL {url!r}: {exc.msg}") from None
    return converted


def _with_listen_key(ws_url: str, listen_key: str) -> str:
    separator = "&" if "?" in ws_url else "?"
    return f"{ws_url}{separator}listenKey={quote(listen_key, safe='')}"


@dataclass(frozen=True, slots=True)
class StreamRetry:
    """What a stream's ``on_retry`` callback is told before it waits to connect again.

    ``error`` is why the last attempt failed or the connection ended; ``failures`` counts the
    consecutive failures (1 for the first, back to 0 once a connection is subscribed);
    ``delay`` is the wait, in seconds, before the next attempt; ``connections`` is the number
    of connections subscribed so far (0: the stream never connected).
    """

    error: Exception
    failures: int
    delay: float
    connections: int

    @property
    def dropped(self) -> bool:
        """True when a subscribed connection was just lost, False when an attempt to connect
        (or to reconnect) failed."""
        return self.connections > 0 and self.failures == 1


OnRetry = Callable[[StreamRetry], None]
"""``on_retry(retry)``: called before each wait to reconnect. Raising from it stops the
stream, which then fails with that exception."""


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Timers and reconnect policy of a stream (seconds)."""

    ping_interval: float = 20.0
    keepalive_interval: float = 1800.0
    reconnect_initial: float = 0.5
    reconnect_max: float = 30.0
    max_reconnects: int | None = None
    open_timeout: float = 10.0
    on_retry: OnRetry | None = None

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

STREAM_BUFFER = 1024
"""How many items (events, and one marker per connection) a stream keeps for a reader that
is behind. When the buffer is full, the stream stops reading its connection until the reader
takes an item, so memory stays bounded and nothing is dropped."""


class _End:
    """Internal marker: the feed stopped (failed, ended or closed); wakes waiting readers."""


_END = _End()


class _Feed:
    """Runs an item generator in a task and buffers what it yields for the readers.

    Readers wait on the queue, so cancelling a read (a timeout) leaves the generator alone.
    The feed holds no reference to its :class:`Stream`, so that a stream dropped without
    being closed can be collected and stop its task.
    """

    def __init__(self, items: AsyncGenerator[Item, None], size: int) -> None:
        self.items = items
        self.queue: asyncio.Queue[Item | _End] = asyncio.Queue(size)
        self.task: asyncio.Task[None] | None = None
        self.error: Exception | None = None
        self.error_tb: TracebackType | None = None
        self.ended = False  # the generator stopped: failed, ended or cancelled
        self.closed = False  # close() was called

    def start(self) -> None:
        if self.task is None and not self.closed:
            loop = asyncio.get_running_loop()
            self.task = loop.create_task(self._pump(), name="openweex-stream")

    async def _pump(self) -> None:
        try:
            async for item in self.items:
                await self.queue.put(item)
        except asyncio.CancelledError:
            if not self.closed:
                self._fail(TransportError("stream stopped: its task was cancelled"))
            raise
        except Exception as exc:
            self._fail(exc)
        finally:
            self.ended = True
            try:
                await self.items.aclose()  # when stopped while waiting to put an item
            finally:
                self._wake()

    def _fail(self, error: Exception) -> None:
        self.error = error
        self.error_tb = error.__traceback__

    def _wake(self) -> None:
        """Put the end marker; a full queue has no waiting reader, and readers check
        ``ended`` before they wait."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(_END)

    async def get(self) -> Item:
        """The next item; the feed's error once it failed, StopAsyncIteration once closed."""
        if not self.closed and not (self.ended and self.queue.empty()):
            item = await self.queue.get()
            if not isinstance(item, _End):
                return item
            self._wake()  # for the next reader
        if self.closed or self.error is None:
            raise StopAsyncIteration
        raise self.error.with_traceback(self.error_tb)

    async def close(self) -> None:
        first = not self.closed
        self.closed = True
        if self.task is None:
            if first:
                await self.items.aclose()
        else:
            if first:
                self.task.cancel()
            await asyncio.wait([self.task])
        self._wake()

    def abandon(self) -> None:
        """Stop the task from outside the loop's flow (the stream was collected)."""
        task = self.task
        if task is not None and not task.done():
            self.closed = True
            with contextlib.suppress(RuntimeError):  # the loop is closed already
                task.get_loop().call_soon_threadsafe(task.cancel)


class Stream:
    """An async iterator of events that is also an async context manager.

    Entering the context (``async with``) connects and waits until the subscription is
    acknowledged, so that events caused by what you do next are not missed. Iterating
    without the context connects on the first ``__anext__``. ``connections`` counts the
    connections made so far (more than 1 means there were reconnects, and events pushed
    while disconnected were lost).

    A read may be cancelled (``asyncio.wait_for``, ``asyncio.timeout``) without harm.
    After a failure every read raises the error; after :meth:`aclose` reads end the
    iteration.
    """

    def __init__(self, items: AsyncGenerator[Item, None]) -> None:
        self._feed = _Feed(items, STREAM_BUFFER)
        self._early: deque[StreamEvent] = deque()
        self.connections = 0

    def __del__(self) -> None:
        feed = getattr(self, "_feed", None)
        if feed is not None:
            feed.abandon()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._early and not self._feed.closed:
            return self._early.popleft()
        self._feed.start()
        while True:
            item = await self._feed.get()
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
        self._feed.start()
        while self.connections == 0:
            item = await self._feed.get()
            if isinstance(item, _Ready):
                self.connections += 1
            else:
                self._early.append(item)

    async def aclose(self) -> None:
        """Stop: close the connection (and the listen key of a private stream). A read
        waiting in another task then ends the iteration."""
        await self._feed.close()
        self._early.clear()


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
    connections = 0
    connected_before = False
    while True:
        error: Exception = TransportError("connection ended")
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
                            connections += 1
                        yield item
        except _Reconnect:
            continue
        except InvalidURI as exc:  # the URL (with the listen key) is not shown
            raise ValueError(f"invalid WebSocket URL: {exc.msg}") from None
        except _RETRYABLE as exc:
            error = exc
        failures += 1
        if options.max_reconnects is not None and failures > options.max_reconnects:
            raise TransportError(f"stream gave up after {failures} failures: {error}")
        delay = options.backoff(failures)
        if options.on_retry is not None:
            options.on_retry(StreamRetry(error, failures, delay, connections))
        await asyncio.sleep(delay)


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
    on_retry: OnRetry | None = None,
) -> Stream:
    """Public market data: deals, kline, increase/limit depth, bookTicker channels.

    Give ``ws_url`` (``ws://host:port/ws``; http(s) is read as ws(s)) or the REST
    ``base_url`` it is derived from. A URL that is not a WebSocket URL raises ValueError.
    ``on_retry`` is called with a :class:`StreamRetry` before each wait to reconnect.
    """
    if not channels:
        raise ValueError("give at least one channel")
    if ws_url is None:
        if base_url is None:
            raise ValueError("give ws_url or base_url")
        ws_url = ws_url_from(base_url)
    ws_url = _checked_ws_url(ws_url)
    options = StreamOptions(
        ping_interval=ping_interval,
        reconnect_initial=reconnect_initial,
        reconnect_max=reconnect_max,
        max_reconnects=max_reconnects,
        open_timeout=open_timeout,
        on_retry=on_retry,
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
        """The key to connect with: created if there is none yet; on a reconnect, extended,
        or replaced if it is gone."""
        key = self.key
        if key is None:
            key = await self._create()
        elif reconnecting and not self.fresh:
            try:
                await self.client.keep_alive_listen_key(key)
            except ApiError as exc:
                if is_retryable(exc):
                    raise
                key = await self._create()
        self.fresh = False
        return key

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
    on_retry: OnRetry | None = None,
) -> Stream:
    """The user's orders, deals and balance changes (all three channels by default).

    ``client`` must have credentials; ``ws_url`` defaults to the client's base URL with
    ws(s) and path /ws (an http(s) ``ws_url`` is read as ws(s); a URL that is not a
    WebSocket URL raises ValueError). ``on_retry`` is called with a :class:`StreamRetry`
    before each wait to reconnect.
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
        on_retry=on_retry,
    )
    url = _checked_ws_url(ws_url or ws_url_from(client.base_url))
    return Stream(_private_events(client, url, list(channels), options))
