"""Streams under a bot's ordinary habits: reads with a timeout, closing while another task
reads, failures reported on every read, a bounded buffer, http(s) and invalid ``ws_url``s,
and a private stream that starts while the server is down."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from openweex.client import (
    AsyncClient,
    AuthenticationError,
    OrderEvent,
    PublicDealsEvent,
    Stream,
    StreamEvent,
    TransportError,
    cli,
    deals_channel,
    private_stream,
    public_stream,
    streams,
)

from . import golden
from .fakeweex import API_KEY, API_SECRET, NOW_MS, PASSPHRASE, FakeWeex, envelope, error

UDS = "/api/v3/userDataStream"
CHANNELS = [deals_channel("BTCUSDT")]
ACK = json.dumps({"id": 0, "code": 0, "msg": "ok"})
PONG = json.dumps({"id": 0, "code": 0, "msg": "PONG"})
T0 = 1_700_000_000_000


def deals_frame(number: int) -> str:
    """A public deals frame whose event time is ``T0 + number``, to tell frames apart."""
    frame = json.loads(golden.WS_PUBLIC_DEALS)
    frame["t"] = T0 + number
    return json.dumps(frame)


@dataclass
class PushServer:
    """Acks every subscription and answers PINGs; ``push`` sends a frame to every
    subscribed connection."""

    url: str = ""
    paths: list[str] = field(default_factory=list)
    subscribed: list[ServerConnection] = field(default_factory=list)

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.paths.append(ws.request.path)
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                method = json.loads(raw)["method"]
                if method == "PING":
                    await ws.send(PONG)
                elif method == "SUBSCRIPTION":
                    await ws.send(ACK)
                    self.subscribed.append(ws)

    async def push(self, frame: str) -> None:
        for ws in self.subscribed:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(frame)


@asynccontextmanager
async def push_server() -> AsyncIterator[PushServer]:
    server = PushServer()
    async with serve(server.handler, "127.0.0.1", 0) as running:
        port = next(iter(running.sockets)).getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}/ws"
        yield server


def listen_keys_fake() -> FakeWeex:
    fake = FakeWeex()
    fake.on("POST", UDS, '{"listenKey":"key-1"}')
    fake.on("PUT", UDS, '{"listenKey":"key-1"}')
    fake.on("DELETE", UDS, '{"listenKey":"key-1"}')
    return fake


def stream_client(fake: FakeWeex, base_url: str = "http://127.0.0.1:1") -> AsyncClient:
    return AsyncClient(
        base_url,
        API_KEY,
        API_SECRET,
        PASSPHRASE,
        transport=fake.transport(),
        clock=lambda: NOW_MS,
    )


async def drain(stream: Stream) -> list[StreamEvent]:
    return [event async for event in stream]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


# -- a read cancelled by a timeout ---------------------------------------------------------


async def test_a_timed_out_read_leaves_the_public_stream_working() -> None:
    async with (
        push_server() as server,
        public_stream(CHANNELS, ws_url=server.url) as stream,
    ):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(stream), 0.2)
        await server.push(deals_frame(1))
        event = await asyncio.wait_for(anext(stream), 5)
        assert isinstance(event, PublicDealsEvent) and event.event_time == T0 + 1
        assert stream.connections == 1
    assert server.paths == ["/ws"]  # the same connection all along


async def test_events_that_arrive_between_timed_out_reads_are_kept() -> None:
    async with (
        push_server() as server,
        public_stream(CHANNELS, ws_url=server.url) as stream,
    ):
        for _ in range(3):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await anext(stream)
        for number in (1, 2, 3):
            await server.push(deals_frame(number))
        await asyncio.sleep(0.2)  # nobody reads meanwhile
        events = [await asyncio.wait_for(anext(stream), 5) for _ in range(3)]
    assert [event.event_time - T0 for event in events] == [1, 2, 3]


async def test_a_timed_out_read_keeps_the_listen_key() -> None:
    fake = listen_keys_fake()
    async with push_server() as server, stream_client(fake) as client:
        async with private_stream(client, ws_url=server.url) as stream:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(stream), 0.2)
            assert fake.calls("DELETE", UDS) == []
            await server.push(golden.WS_ORDER)
            event = await asyncio.wait_for(anext(stream), 5)
            assert isinstance(event, OrderEvent)
            assert fake.calls("DELETE", UDS) == []
        assert len(fake.calls("POST", UDS)) == 1
        assert len(fake.calls("DELETE", UDS)) == 1
    assert server.paths == ["/ws?listenKey=key-1"]


# -- closing while another task reads --------------------------------------------------------


async def test_aclose_while_another_task_is_blocked_reading() -> None:
    fake = listen_keys_fake()
    async with push_server() as server, stream_client(fake) as client:
        stream = private_stream(client, ws_url=server.url)
        await stream.wait_connected()
        reader = asyncio.create_task(drain(stream))
        await asyncio.sleep(0.1)
        await asyncio.wait_for(stream.aclose(), 5)
        assert await asyncio.wait_for(reader, 5) == []
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
        await stream.aclose()  # a second close is harmless
    assert len(fake.calls("DELETE", UDS)) == 1


async def test_an_error_in_the_body_is_not_replaced_while_a_task_reads() -> None:
    fake = listen_keys_fake()
    async with push_server() as server, stream_client(fake) as client:
        reader: asyncio.Task[list[StreamEvent]] | None = None
        with pytest.raises(ValueError, match="bot logic failed"):
            async with private_stream(client, ws_url=server.url) as stream:
                reader = asyncio.create_task(drain(stream))
                await asyncio.sleep(0.1)
                raise ValueError("bot logic failed")
        assert reader is not None
        assert await asyncio.wait_for(reader, 5) == []
    assert len(fake.calls("DELETE", UDS)) == 1


async def test_a_cancelled_reader_closes_the_stream_on_exit() -> None:
    fake = listen_keys_fake()
    async with push_server() as server, stream_client(fake) as client:

        async def consume() -> None:
            async with private_stream(client, ws_url=server.url) as stream:
                async for _event in stream:
                    pass

        task = asyncio.create_task(consume())
        await until(lambda: len(server.subscribed) == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
    assert len(fake.calls("DELETE", UDS)) == 1


async def test_an_abandoned_stream_is_closed() -> None:
    fake = listen_keys_fake()
    async with push_server() as server, stream_client(fake) as client:

        async def first_event() -> StreamEvent:
            async for event in private_stream(client, ws_url=server.url):
                return event
            raise AssertionError("the stream ended")

        reading = asyncio.create_task(first_event())
        await until(lambda: len(server.subscribed) == 1)
        await server.push(golden.WS_ORDER)
        assert isinstance(await asyncio.wait_for(reading, 5), OrderEvent)
        gc.collect()
        await until(lambda: len(fake.calls("DELETE", UDS)) == 1)


# -- failures ----------------------------------------------------------------------------


async def test_a_failed_stream_raises_on_every_later_read() -> None:
    async with push_server() as server:
        stream = public_stream(
            CHANNELS, ws_url=server.url, reconnect_initial=0.01, max_reconnects=1
        )
        await stream.wait_connected()
        await server.push(deals_frame(7))
    # the server is gone: the reconnect fails and the stream gives up
    first = await asyncio.wait_for(anext(stream), 5)
    assert isinstance(first, PublicDealsEvent) and first.event_time == T0 + 7
    for _ in range(3):
        with pytest.raises(TransportError, match="gave up"):
            await asyncio.wait_for(anext(stream), 5)
    await stream.aclose()
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_a_reader_blocked_when_the_stream_fails_gets_the_error() -> None:
    async with push_server() as server:
        stream = public_stream(
            CHANNELS, ws_url=server.url, reconnect_initial=0.01, max_reconnects=0
        )
        await stream.wait_connected()
        readers = [asyncio.create_task(anext(stream)) for _ in range(2)]
        await asyncio.sleep(0.05)
    for reader in readers:
        with pytest.raises(TransportError):
            await asyncio.wait_for(reader, 5)
    await stream.aclose()


# -- the buffer is bounded ---------------------------------------------------------------


async def test_the_buffer_is_bounded_and_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "STREAM_BUFFER", 3)
    async with (
        push_server() as server,
        public_stream(CHANNELS, ws_url=server.url) as stream,
    ):
        for number in range(1, 41):
            await server.push(deals_frame(number))
        await asyncio.sleep(0.3)  # nobody reads: the stream stops reading at the bound
        assert stream._feed.queue.qsize() <= 3
        events = [await asyncio.wait_for(anext(stream), 5) for _ in range(40)]
    assert [event.event_time - T0 for event in events] == list(range(1, 41))


# -- ws_url --------------------------------------------------------------------------------


async def test_an_http_ws_url_is_turned_into_ws() -> None:
    async with push_server() as server:
        http_url = server.url.replace("ws://", "http://")
        async with public_stream(CHANNELS, ws_url=http_url) as stream:
            await server.push(deals_frame(5))
            event = await asyncio.wait_for(anext(stream), 5)
        fake = listen_keys_fake()
        async with stream_client(fake) as client, private_stream(client, ws_url=http_url):
            pass
    assert isinstance(event, PublicDealsEvent)
    assert server.paths == ["/ws", "/ws?listenKey=key-1"]


def test_https_becomes_wss() -> None:
    assert streams._checked_ws_url("https://wbs.weex.test/ws?x=1") == "wss://wbs.weex.test/ws?x=1"
    assert streams._checked_ws_url("HTTP://h:1/ws") == "ws://h:1/ws"
    assert streams._checked_ws_url("wss://wbs.weex.test/ws") == "wss://wbs.weex.test/ws"


@pytest.mark.parametrize("url", ["ftp://host/ws", "127.0.0.1:8080/ws", "ws://", "host/ws"])
async def test_an_invalid_ws_url_is_a_value_error(url: str) -> None:
    with pytest.raises(ValueError, match="WebSocket URL"):
        async with public_stream(CHANNELS, ws_url=url):
            pass
    with pytest.raises(ValueError, match="WebSocket URL"):
        async with public_stream(CHANNELS, base_url=url):
            pass
    fake = listen_keys_fake()
    async with stream_client(fake) as client:
        with pytest.raises(ValueError, match="WebSocket URL") as info:
            async with private_stream(client, ws_url=url):
                pass
    assert "key-1" not in str(info.value)
    assert fake.calls("POST", UDS) == []  # checked before a listen key is made


def _watch(fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    def make_async_client(args: argparse.Namespace) -> AsyncClient:
        return stream_client(fake, "https://weex.test")

    monkeypatch.setattr(cli, "make_async_client", make_async_client)
    parser = argparse.ArgumentParser(prog="openweex")
    cli.add_client_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["client", "--url", "https://weex.test", "watch", *argv])
    status: int = args.func(args)
    return status


@pytest.mark.parametrize("topic", ["trades", "orders"])
def test_watch_with_an_invalid_ws_url_is_a_usage_error(
    topic: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = listen_keys_fake()
    fake.on("GET", "/api/spot/v1/public/time", envelope(NOW_MS))
    argv = [topic, "--symbol", "BTCUSDT_SPBL", "--ws-url", "ftp://127.0.0.1:1/ws", "--count", "1"]
    assert _watch(fake, monkeypatch, *argv) == cli.USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "WebSocket URL" in err
    assert "key-1" not in err and "Traceback" not in err


# -- the first listen key ----------------------------------------------------------------


async def test_the_first_listen_key_is_retried_with_the_backoff() -> None:
    fake = listen_keys_fake()
    down = httpx.ConnectError("connection refused")
    fake.on("POST", UDS, down, error("40015", "system busy", 503), '{"listenKey":"key-1"}')
    async with push_server() as server, stream_client(fake) as client:
        stream = private_stream(client, ws_url=server.url, reconnect_initial=0.01)
        async with stream:
            await server.push(golden.WS_ORDER)
            event = await asyncio.wait_for(anext(stream), 5)
    assert isinstance(event, OrderEvent)
    assert len(fake.calls("POST", UDS)) == 3
    assert server.paths == ["/ws?listenKey=key-1"]
    assert len(fake.calls("DELETE", UDS)) == 1


async def test_the_first_listen_key_gives_up_after_max_reconnects() -> None:
    fake = listen_keys_fake()
    fake.on("POST", UDS, httpx.ConnectError("connection refused"))
    async with stream_client(fake) as client:
        stream = private_stream(
            client, ws_url="ws://127.0.0.1:1/ws", reconnect_initial=0.01, max_reconnects=2
        )
        with pytest.raises(TransportError, match="3 failures"):
            async with stream:
                pass
    assert len(fake.calls("POST", UDS)) == 3
    assert fake.calls("DELETE", UDS) == []


async def test_a_refused_first_listen_key_is_not_retried() -> None:
    fake = listen_keys_fake()
    fake.on("POST", UDS, error("40006", "Invalid ACCESS_KEY", 401))
    async with stream_client(fake) as client:
        stream = private_stream(client, ws_url="ws://127.0.0.1:1/ws", reconnect_initial=0.01)
        with pytest.raises(AuthenticationError):
            async with stream:
                pass
    assert len(fake.calls("POST", UDS)) == 1
