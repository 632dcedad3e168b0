"""Streams against a tiny local WebSocket server: subscribe, ping, reconnect and resubscribe,
listen-key lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from openweex.client import (
    PRIVATE_CHANNELS,
    AccountEvent,
    AsyncClient,
    BookTickerEvent,
    DealEvent,
    OrderEvent,
    PublicDealsEvent,
    Stream,
    StreamError,
    StreamEvent,
    StreamRetry,
    TransportError,
    book_ticker_channel,
    deals_channel,
    increase_depth_channel,
    kline_channel,
    limit_depth_channel,
    private_stream,
    public_stream,
)
from openweex.client.streams import StreamOptions, ws_url_from

from . import golden
from .fakeweex import API_KEY, API_SECRET, NOW_MS, PASSPHRASE, FakeWeex, error

UDS = "/api/v3/userDataStream"
Script = Callable[["WsServer", ServerConnection, int, str], Awaitable[None]]


@dataclass
class WsServer:
    """Records every connection's path and messages; ``script(server, ws, number, method)``
    runs after each message (PINGs are answered first)."""

    script: Script
    paths: list[str] = field(default_factory=list)
    messages: list[list[dict[str, Any]]] = field(default_factory=list)

    def subscriptions(self) -> list[list[str]]:
        return [
            m["params"] for conn in self.messages for m in conn if m["method"] == "SUBSCRIPTION"
        ]

    def pings(self) -> int:
        return sum(m["method"] == "PING" for conn in self.messages for m in conn)

    async def handler(self, ws: ServerConnection) -> None:
        number = len(self.paths)
        assert ws.request is not None
        self.paths.append(ws.request.path)
        seen: list[dict[str, Any]] = []
        self.messages.append(seen)
        async for raw in ws:
            message = json.loads(raw)
            seen.append(message)
            if message["method"] == "PING":
                await ws.send(json.dumps({"id": 0, "code": 0, "msg": "PONG"}))
            await self.script(self, ws, number, message["method"])


@asynccontextmanager
async def ws_server(script: Script) -> AsyncIterator[tuple[WsServer, str]]:
    server = WsServer(script)
    async with serve(server.handler, "127.0.0.1", 0) as running:
        port = next(iter(running.sockets)).getsockname()[1]
        yield server, f"ws://127.0.0.1:{port}/ws"


async def _ack(ws: ServerConnection, code: int = 0, msg: str = "ok") -> None:
    await ws.send(json.dumps({"id": 0, "code": code, "msg": msg}))


async def _take(stream: AsyncIterator[StreamEvent], count: int) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    async with asyncio.timeout(5):
        async for event in stream:
            events.append(event)
            if len(events) == count:
                break
    return events


async def test_public_stream_reconnects_and_resubscribes() -> None:
    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method != "SUBSCRIPTION":
            return
        await _ack(ws)
        if number == 0:
            await ws.send(golden.WS_PUBLIC_DEALS)
            await ws.close()  # the server drops the first connection
        else:
            await ws.send(golden.WS_BOOK_TICKER)

    channels = [deals_channel("BTCUSDT"), book_ticker_channel("BTCUSDT")]
    async with (
        ws_server(script) as (server, url),
        public_stream(channels, ws_url=url, reconnect_initial=0.01) as stream,
    ):
        events = await _take(stream, 2)
    assert [type(e) for e in events] == [PublicDealsEvent, BookTickerEvent]
    assert server.subscriptions() == [channels, channels]
    assert server.paths == ["/ws", "/ws"]


async def test_public_stream_sends_pings() -> None:
    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method == "SUBSCRIPTION":
            await _ack(ws)
        elif server.pings() == 2:
            await ws.send(golden.WS_PUBLIC_DEALS)

    async with ws_server(script) as (server, url):
        stream = public_stream([deals_channel("BTCUSDT")], ws_url=url, ping_interval=0.02)
        async with stream:
            events = await _take(stream, 1)
    assert isinstance(events[0], PublicDealsEvent) and server.pings() >= 2


async def test_entering_the_stream_waits_for_the_subscription() -> None:
    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method == "SUBSCRIPTION":
            await asyncio.sleep(0.05)
            await _ack(ws)
            await ws.send(golden.WS_BOOK_TICKER)

    channel = book_ticker_channel("BTCUSDT")
    async with ws_server(script) as (server, url), public_stream([channel], ws_url=url) as stream:
        assert server.subscriptions() == [[channel]]
        assert stream.connections == 1
        events = await _take(stream, 1)
    assert isinstance(events[0], BookTickerEvent)


async def test_a_server_that_never_acks_still_streams() -> None:
    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method == "PING":
            await ws.send(golden.WS_PUBLIC_DEALS)

    channels = [deals_channel("BTCUSDT")]
    async with ws_server(script) as (_server, url):
        stream = public_stream(channels, ws_url=url, open_timeout=0.05, ping_interval=0.1)
        async with stream:
            assert stream.connections == 1
            events = await _take(stream, 1)
    assert isinstance(events[0], PublicDealsEvent)


async def test_rejected_subscription_raises() -> None:
    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        await _ack(ws, code=1, msg="unknown channel")

    async with ws_server(script) as (_server, url):
        with pytest.raises(StreamError, match="unknown channel"):
            async with public_stream(["spot@public.nope@X"], ws_url=url) as stream:
                await _take(stream, 1)


async def test_a_refused_connection_is_retried() -> None:
    """An error reply followed by a close (e.g. listen key expired, server shutting down) is
    a refused connection, not a rejected subscription: the stream connects again."""

    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if number == 0:
            await _ack(ws, code=17, msg="the server is shutting down")
            await ws.close()
        elif method == "SUBSCRIPTION":
            await _ack(ws)
            await ws.send(golden.WS_PUBLIC_DEALS)

    channels = [deals_channel("BTCUSDT")]
    async with (
        ws_server(script) as (server, url),
        public_stream(channels, ws_url=url, reconnect_initial=0.01) as stream,
    ):
        events = await _take(stream, 1)
    assert isinstance(events[0], PublicDealsEvent)
    assert stream.connections == 1 and server.subscriptions() == [channels, channels]


async def test_cancelling_a_busy_stream_is_never_lost() -> None:
    """A consumer cancelled (Ctrl-C) while messages keep arriving stops every time."""

    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method != "SUBSCRIPTION":
            return
        await _ack(ws)
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send(golden.WS_PUBLIC_DEALS)
                await asyncio.sleep(0)

    async with ws_server(script) as (_server, url):
        for _ in range(40):
            stream = public_stream([deals_channel("BTCUSDT")], ws_url=url)

            async def consume(events: Stream = stream) -> None:
                async with events:
                    async for _event in events:
                        pass

            task = asyncio.create_task(consume())
            await asyncio.sleep(0.02)
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=2)
            assert done, "the cancellation was swallowed"


async def test_stream_gives_up_after_max_reconnects() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stream = public_stream(
        [deals_channel("BTCUSDT")],
        ws_url=f"ws://127.0.0.1:{port}/ws",
        reconnect_initial=0.01,
        max_reconnects=2,
    )
    with pytest.raises(TransportError, match="3 failures"):
        await _take(stream, 1)


def _free_ws_url() -> str:
    """A loopback WebSocket URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}/ws"


class GiveUp(Exception):
    pass


async def test_on_retry_is_told_of_each_failed_attempt_and_may_give_up() -> None:
    retries: list[StreamRetry] = []

    def on_retry(retry: StreamRetry) -> None:
        retries.append(retry)
        if retry.failures == 3:
            raise GiveUp("enough")

    stream = public_stream(
        [deals_channel("BTCUSDT")],
        ws_url=_free_ws_url(),
        reconnect_initial=0.01,
        on_retry=on_retry,
    )
    with pytest.raises(GiveUp, match="enough"):
        async with asyncio.timeout(5), stream:
            pass
    assert [r.failures for r in retries] == [1, 2, 3]
    assert all(r.connections == 0 and not r.dropped for r in retries)
    assert all(isinstance(r.error, OSError) for r in retries)
    assert 0.01 <= retries[0].delay <= 0.011 and 0.02 <= retries[1].delay <= 0.022
    with pytest.raises(GiveUp):  # a stream that failed keeps failing
        await anext(stream)


async def test_on_retry_tells_a_lost_connection_from_a_failed_one() -> None:
    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method != "SUBSCRIPTION":
            return
        if number == 1:
            await _ack(ws, code=17, msg="the server is shutting down")
            await ws.close()  # the first reconnect is refused
            return
        await _ack(ws)
        await ws.send(golden.WS_PUBLIC_DEALS)
        if number == 0:
            await ws.close()  # the subscribed connection is lost

    retries: list[StreamRetry] = []
    async with (
        ws_server(script) as (_server, url),
        public_stream(
            [deals_channel("BTCUSDT")], ws_url=url, reconnect_initial=0.01, on_retry=retries.append
        ) as stream,
    ):
        await _take(stream, 2)
    assert [(r.failures, r.connections, r.dropped) for r in retries] == [
        (1, 1, True),
        (2, 1, False),
    ]
    assert "shutting down" in str(retries[1].error)


def _stream_client(fake: FakeWeex) -> AsyncClient:
    return AsyncClient(
        "http://127.0.0.1:1",
        API_KEY,
        API_SECRET,
        PASSPHRASE,
        transport=fake.transport(),
        clock=lambda: NOW_MS,
    )


async def test_private_stream_listen_key_lifecycle() -> None:
    fake = FakeWeex()
    fake.on("POST", UDS, '{"listenKey":"key-1"}')
    fake.on("PUT", UDS, '{"listenKey":"key-1"}')
    fake.on("DELETE", UDS, '{"listenKey":"key-1"}')

    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method == "SUBSCRIPTION":
            await _ack(ws, msg=",".join(PRIVATE_CHANNELS))
            await ws.send(golden.WS_ORDER if number == 0 else golden.WS_DEALS)
        elif number == 0 and fake.calls("PUT", UDS):
            await ws.close()  # after a keepalive and at least one PING

    async with ws_server(script) as (server, url), _stream_client(fake) as client:
        stream = private_stream(
            client, ws_url=url, keepalive_interval=0.03, ping_interval=0.02, reconnect_initial=0.01
        )
        async with stream:
            events = await _take(stream, 2)
            assert fake.calls("DELETE", UDS) == []
    assert [type(e) for e in events] == [OrderEvent, DealEvent]
    assert server.paths == ["/ws?listenKey=key-1", "/ws?listenKey=key-1"]
    assert server.subscriptions() == [list(PRIVATE_CHANNELS)] * 2
    assert server.pings() >= 1
    assert len(fake.calls("POST", UDS)) == 1
    assert all(c.query == {"listenKey": "key-1"} for c in fake.calls("PUT", UDS))
    assert [c.query for c in fake.calls("DELETE", UDS)] == [{"listenKey": "key-1"}]
    assert fake.calls("POST", UDS)[0].signed


async def test_private_stream_replaces_an_expired_key() -> None:
    fake = FakeWeex()
    fake.on("POST", UDS, '{"listenKey":"key-1"}', '{"listenKey":"key-2"}')
    fake.on(
        "PUT",
        UDS,
        error("40042", "Listen key does not exist or has expired"),
        httpx.Response(200, json={"listenKey": "key-2"}),
    )
    fake.on("DELETE", UDS, httpx.Response(200, json={}))

    async def script(server: WsServer, ws: ServerConnection, number: int, method: str) -> None:
        if method == "SUBSCRIPTION":
            await _ack(ws)
            if number >= 1:
                await ws.send(golden.WS_ACCOUNT)

    async with ws_server(script) as (server, url), _stream_client(fake) as client:
        stream = private_stream(client, [PRIVATE_CHANNELS[2]], ws_url=url, keepalive_interval=0.03)
        async with stream:
            events = await _take(stream, 1)
    assert isinstance(events[0], AccountEvent)
    assert server.paths[:2] == ["/ws?listenKey=key-1", "/ws?listenKey=key-2"]
    assert len(fake.calls("POST", UDS)) == 2
    assert fake.calls("PUT", UDS)[0].query == {"listenKey": "key-1"}
    assert [c.query for c in fake.calls("DELETE", UDS)] == [{"listenKey": "key-2"}]


def test_ws_url_is_derived_from_the_base_url() -> None:
    assert ws_url_from("https://api.weex.test") == "wss://api.weex.test/ws"
    assert ws_url_from("http://127.0.0.1:8080/") == "ws://127.0.0.1:8080/ws"


def test_channel_names() -> None:
    assert deals_channel("BTCUSDT") == "spot@public.deals.v3.api@BTCUSDT"
    assert kline_channel("BTCUSDT") == "spot@public.kline.v3.api@BTCUSDT@Min1"
    assert increase_depth_channel("BTCUSDT") == "spot@public.increase.depth.v3.api@BTCUSDT"
    assert limit_depth_channel("BTCUSDT", 5) == "spot@public.limit.depth.v3.api@BTCUSDT@5"
    assert book_ticker_channel("BTCUSDT") == "spot@public.bookTicker.v3.api@BTCUSDT"
    assert PRIVATE_CHANNELS == (
        "spot@private.orders.v3.api",
        "spot@private.deals.v3.api",
        "spot@private.account.v3.api",
    )


def test_reconnect_backoff_doubles_up_to_the_cap() -> None:
    options = StreamOptions(reconnect_initial=1.0, reconnect_max=5.0)
    bases = [1.0, 2.0, 4.0, 5.0, 5.0]
    for failures, base in enumerate(bases, start=1):
        assert base <= options.backoff(failures) <= base * 1.1
