"""``openweex client watch``: topics to channel names, and the loop that prints events.

Topics (several may be given):

- ``orders``, ``deals``, ``account``: the private channels (a listen key is created for
  them); ``private`` means all three; with no topic at all, all three are watched;
- ``trades``, ``kline[:INTERVAL]``, ``depth[:LEVELS]``, ``diff``, ``book``: public channels
  of ``--symbol``; ``NAME@SYMBOL`` (``trades@BTCUSDT_SPBL``, ``kline@BTCUSDT_SPBL:Min5``)
  names the symbol in the topic itself;
- a full channel name (``spot@public.deals.v3.api@BTCUSDT``) is used as it is.

When a private topic is present everything goes over one listen-key connection (openweex
serves public channels there too); otherwise a public connection is used.

Every failed connection attempt and every lost connection is reported on stderr with the
delay before the next attempt. A watch that has never connected gives up (exit status 3)
when its next attempt would start more than ``--timeout`` seconds after the first one; once
it has been connected it reconnects for as long as it runs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .async_ import AsyncClient
from .errors import TransportError
from .events import PRIVATE_ACCOUNT, PRIVATE_DEALS, PRIVATE_ORDERS, StreamEvent
from .streams import (
    PRIVATE_CHANNELS,
    Stream,
    StreamRetry,
    book_ticker_channel,
    deals_channel,
    increase_depth_channel,
    kline_channel,
    limit_depth_channel,
    private_stream,
    public_stream,
    ws_url_from,
)

PRIVATE_TOPICS = {"orders": PRIVATE_ORDERS, "deals": PRIVATE_DEALS, "account": PRIVATE_ACCOUNT}
PUBLIC_TOPICS = ("trades", "kline", "depth", "diff", "book")
TOPICS_HELP = (
    "orders, deals, account, private (all three; the default), or trades, kline[:INTERVAL],"
    " depth[:LEVELS], diff, book (of --symbol, or NAME@SYMBOL[:ARG]), or a channel name"
)


@dataclass(frozen=True, slots=True)
class Subscription:
    """The channels to subscribe and whether they need a listen key."""

    channels: tuple[str, ...]
    private: bool


def _public_channel(name: str, symbol: str, arg: str) -> str:
    if name == "trades":
        return deals_channel(symbol)
    if name == "kline":
        return kline_channel(symbol, arg or "Min1")
    if name == "depth":
        if arg and not arg.isdigit():
            raise ValueError(f"depth levels must be 5, 10 or 20, not {arg!r}")
        return limit_depth_channel(symbol, int(arg or "5"))
    if name == "diff":
        return increase_depth_channel(symbol)
    return book_ticker_channel(symbol)


def _channel(topic: str, symbol: str | None) -> str:
    if topic.startswith("spot@"):
        return topic
    if topic in PRIVATE_TOPICS:
        return PRIVATE_TOPICS[topic]
    head, _, arg = topic.partition(":")
    name, _, own_symbol = head.partition("@")
    if name not in PUBLIC_TOPICS:
        raise ValueError(f"unknown topic {topic!r}: use {TOPICS_HELP}")
    chosen = own_symbol or symbol
    if not chosen:
        raise ValueError(f"topic {topic!r} needs a symbol: give --symbol or {name}@SYMBOL")
    return _public_channel(name, chosen, arg)


def subscription(topics: Sequence[str], symbol: str | None) -> Subscription:
    """The channels for the ``watch`` topics (raises ValueError on an unknown topic)."""
    channels: list[str] = []
    for topic in topics or ["private"]:
        found = list(PRIVATE_CHANNELS) if topic == "private" else [_channel(topic, symbol)]
        channels += [channel for channel in found if channel not in channels]
    private = any(channel in PRIVATE_CHANNELS for channel in channels)
    return Subscription(tuple(channels), private)


class StreamUnreachable(TransportError):
    """The WebSocket server at ``url`` could not be connected to in the time allowed."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message, request_sent=False)
        self.url = url


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


class Retries:
    """The streams' ``on_retry``: says on stderr why there is no connection and when the next
    attempt comes; raises :class:`StreamUnreachable` when the stream never connected and the
    next attempt would start more than ``timeout`` seconds after the first one."""

    def __init__(
        self,
        url: str,
        timeout: float,
        notice: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.notice = notice
        self.clock = clock
        self.started = clock()

    def __call__(self, retry: StreamRetry) -> None:
        reason, delay = _reason(retry.error), f"{retry.delay:.1f} s"
        if retry.connections == 0:
            elapsed = self.clock() - self.started
            if elapsed + retry.delay > self.timeout:
                attempts = f"{retry.failures} attempt{'s' if retry.failures > 1 else ''}"
                raise StreamUnreachable(
                    self.url, f"{reason} (gave up after {attempts} in {elapsed:.1f} s)"
                )
            self.notice(f"cannot connect to {self.url}: {reason}; retrying in {delay}")
        elif retry.dropped:
            self.notice(f"connection lost: {reason}; reconnecting in {delay}")
        else:
            self.notice(f"cannot reconnect to {self.url}: {reason}; retrying in {delay}")


async def _pump(
    stream: Stream, count: int, emit: Callable[[StreamEvent], None], notice: Callable[[str], None]
) -> None:
    seen = 0
    connections = stream.connections
    async for event in stream:
        if stream.connections > connections:
            connections = stream.connections
            notice("reconnected: events sent while disconnected were missed")
        emit(event)
        seen += 1
        if count and seen >= count:
            return


RECONNECT_MAX = 10.0
"""The longest wait, in seconds, between two attempts to reconnect."""


async def watch(
    client: AsyncClient,
    sub: Subscription,
    *,
    count: int,
    ws_url: str | None,
    timeout: float,
    emit: Callable[[StreamEvent], None],
    notice: Callable[[str], None],
) -> None:
    """Print events until ``count`` were seen (0: forever).

    The server is checked first over REST so that an unreachable one fails at once. The
    WebSocket connection is then retried, each failure said through ``notice``: until it
    first connects, for about ``timeout`` seconds (then :class:`StreamUnreachable`); after
    that, for as long as the watch runs. ``timeout`` also bounds each connection attempt.
    """
    await client.get_server_time()
    retries = Retries(ws_url or ws_url_from(client.base_url), timeout, notice)
    if sub.private:
        stream = private_stream(
            client,
            sub.channels,
            ws_url=ws_url,
            reconnect_max=RECONNECT_MAX,
            open_timeout=timeout,
            on_retry=retries,
        )
    else:
        stream = public_stream(
            sub.channels,
            ws_url=ws_url,
            base_url=client.base_url,
            reconnect_max=RECONNECT_MAX,
            open_timeout=timeout,
            on_retry=retries,
        )
    async with contextlib.aclosing(stream):
        await stream.wait_connected()
        notice(f"watching {', '.join(sub.channels)} (Ctrl-C to stop)")
        await _pump(stream, count, emit, notice)
