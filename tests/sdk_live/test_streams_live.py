"""Private and public streams against the real server, including a reconnect after the
server restarts on the same port and data directory."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openweex.client import (
    AccountEvent,
    BookTickerEvent,
    DealEvent,
    DepthEvent,
    KlineEvent,
    OrderEvent,
    PublicDealsEvent,
    Stream,
    StreamError,
    StreamEvent,
    StreamOrderStatus,
    TransportError,
    book_ticker_channel,
    deals_channel,
    kline_channel,
    limit_depth_channel,
    private_stream,
    public_stream,
)
from tests.support.server import ServerProcess, User

from .helpers import BTC, NO_RETRY, async_client_for

Match = Callable[[StreamEvent], bool]


async def _read_until(stream: Stream, matches: list[Match], seen: list[StreamEvent]) -> None:
    while not all(any(match(event) for event in seen) for match in matches):
        seen.append(await anext(stream))


async def collect(
    stream: Stream, *matches: Match, seen: list[StreamEvent] | None = None, timeout: float = 20
) -> Any:
    """Read events until each ``match`` has matched one of them; returns the first event
    matching the first ``match``. Events read are appended to ``seen``."""
    events = [] if seen is None else seen
    await asyncio.wait_for(_read_until(stream, list(matches), events), timeout)
    return next(event for event in events if matches[0](event))


def order_event(client_order_id: str, status: StreamOrderStatus) -> Match:
    def match(event: StreamEvent) -> bool:
        return (
            isinstance(event, OrderEvent)
            and event.client_order_id == client_order_id
            and event.status is status
        )

    return match


def _is_deal(event: StreamEvent) -> bool:
    return isinstance(event, DealEvent)


async def test_private_stream_sees_orders_deals_and_balances(
    live: ServerProcess, user: User, other: User
) -> None:
    async with async_client_for(live, user) as maker, async_client_for(live, other) as taker:
        async with private_stream(maker) as events:
            assert len(await maker.get_listen_keys()) == 1
            await maker.place_order(
                BTC, "sell", "limit", "0.1", price="35000", client_order_id="s1"
            )
            seen: list[StreamEvent] = []
            await collect(events, order_event("s1", StreamOrderStatus.NEW), seen=seen)
            await taker.place_order(BTC, "buy", "limit", "0.1", price="35000")
            filled = await collect(
                events, order_event("s1", StreamOrderStatus.FILLED), _is_deal, seen=seen
            )
            deal = next(e for e in seen if isinstance(e, DealEvent))
        assert await maker.get_listen_keys() == []  # closed with the stream
    assert filled.cumulative_quantity == Decimal("0.1") and filled.avg_price == Decimal("35000")
    assert deal.price == Decimal("35000") and deal.quantity == Decimal("0.1")
    assert deal.is_maker and deal.fee > 0
    changes = [e.change_type for e in seen if isinstance(e, AccountEvent)]
    assert "ENTRUST_PLACE" in changes


async def test_public_stream(live: ServerProcess, user: User, other: User) -> None:
    channels = [
        deals_channel("BTCUSDT"),
        book_ticker_channel(BTC),
        limit_depth_channel("BTCUSDT", 5),
        kline_channel("BTCUSDT", "Min1"),
    ]
    async with (
        async_client_for(live, user) as maker,
        async_client_for(live, other) as taker,
        public_stream(channels, base_url=live.url) as events,
    ):
        await maker.place_order(BTC, "sell", "limit", "0.2", price="36000")
        await taker.place_order(BTC, "buy", "limit", "0.05", price="36000")
        seen: list[StreamEvent] = []
        trade = await collect(
            events,
            lambda e: isinstance(e, PublicDealsEvent),
            lambda e: isinstance(e, KlineEvent),
            lambda e: isinstance(e, BookTickerEvent) and e.ask_price > 0,
            seen=seen,
        )
        await maker.cancel_order(BTC, (await maker.get_open_orders(BTC))[0].order_id)
    assert trade.deals[0].price == Decimal("36000")
    assert any(isinstance(e, DepthEvent) and e.snapshot for e in seen)


async def test_rejected_subscriptions(live: ServerProcess) -> None:
    with pytest.raises(StreamError):
        async with public_stream(["spot@public.nope.v3.api@BTCUSDT"], base_url=live.url):
            pass
    with pytest.raises(StreamError):
        async with public_stream(["spot@private.orders.v3.api"], base_url=live.url):
            pass


async def test_unreachable_server_gives_up(tmp_path: Path) -> None:
    stream = public_stream(
        [deals_channel("BTCUSDT")],
        base_url="http://127.0.0.1:9",
        reconnect_initial=0.01,
        max_reconnects=1,
    )
    with pytest.raises(TransportError):
        async with stream:
            pass


async def test_private_stream_replaces_a_deleted_listen_key(
    live: ServerProcess, user: User
) -> None:
    async with (
        async_client_for(live, user) as c,
        private_stream(c, reconnect_initial=0.05) as stream,
    ):
        [key] = await c.get_listen_keys()
        await c.close_listen_key(key)  # deleted elsewhere: the server closes the connection
        after = asyncio.create_task(collect(stream, order_event("r1", StreamOrderStatus.NEW)))
        while stream.connections < 2 and not after.done():
            await asyncio.sleep(0.05)
        keys = await c.get_listen_keys()
        assert len(keys) == 1 and keys != [key]
        await c.place_order(BTC, "buy", "limit", "0.001", price="1000", client_order_id="r1")
        assert (await after).client_order_id == "r1"


async def test_private_stream_reconnects_after_a_restart(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", ["--no-rate-limits"]).start()
    try:
        srv.args += ["--port", srv.url.rsplit(":", 1)[1]]  # the same port after the restart
        user = srv.new_user({"USDT": "1000"})
        async with async_client_for(srv, user) as c:
            stream = private_stream(c, reconnect_initial=0.1, reconnect_max=0.5)
            async with stream:
                keys = await c.get_listen_keys()
                await c.place_order(BTC, "buy", "limit", "0.001", price="1000", client_order_id="a")
                await collect(stream, order_event("a", StreamOrderStatus.NEW))
                after = asyncio.create_task(
                    collect(stream, order_event("b", StreamOrderStatus.NEW), timeout=60)
                )
                await asyncio.to_thread(srv.stop)
                await asyncio.to_thread(srv.start)
                while stream.connections < 2 and not after.done():
                    await asyncio.sleep(0.05)
                assert await c.get_listen_keys() == keys  # the key survived the restart
                await c.place_order(BTC, "buy", "limit", "0.001", price="1000", client_order_id="b")
                event = await after
        assert event.client_order_id == "b" and stream.connections == 2
    finally:
        srv.stop()


async def test_a_read_that_times_out_keeps_the_private_stream(
    live: ServerProcess, user: User
) -> None:
    async with async_client_for(live, user) as c, private_stream(c) as stream:
        keys = await c.get_listen_keys()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(stream), 0.2)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await anext(stream)
        assert await c.get_listen_keys() == keys and len(keys) == 1
        await c.place_order(BTC, "buy", "limit", "0.001", price="1000", client_order_id="t1")
        event = await collect(stream, order_event("t1", StreamOrderStatus.NEW))
        assert stream.connections == 1
    assert event.client_order_id == "t1"
    async with async_client_for(live, user) as c:
        assert await c.get_listen_keys() == []


async def test_a_read_that_times_out_keeps_the_public_stream(
    live: ServerProcess, user: User, other: User
) -> None:
    async with (
        async_client_for(live, user) as maker,
        async_client_for(live, other) as taker,
        public_stream([deals_channel("BTCUSDT")], base_url=live.url) as stream,
    ):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(stream), 0.2)
        await maker.place_order(BTC, "sell", "limit", "0.01", price="37000")
        await taker.place_order(BTC, "buy", "limit", "0.01", price="37000")
        trade = await collect(stream, lambda e: isinstance(e, PublicDealsEvent))
    assert trade.deals[0].price == Decimal("37000")


async def test_an_error_in_the_body_survives_a_reading_task(
    live: ServerProcess, user: User
) -> None:
    async with async_client_for(live, user) as c:
        seen: list[StreamEvent] = []

        async def listen(stream: Stream) -> None:
            async for event in stream:
                seen.append(event)

        with pytest.raises(ValueError, match="bot logic failed"):
            async with private_stream(c) as stream:
                listener = asyncio.create_task(listen(stream))
                await asyncio.sleep(0.2)
                raise ValueError("bot logic failed")
        await asyncio.wait_for(listener, 10)  # the listener's iteration ended
        assert await c.get_listen_keys() == []


async def test_an_http_ws_url_is_accepted(live: ServerProcess) -> None:
    async with public_stream([book_ticker_channel(BTC)], ws_url=f"{live.url}/ws") as stream:
        assert stream.connections == 1


def test_watch_with_an_invalid_ws_url_is_a_usage_error(live: ServerProcess, user: User) -> None:
    env = {
        **os.environ,
        "OPENWEEX_URL": live.url,
        "OPENWEEX_API_KEY": user.api_key,
        "OPENWEEX_SECRET_KEY": user.secret,
        "OPENWEEX_PASSPHRASE": user.passphrase,
    }
    ws_url = live.url.replace("http://", "ftp://") + "/ws"
    cmd = [sys.executable, "-m", "openweex", "client", "watch", "orders", "--ws-url", ws_url]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: invalid WebSocket URL")
    assert "Traceback" not in done.stderr and "listenKey" not in done.stderr


async def test_private_stream_waits_for_a_server_down_at_start(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", ["--no-rate-limits"]).start()
    try:
        srv.args += ["--port", srv.url.rsplit(":", 1)[1]]  # the same port after the restart
        user = srv.new_user({"USDT": "1000"})
        await asyncio.to_thread(srv.stop)
        async with async_client_for(srv, user, retry=NO_RETRY) as c:
            stream = private_stream(c, reconnect_initial=0.1, reconnect_max=0.5)
            entering = asyncio.create_task(stream.wait_connected())
            await asyncio.sleep(1.0)
            assert not entering.done()  # still trying to create the listen key
            await asyncio.to_thread(srv.start)
            await asyncio.wait_for(entering, 30)
            async with stream:
                assert len(await c.get_listen_keys()) == 1
                await c.place_order(BTC, "buy", "limit", "0.001", price="1000", client_order_id="d")
                event = await collect(stream, order_event("d", StreamOrderStatus.NEW))
            assert await c.get_listen_keys() == []
        assert event.client_order_id == "d" and stream.connections == 1
    finally:
        srv.stop()
