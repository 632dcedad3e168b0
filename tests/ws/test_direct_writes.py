"""Frames written straight to the transports, as the real server does.

``openweex serve`` writes each frame's bytes (built once) to every subscriber's transport
and gives a connection the frames of one engine callback in one write. What clients see
must not change: every frame intact, whatever its length (7-, 16- and 64-bit length
fields), in order, the same for every subscriber; a client that backs up and is then closed
gets what was queued for it before the notice; permessage-deflate negotiated or not. The
in-process tests run both ways out (direct writes and the ASGI send).
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any, cast

import pytest
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.streams import StreamReader

from openweex.api.ws.conn import WsConfig
from openweex.api.ws.fastpath import FrameSink
from openweex.api.ws.frames import Frame
from tests.support.server import ServerProcess
from tests.ws.support import (
    PATHS,
    PRIVATE,
    AsyncRest,
    RawSubscriber,
    RestUser,
    WsClient,
    in_process,
    loads,
)

SWEEP = 1500  # resting asks taken by one market order: a deals frame of more than 64 KiB


def parse(wire: bytes, extensions: list[Any]) -> WsFrame:
    """One frame as a websockets client reads it; ``wire`` must hold exactly that frame."""
    reader = StreamReader()
    reader.feed_data(wire)
    reader.feed_eof()
    parser = WsFrame.parse(reader.read_exact, mask=False, max_size=None, extensions=extensions)
    try:
        next(parser)
    except StopIteration as done:
        assert reader.buffer == b"", "bytes left after the frame"
        frame: WsFrame = done.value
        return frame
    raise AssertionError("the frame is incomplete")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 200_000])
def test_prebuilt_frames_read_back_exactly(size: int) -> None:
    payload = ("é" * (size // 2) + "x" * (size % 2)).encode()  # size bytes of UTF-8
    frame = Frame(payload)
    deflate = PerMessageDeflate(False, False, 15, 15)  # as negotiated by default
    for extensions in ([], [deflate]):
        got = parse(frame.wire, extensions)
        assert (got.opcode, got.fin, got.rsv1) == (Opcode.TEXT, True, False)
        assert bytes(got.data) == payload
    assert frame.payload == payload
    assert frame.message == {"type": "websocket.send", "text": payload.decode()}


class SpyTransport:
    """A transport around a real socket that records what it is asked to write."""

    def __init__(self, sock: socket.socket, buffered: int = 0, tls: bool = False) -> None:
        self.extra: dict[str, Any] = {"socket": sock}
        if tls:
            self.extra["sslcontext"] = object()
        self.buffered = buffered
        self.writes: list[bytes] = []

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))


def _sink(transport: SpyTransport) -> FrameSink:
    return FrameSink(cast(asyncio.Transport, transport))


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="POSIX sockets")
def test_sink_writes_to_the_socket_only_when_the_transport_holds_nothing() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.setblocking(False)
    try:
        frame = Frame(b"abc").wire
        idle = SpyTransport(ours)
        assert _sink(idle).write(frame)
        assert theirs.recv(64) == frame and idle.writes == []  # straight to the socket
        behind = SpyTransport(ours, buffered=10)  # bytes queued in the transport go first
        assert _sink(behind).write(frame)
        assert behind.writes == [frame]
        with pytest.raises(BlockingIOError):
            theirs.recv(64)
        tls = SpyTransport(ours, tls=True)  # never around the TLS layer
        assert _sink(tls).write(frame)
        assert tls.writes == [frame]
        # What the socket does not take goes to the transport, after what it took.
        big = Frame(b"x" * 4_000_000).wire
        spill = SpyTransport(ours)
        assert _sink(spill).write(big)
        assert len(spill.writes) == 1 and 0 < len(spill.writes[0]) < len(big)
        taken = len(big) - len(spill.writes[0])
        got = bytearray()
        while len(got) < taken:
            got += theirs.recv(1 << 20)
        assert bytes(got) + spill.writes[0] == big
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_sink_writes_nothing_once_the_transport_closes(
    loop_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        sink = FrameSink(cast(asyncio.Transport, transport))
        assert sink.write(Frame(b"1").wire)
        assert theirs.recv(16) == b"\x81\x011"
        theirs.close()
        for _ in range(1000):  # the transport sees the peer gone when it writes again
            if transport.is_closing():
                break
            sink.write(Frame(b"2").wire)
            await asyncio.sleep(0.01)
        assert transport.is_closing()
        for _ in range(10):
            assert not sink.write(Frame(b"3").wire)
        transport.close()

    if loop_kind == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
    assert caplog.records == []  # writing to a lost transport would log (or raise)


async def test_many_subscribers_get_the_same_intact_frames(ws_server: ServerProcess) -> None:
    sym = "ETHUSDT"
    channels = [
        f"spot@public.deals.v3.api@{sym}",
        f"spot@public.increase.depth.v3.api@{sym}",
        f"spot@public.limit.depth.v3.api@{sym}@20",
        f"spot@public.bookTicker.v3.api@{sym}",
    ]
    maker = RestUser(ws_server, {"ETH": "2"})
    taker = RestUser(ws_server, {"USDT": "10000"})
    clients = [await WsClient.open(ws_server.ws_url, max_queue=None) for _ in range(20)]
    try:
        # the server does not negotiate compression (offered by websockets by default)
        assert [c.ws.protocol.extensions for c in clients] == [[]] * len(clients)
        for c in clients:
            await c.subscribe(*channels)
        for c in clients:
            await c.drain()  # initial limit.depth and bookTicker
        rest = AsyncRest(ws_server, maker.user)
        for first in range(0, SWEEP, 50):
            asks = [
                {
                    "side": "sell",
                    "orderType": "limit",
                    "force": "normal",
                    "price": f"{2000 + (first + i) / 100:.2f}",
                    "quantity": "0.001",
                }
                for i in range(50)
            ]
            body = {"symbol": f"{sym}_SPBL", "orderList": asks}
            r = await rest.post("/api/spot/v1/trade/batch-orders", body)
            assert r["code"] == "00000" and len(r["data"]["resultList"]) == 50, r
        await rest.close()
        taker.order(symbol=f"{sym}_SPBL", side="buy", orderType="market", quantity="4000")
        got = [await c.drain(timeout=30) for c in clients]
    finally:
        for c in clients:
            await c.close()
    assert all(g == got[0] for g in got)
    frames = got[0]
    by: dict[str, list[Any]] = {ch: [f for f in frames if f["c"] == ch] for ch in channels}
    deals = by[channels[0]]
    assert len(deals) == 1 and len(deals[0]["d"]["deals"]) == SWEEP
    assert len(json.dumps(deals[0], separators=(",", ":"))) > 65535
    prices = [d["p"] for d in deals[0]["d"]["deals"]]
    assert prices == [f"{2000 + i / 100:.2f}".rstrip("0").rstrip(".") for i in range(SWEEP)]
    versions = [int(f["d"]["r"]) for f in by[channels[1]]]
    assert versions == list(range(versions[0], versions[0] + len(versions)))
    assert len(versions) >= 2 and len(by[channels[1]][-1]["d"]["asks"]) == SWEEP
    assert by[channels[2]][-1]["d"]["asks"] == []
    assert by[channels[3]][-1]["d"] == {"A": "0", "B": "0", "a": "0", "b": "0"}


async def test_direct_writes_with_permessage_deflate(tmp_path: Path) -> None:
    """Frames written directly are sent uncompressed (RSV1 0) on a connection that
    negotiated permessage-deflate; the close notice, sent through the protocol, is
    compressed; the client reads both."""
    options = {"ws_per_message_deflate": True}
    srv = in_process(tmp_path / "data", direct=True, ws_options=options)
    try:
        user = RestUser(srv, {"USDT": "1000"})
        key = user.listen_key()
        ws = await WsClient.open(srv.ws_url, key)
        assert [type(e).__name__ for e in ws.ws.protocol.extensions] == ["PerMessageDeflate"]
        hub = srv.api.hub if srv.api is not None else None
        assert srv.call(lambda: [c.sink is not None for c in hub.conns] if hub else []) == [True]
        await ws.subscribe(*PRIVATE)
        oid = user.order(side="buy", orderType="limit", price="1", quantity="0.001")
        assert user.keys("DELETE", key)[0] == 200
        frames, code = await ws.closed_with()
    finally:
        srv.stop()
    pushed = frames[:-1]  # the order's frame and the freeze of its funds
    assert sorted(f["c"] for f in pushed) == sorted([PRIVATE[0], PRIVATE[2]])
    assert [f["d"]["i"] for f in pushed if f["c"] == PRIVATE[0]] == [oid]
    assert frames[-1] == {"id": 0, "code": 12, "msg": "the listen key was deleted"}
    assert code == 1008


@PATHS
async def test_backed_up_client_gets_its_queue_then_the_notice(
    tmp_path: Path, direct: bool
) -> None:
    batch = [
        {"side": "buy", "orderType": "limit", "price": "1", "quantity": "0.001", "force": "normal"}
    ] * 50
    config = WsConfig(queue_size=4096)
    srv = in_process(tmp_path / "data", ws_config=config, sndbuf=8192, direct=direct)
    try:
        user = RestUser(srv, {"USDT": "1000000"})
        key = user.listen_key()
        reader = await WsClient.open(srv.ws_url, key, max_queue=None)
        await reader.subscribe(*PRIVATE)
        stalled = RawSubscriber(srv.url, f"/ws?listenKey={key}", PRIVATE)
        hub = srv.api.hub if srv.api is not None else None

        def queued() -> int:  # frames waiting for the stalled client (opened last)
            return len(max(hub.conns, key=lambda c: c.conn_id).outbox) if hub else 0

        rest = AsyncRest(srv, user.user)
        batches = 0
        while srv.call(queued) == 0:
            r = await rest.post(
                "/api/spot/v1/trade/batch-orders", {"symbol": "BTCUSDT_SPBL", "orderList": batch}
            )
            assert r["code"] == "00000", r
            batches += 1
            assert batches < 40, "the stalled client never backed up"
        await rest.close()
        assert user.keys("DELETE", key)[0] == 200
        pushed, code = await reader.closed_with()
        frames = await asyncio.to_thread(stalled.read_to_end)
        dropped = srv.call(lambda: hub.dropped_total if hub else -1)
    finally:
        srv.stop()
    assert code == 1008 and len(pushed) == 100 * batches + 1
    assert dropped == 0
    texts = [loads(p) for op, p in frames if op == 1]
    assert texts[0] == {"id": 0, "code": 0, "msg": ",".join(PRIVATE)}
    assert texts[1:] == pushed  # the same stream as the reading client, notice included
    assert texts[-1] == {"id": 0, "code": 12, "msg": "the listen key was deleted"}
    assert frames[-1][0] == 8 and int.from_bytes(frames[-1][1][:2], "big") == 1008
