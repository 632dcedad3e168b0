"""Listen keys on ``/ws``: validity, limits, DELETE, expiry, keepalive, restarts.

Expiry and lifetimes are driven by a fake runtime clock in an in-process server (the hub
checks every 50 ms of real time against the runtime clock); the rest runs against a real
server process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from openweex.api.ws.conn import WsConfig
from tests.support.server import ServerProcess
from tests.ws.support import PRIVATE, FakeClock, InProcessServer, RestUser, WsClient, in_process

MINUTE = 60_000
ORDER = {"side": "buy", "orderType": "limit", "price": "100", "quantity": "0.1"}


def notice(code: int) -> dict[str, object]:
    """A close notice without its text (checked separately)."""
    return {"id": 0, "code": code}


async def refused(url: str, key: str | None) -> tuple[list[dict[str, object]], int | None]:
    c = await WsClient.open(url, key)
    return await c.closed_with()


def assert_notice(frames: list[dict[str, object]], code: int, words: str) -> None:
    assert len(frames) >= 1, frames
    last = frames[-1]
    assert {k: last[k] for k in ("id", "code")} == notice(code), last
    assert words in str(last["msg"]), last


async def test_unknown_or_empty_key_is_refused(ws_server: ServerProcess) -> None:
    for key in ("nope", ""):
        frames, code = await refused(ws_server.ws_url, key)
        assert code == 1008
        assert_notice(frames, 10, "does not exist")


async def test_five_connections_per_key(ws_server: ServerProcess) -> None:
    user = RestUser(ws_server, {"USDT": "1000"})
    key = user.listen_key()
    conns = [await WsClient.open(ws_server.ws_url, key) for _ in range(5)]
    try:
        frames, code = await refused(ws_server.ws_url, key)
        assert code == 1008
        assert_notice(frames, 13, "5 connections")
        for c in conns:
            assert await c.drain() == []
        await conns.pop().close()
        for _ in range(50):  # the server sees the close at once; allow it a moment
            c = await WsClient.open(ws_server.ws_url, key)
            try:
                await c.send({"method": "PING"})
                reply = await c.reply()
            except ConnectionClosed:  # refused (notice 13, then 1008) before the PING
                reply = notice(13)
            if reply["code"] != 13:
                break
            await c.close()
            await asyncio.sleep(0.02)
        conns.append(c)
        assert reply == {"id": 0, "code": 0, "msg": "PONG"}
    finally:
        for c in conns:
            await c.close()


async def test_sixty_keys_per_user(ws_server: ServerProcess) -> None:
    user = RestUser(ws_server)
    keys = [user.listen_key() for _ in range(60)]
    status, body = user.keys("POST")
    assert status == 400 and body["code"] == "40041", body
    status, listed = user.keys("GET")
    assert status == 200 and sorted(listed["listenKey"]) == sorted(keys)
    assert user.keys("DELETE", keys[0]) == (200, {"listenKey": keys[0]})
    assert len(user.listen_key()) == 64


async def test_delete_closes_the_key_and_its_connections(ws_server: ServerProcess) -> None:
    user = RestUser(ws_server, {"USDT": "1000"})
    key, other_key = user.listen_key(), user.listen_key()
    doomed = [await WsClient.open(ws_server.ws_url, key) for _ in range(2)]
    other = await WsClient.open(ws_server.ws_url, other_key)
    try:
        for c in [*doomed, other]:
            await c.subscribe(*PRIVATE)
        user.order(**ORDER)  # frames queued before the DELETE still arrive first
        assert user.keys("DELETE", key) == (200, {"listenKey": key})
        for c in doomed:
            frames, code = await c.closed_with()
            assert code == 1008
            assert [f["c"] for f in frames[:-1]] == [PRIVATE[2], PRIVATE[0]]
            assert_notice(frames, 12, "deleted")
        assert [f["c"] for f in await other.drain()] == [PRIVATE[2], PRIVATE[0]]
        frames, code = await refused(ws_server.ws_url, key)
        assert_notice(frames, 10, "does not exist")
        status, body = user.keys("PUT", key)
        assert status == 400 and body["code"] == "40042", body
    finally:
        await other.close()


async def test_a_frozen_user_has_no_private_stream(ws_server: ServerProcess) -> None:
    user = RestUser(ws_server, {"USDT": "10"})
    key = user.listen_key()
    c = await WsClient.open(ws_server.ws_url, key)
    other = await WsClient.open(ws_server.ws_url)  # a public connection: not the user's
    try:
        await c.subscribe(*PRIVATE)
        await other.subscribe("spot@public.deals.v3.api@BTCUSDT")
        ws_server.admin("POST", f"/accounts/{user.user.uid}/freeze")
        frames, code = await c.closed_with()
        assert code == 1008
        assert_notice(frames, 18, "frozen")
        frames, code = await refused(ws_server.ws_url, key)  # the key itself still lives
        assert code == 1008
        assert_notice(frames, 18, "frozen")
        assert await other.drain() == []  # still open
        ws_server.admin("POST", f"/accounts/{user.user.uid}/unfreeze")
        again = await WsClient.open(ws_server.ws_url, key)
        try:
            await again.subscribe(*PRIVATE)
            ws_server.admin(
                "POST", "/deposits", {"uid": user.user.uid, "coin": "USDT", "amount": "1"}
            )
            assert [f["c"] for f in await again.drain()] == [PRIVATE[2]]
        finally:
            await again.close()
    finally:
        await other.close()


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[InProcessServer, FakeClock]]:
    clock = FakeClock(1_700_000_000_000)
    config = WsConfig(check_interval_s=0.05, idle_ms=30_000)
    srv = in_process(tmp_path / "data", clock=clock, ws_config=config)
    yield srv, clock
    srv.stop()


async def test_key_expires_unless_kept_alive(clocked: tuple[InProcessServer, FakeClock]) -> None:
    srv, clock = clocked
    user = RestUser(srv, {"USDT": "1000"})
    key = user.listen_key()
    c = await WsClient.open(srv.ws_url, key)
    await c.subscribe(*PRIVATE)
    clock.advance(59 * MINUTE)
    await asyncio.sleep(0.2)
    assert await c.drain() == []
    assert user.keys("PUT", key) == (200, {"listenKey": key})  # now valid until 119 min
    clock.advance(59 * MINUTE)
    await asyncio.sleep(0.2)
    assert await c.drain() == []
    clock.advance(MINUTE)
    frames, code = await c.closed_with()
    assert code == 1008
    assert_notice(frames, 11, "expired")
    frames, code = await refused(srv.ws_url, key)
    assert_notice(frames, 11, "expired")
    status, body = user.keys("PUT", key)
    assert status == 400 and body["code"] == "40042", body


async def test_connection_lifetime_and_idle_rule(
    clocked: tuple[InProcessServer, FakeClock],
) -> None:
    srv, clock = clocked
    busy = await WsClient.open(srv.ws_url)
    await busy.subscribe("spot@public.deals.v3.api@BTCUSDT")
    idle = await WsClient.open(srv.ws_url)
    assert await idle.drain() == []
    clock.advance(29_000)
    await asyncio.sleep(0.2)
    assert await idle.drain() == []
    clock.advance(1_000)
    frames, code = await idle.closed_with()
    assert code == 1008
    assert_notice(frames, 15, "no subscription")
    clock.advance(24 * 60 * MINUTE - 30_001)
    await asyncio.sleep(0.2)
    assert await busy.drain() == []
    clock.advance(1)
    frames, code = await busy.closed_with()
    assert code == 1001
    assert_notice(frames, 14, "24 hours")


async def test_key_survives_a_restart(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", ["--no-rate-limits"]).start()
    try:
        user = RestUser(srv, {"USDT": "1000"})
        key = user.listen_key()
        c = await WsClient.open(srv.ws_url, key)
        await c.subscribe(*PRIVATE)
        public = await WsClient.open(srv.ws_url)
        await public.subscribe("spot@public.deals.v3.api@BTCUSDT")
        # SIGTERM: every connection is told why before the server goes (notice 17, 1001).
        stopping = asyncio.create_task(asyncio.to_thread(srv.stop))
        for client in (c, public):
            frames, code = await client.closed_with()
            assert code == 1001
            assert_notice(frames, 17, "shutting down")
        assert await stopping == 0
        srv.start()  # same data dir, new port
        user = RestUser(srv, user=user.user)
        assert user.keys("GET") == (200, {"listenKey": [key]})
        c = await WsClient.open(srv.ws_url, key)
        await c.subscribe(*PRIVATE)
        oid = user.order(**ORDER)
        frames = await c.drain()
        assert [(f["c"], f["d"].get("i")) for f in frames] == [
            (PRIVATE[2], None),
            (PRIVATE[0], oid),
        ]
        await c.close()
    finally:
        srv.stop()
