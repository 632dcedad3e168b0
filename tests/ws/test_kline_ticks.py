"""Kline pushes: after trades, and every second for the candle still forming.

:class:`PublicFeed` is driven directly (engine, formatter and feed as the hub wires them)
with hand-made times; a live server test checks the periodic pushes end to end.
"""

from __future__ import annotations

import asyncio
import calendar
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openweex.api.ws.channels import Channel, parse_channel
from openweex.api.ws.conn import WsConfig
from openweex.api.ws.frames import Formatter, Frame
from openweex.api.ws.public import PublicFeed
from openweex.domain.commands import CreateAccount, Deposit, PlaceOrder
from openweex.domain.events import Trade
from openweex.domain.markets import default_markets
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import Exchange
from tests.ws.support import FakeClock, InProcessServer, RestUser, WsClient, in_process

MARKETS = default_markets()
BTC = "BTCUSDT_SPBL"
MIN1 = "spot@public.kline.v3.api@BTCUSDT@Min1"
HOUR8 = "spot@public.kline.v3.api@BTCUSDT@Hour8"
MONTH1 = "spot@public.kline.v3.api@BTCUSDT@Month1"
# 2024-02-29 17:30 UTC: in the 16:00 Hour8 interval and the February Month1 interval
T0 = calendar.timegm((2024, 2, 29, 17, 30, 0)) * 1000


class Recorder:
    """Stands in for a connection: keeps the frames pushed to it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    def push(self, frame: Frame) -> None:
        self.frames.append(json.loads(frame.payload))

    def take(self) -> list[dict[str, Any]]:
        got, self.frames = self.frames, []
        return got


def channel(text: str) -> Channel:
    ch = parse_channel(text, MARKETS)
    assert isinstance(ch, Channel), ch
    return ch


def trade(ex: Exchange, feed: PublicFeed, ts: int, price: int, qty: int) -> None:
    """A maker sells ``qty`` lots at ``price`` ticks and a taker buys them, at ``ts``."""
    for uid, side in ((10001, Side.SELL), (10002, Side.BUY)):
        order = PlaceOrder(ts, uid, BTC, side, OrderType.LIMIT, Force.NORMAL, price, qty, "")
        _, events = ex.apply(order)
        for e in events:
            if isinstance(e, Trade):
                feed.on_trade(e)
    feed.publish(lambda: ts)


@pytest.fixture
def setup() -> tuple[Exchange, PublicFeed, Recorder]:
    ex = Exchange(MARKETS)
    for cmd in (
        CreateAccount(T0),
        CreateAccount(T0),
        Deposit(T0, 10001, "BTC", 10**10),
        Deposit(T0, 10002, "USDT", 10**14),
    ):
        ex.apply(cmd)
    feed = PublicFeed(Formatter(MARKETS), ex, 0)
    conn = Recorder()
    for text in (MIN1, HOUR8, MONTH1):
        assert feed.add(conn, channel(text), T0) is None  # type: ignore[arg-type]
    return ex, feed, conn


def klines(frames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    assert len({f["c"] for f in frames}) == len(frames), frames
    return {f["c"]: f["d"]["k"] for f in frames}


def test_no_candle_no_push(setup: tuple[Exchange, PublicFeed, Recorder]) -> None:
    _, feed, conn = setup
    feed.tick(T0)
    feed.tick(T0 + 1000)
    assert conn.take() == []


def test_trades_push_then_ticks_push_what_is_still_forming(
    setup: tuple[Exchange, PublicFeed, Recorder],
) -> None:
    ex, feed, conn = setup
    trade(ex, feed, T0, 6_000_000, 1000)  # 60000.00 x 0.001
    pushed = klines(conn.take())
    assert list(pushed) == [MIN1, HOUR8, MONTH1]
    hour8_start = calendar.timegm((2024, 2, 29, 16, 0, 0))
    feb, mar = calendar.timegm((2024, 2, 1, 0, 0, 0)), calendar.timegm((2024, 3, 1, 0, 0, 0))
    assert (pushed[HOUR8]["t"], pushed[HOUR8]["T"], pushed[HOUR8]["i"]) == (
        hour8_start,
        hour8_start + 8 * 3600,
        "Hour8",
    )
    assert (pushed[MONTH1]["t"], pushed[MONTH1]["T"], pushed[MONTH1]["i"]) == (feb, mar, "Month1")
    assert pushed[MIN1]["T"] - pushed[MIN1]["t"] == 60
    # every tick pushes the forming candles again, each once, the same data (a push after a
    # batch does not count: MEXC pushes every second, whatever else it sent)
    for at in (T0 + 400, T0 + 1400):
        feed.tick(at)
        again = conn.take()
        assert klines(again) == pushed
        assert {f["t"] for f in again} == {at} and {f["s"] for f in again} == {"BTCUSDT"}
    # a later trade in the same hour moves the Hour8 and Month1 candles
    trade(ex, feed, T0 + 3_600_000 - 1, 6_100_000, 2000)
    moved = klines(conn.take())
    assert moved[HOUR8]["t"] == hour8_start
    assert (moved[HOUR8]["o"], moved[HOUR8]["h"], moved[HOUR8]["c"]) == (60000, 61000, 61000)
    assert moved[HOUR8]["v"] == 0.003 and moved[MONTH1]["v"] == 0.003
    assert moved[MIN1]["t"] == (T0 + 3_600_000 - 60_000) // 1000
    # its minute is over: only the longer candles are still forming
    feed.tick(T0 + 3_600_000 + 1000)
    assert set(klines(conn.take())) == {HOUR8, MONTH1}
    # past midnight, 1 March: the February candle is over too, and nobody traded since
    feed.tick(mar * 1000 + 1000)
    assert conn.take() == []


def test_an_unsubscribed_topic_is_not_ticked(
    setup: tuple[Exchange, PublicFeed, Recorder],
) -> None:
    ex, feed, conn = setup
    trade(ex, feed, T0, 6_000_000, 1000)
    conn.take()
    for text in (MIN1, HOUR8):
        feed.remove(conn, channel(text))  # type: ignore[arg-type]
    feed.tick(T0 + 500)
    assert list(klines(conn.take())) == [MONTH1]


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[InProcessServer, FakeClock]]:
    clock = FakeClock(T0)
    srv = in_process(tmp_path / "data", clock=clock, ws_config=WsConfig(check_interval_s=0.05))
    yield srv, clock
    srv.stop()


async def test_a_subscriber_gets_the_forming_candle_every_check(
    clocked: tuple[InProcessServer, FakeClock],
) -> None:
    srv, clock = clocked
    maker = RestUser(srv, {"BTC": "1"})
    taker = RestUser(srv, {"USDT": "100000"})
    ws = await WsClient.open(srv.ws_url)
    try:
        await ws.subscribe(MIN1, HOUR8, MONTH1)
        maker.order(side="sell", orderType="limit", price="60000", quantity="0.01")
        taker.order(side="buy", orderType="limit", price="60000", quantity="0.01")
        await asyncio.sleep(0.3)  # about six checks of the hub
        got = await ws.drain()
        for ch in (MIN1, HOUR8, MONTH1):
            mine = [f["d"]["k"] for f in got if f["c"] == ch]
            assert len(mine) >= 3, (ch, got)
            assert all(k == mine[0] for k in mine) and mine[0]["v"] == Decimal("0.01")
        clock.advance(60_000)  # the minute is over, the hour is not
        await asyncio.sleep(0.1)
        await ws.drain()
        await asyncio.sleep(0.3)
        got = await ws.drain()
        assert {f["c"] for f in got} == {HOUR8, MONTH1}, got
    finally:
        await ws.close()
