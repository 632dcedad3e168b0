"""Private streams: the exact frames of each order type's lifecycle.

Two users per test, Alice (100000 USDT) and Bob (1 BTC), each with a listen key and one
connection subscribed to the orders, deals and account channels. Every test leaves the
BTCUSDT book empty. BTCUSDT: price scale 2, quantity scale 6, fees 0.1% maker and taker
(in the coin received). Times are checked loosely and then removed before comparing.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

from tests.support.server import ServerProcess
from tests.ws.support import PRIVATE, RestUser, WsClient

ORDERS, DEALS, ACCOUNT = PRIVATE
Frame = tuple[str, dict[str, Any]]
TIME_KEYS = {ORDERS: "O", DEALS: "T", ACCOUNT: "c"}


def order(
    i: str,
    side: int,
    o: int,
    p: str,
    v: str,
    a: str,
    rem: tuple[str, str],
    s: int,
    *,
    c: str = "",
    m: int = 0,
    fill: tuple[str, str, str] = ("0", "0", "0"),
) -> Frame:
    """An order frame; ``rem`` is (V, A), ``fill`` is (ap, cv, ca)."""
    ap, cv, ca = fill
    d = {"A": D(rem[1]), "S": side, "V": D(rem[0]), "a": D(a), "c": c, "i": i, "m": m}
    d |= {"o": o, "p": D(p), "s": s, "v": D(v), "ap": D(ap), "cv": D(cv), "ca": D(ca)}
    return ORDERS, d


def deal(
    i: str, side: int, p: str, v: str, a: str, m: int, fee: str, coin: str, c: str = ""
) -> Frame:
    d = {"p": p, "v": v, "a": a, "S": side, "c": c, "i": i, "m": m, "st": 0, "n": fee, "N": coin}
    return DEALS, d


def acct(coin: str, f: str, fd: str, lk: str, ld: str, o: str) -> Frame:
    return ACCOUNT, {"a": coin, "f": f, "fd": fd, "l": lk, "ld": ld, "o": o}


def strip(frames: list[Any]) -> list[Frame]:
    """``(channel, d)`` with times checked and removed; trade ids checked and removed."""
    now = time.time_ns() // 1_000_000
    out: list[Frame] = []
    for f in frames:
        c, d = f["c"], dict(f["d"])
        assert abs(f["t"] - now) < 60_000 and type(f["t"]) is int, f
        assert ("s" in f) == (c != ACCOUNT), f
        if c != ACCOUNT:
            assert f["s"] == "BTCUSDT_SPBL", f
        stamp = d.pop(TIME_KEYS[c])
        assert type(stamp) is int and abs(stamp - now) < 60_000, f
        if c == DEALS:
            assert d.pop("t").isdigit(), f
        out.append((c, d))
    return out


@dataclass
class Side:
    rest: RestUser
    ws: WsClient
    key: str

    async def frames(self) -> list[Frame]:
        return strip(await self.ws.drain())


@asynccontextmanager
async def pair(server: ServerProcess) -> AsyncIterator[tuple[Side, Side]]:
    sides = []
    for funds in ({"USDT": "100000"}, {"BTC": "1"}):
        rest = RestUser(server, funds)
        key = rest.listen_key()
        ws = await WsClient.open(server.ws_url, key)
        await ws.subscribe(*PRIVATE)
        sides.append(Side(rest, ws, key))
    try:
        yield sides[0], sides[1]
    finally:
        for s in sides:
            await s.ws.close()
    depth = sides[0].rest.rest.get("/api/spot/v1/market/depth", {"symbol": "BTCUSDT_SPBL"})
    assert depth["data"]["asks"] == depth["data"]["bids"] == [], "a test left orders behind"


def limit(side: str, price: str, qty: str, force: str = "normal", coid: str = "") -> dict[str, str]:
    body = {"side": side, "orderType": "limit", "price": price, "quantity": qty, "force": force}
    return body | ({"clientOrderId": coid} if coid else {})


async def test_limit_rests_then_fills(ws_server: ServerProcess) -> None:
    async with pair(ws_server) as (alice, bob):
        a = alice.rest.order(**limit("buy", "30000", "0.5", coid="a-1"))
        assert await alice.frames() == [
            acct("USDT", "85000", "-15000", "15000", "15000", "ENTRUST_PLACE"),
            order(a, 1, 1, "30000", "0.5", "15000", ("0.5", "15000"), 1, c="a-1"),
        ]
        assert await bob.frames() == []
        b = bob.rest.order(**limit("sell", "30000", "0.5", coid="b-1"))
        full = ("30000", "0.5", "15000")
        assert await bob.frames() == [
            acct("BTC", "0.5", "-0.5", "0.5", "0.5", "ENTRUST_PLACE"),
            order(b, 2, 1, "30000", "0.5", "15000", ("0.5", "15000"), 1, c="b-1"),
            deal(b, 2, "30000", "0.5", "15000", 0, "15", "USDT", c="b-1"),
            acct("BTC", "0.5", "0", "0", "-0.5", "ENTRUST"),
            acct("USDT", "15000", "15000", "0", "0", "ENTRUST"),
            acct("USDT", "14985", "-15", "0", "0", "TRADE_FEE"),
            order(b, 2, 1, "30000", "0.5", "15000", ("0", "0"), 2, c="b-1", fill=full),
        ]
        assert await alice.frames() == [
            deal(a, 1, "30000", "0.5", "15000", 1, "0.0005", "BTC", c="a-1"),
            order(a, 1, 1, "30000", "0.5", "15000", ("0", "0"), 2, c="a-1", m=1, fill=full),
            acct("USDT", "85000", "0", "0", "-15000", "ENTRUST"),
            acct("BTC", "0.5", "0.5", "0", "0", "ENTRUST"),
            acct("BTC", "0.4995", "-0.0005", "0", "0", "TRADE_FEE"),
        ]


async def test_partial_fill_then_cancel_and_plain_cancel(ws_server: ServerProcess) -> None:
    async with pair(ws_server) as (alice, bob):
        a = alice.rest.order(**limit("buy", "30000", "0.5"))
        await alice.frames()
        b = bob.rest.order(**limit("sell", "30000", "0.2"))
        part = ("30000", "0.2", "6000")
        assert await alice.frames() == [
            deal(a, 1, "30000", "0.2", "6000", 1, "0.0002", "BTC"),
            order(a, 1, 1, "30000", "0.5", "15000", ("0.3", "9000"), 3, m=1, fill=part),
            acct("USDT", "85000", "0", "9000", "-6000", "ENTRUST"),
            acct("BTC", "0.2", "0.2", "0", "0", "ENTRUST"),
            acct("BTC", "0.1998", "-0.0002", "0", "0", "TRADE_FEE"),
        ]
        assert await bob.frames() == [
            acct("BTC", "0.8", "-0.2", "0.2", "0.2", "ENTRUST_PLACE"),
            order(b, 2, 1, "30000", "0.2", "6000", ("0.2", "6000"), 1),
            deal(b, 2, "30000", "0.2", "6000", 0, "6", "USDT"),
            acct("BTC", "0.8", "0", "0", "-0.2", "ENTRUST"),
            acct("USDT", "6000", "6000", "0", "0", "ENTRUST"),
            acct("USDT", "5994", "-6", "0", "0", "TRADE_FEE"),
            order(b, 2, 1, "30000", "0.2", "6000", ("0", "0"), 2, fill=part),
        ]
        alice.rest.cancel(a)
        assert await alice.frames() == [
            acct("USDT", "94000", "9000", "0", "-9000", "ENTRUST_CANCEL"),
            order(a, 1, 1, "30000", "0.5", "15000", ("0.3", "9000"), 5, fill=part),
        ]
        c = alice.rest.order(**limit("buy", "29000", "0.1"))
        alice.rest.cancel(c)
        assert await alice.frames() == [
            acct("USDT", "91100", "-2900", "2900", "2900", "ENTRUST_PLACE"),
            order(c, 1, 1, "29000", "0.1", "2900", ("0.1", "2900"), 1),
            acct("USDT", "94000", "2900", "0", "-2900", "ENTRUST_CANCEL"),
            order(c, 1, 1, "29000", "0.1", "2900", ("0.1", "2900"), 4),
        ]
        assert await bob.frames() == []


async def test_ioc_partly_filled_and_unfilled(ws_server: ServerProcess) -> None:
    async with pair(ws_server) as (alice, bob):
        b = bob.rest.order(**limit("sell", "30000", "0.2"))
        await bob.frames()
        a = alice.rest.order(**limit("buy", "30100", "0.5", "ioc"))
        part = ("30000", "0.2", "6000")
        assert await alice.frames() == [
            acct("USDT", "84950", "-15050", "15050", "15050", "ENTRUST_PLACE"),
            order(a, 1, 3, "30100", "0.5", "15050", ("0.5", "15050"), 1),
            deal(a, 1, "30000", "0.2", "6000", 0, "0.0002", "BTC"),
            acct("USDT", "84950", "0", "9050", "-6000", "ENTRUST"),
            acct("BTC", "0.2", "0.2", "0", "0", "ENTRUST"),
            acct("BTC", "0.1998", "-0.0002", "0", "0", "TRADE_FEE"),
            acct("USDT", "94000", "9050", "0", "-9050", "ENTRUST_CANCEL"),
            order(a, 1, 3, "30100", "0.5", "15050", ("0.3", "9030"), 5, fill=part),
        ]
        assert await bob.frames() == [
            deal(b, 2, "30000", "0.2", "6000", 1, "6", "USDT"),
            order(b, 2, 1, "30000", "0.2", "6000", ("0", "0"), 2, m=1, fill=part),
            acct("BTC", "0.8", "0", "0", "-0.2", "ENTRUST"),
            acct("USDT", "6000", "6000", "0", "0", "ENTRUST"),
            acct("USDT", "5994", "-6", "0", "0", "TRADE_FEE"),
        ]
        a2 = alice.rest.order(**limit("buy", "30000", "0.1", "ioc"))
        assert await alice.frames() == [
            acct("USDT", "91000", "-3000", "3000", "3000", "ENTRUST_PLACE"),
            order(a2, 1, 3, "30000", "0.1", "3000", ("0.1", "3000"), 1),
            acct("USDT", "94000", "3000", "0", "-3000", "ENTRUST_CANCEL"),
            order(a2, 1, 3, "30000", "0.1", "3000", ("0.1", "3000"), 4),
        ]


async def test_fok_filled_across_levels_and_rejected(ws_server: ServerProcess) -> None:
    async with pair(ws_server) as (alice, bob):
        b1 = bob.rest.order(**limit("sell", "30000", "0.2"))
        b2 = bob.rest.order(**limit("sell", "30010", "0.3"))
        await bob.frames()
        a = alice.rest.order(**limit("buy", "30010", "0.5", "fok"))
        assert await alice.frames() == [
            acct("USDT", "84995", "-15005", "15005", "15005", "ENTRUST_PLACE"),
            order(a, 1, 4, "30010", "0.5", "15005", ("0.5", "15005"), 1),
            deal(a, 1, "30000", "0.2", "6000", 0, "0.0002", "BTC"),
            acct("USDT", "84995", "0", "9005", "-6000", "ENTRUST"),
            acct("BTC", "0.2", "0.2", "0", "0", "ENTRUST"),
            acct("BTC", "0.1998", "-0.0002", "0", "0", "TRADE_FEE"),
            deal(a, 1, "30010", "0.3", "9003", 0, "0.0003", "BTC"),
            acct("USDT", "84995", "0", "2", "-9003", "ENTRUST"),
            acct("BTC", "0.4998", "0.3", "0", "0", "ENTRUST"),
            acct("BTC", "0.4995", "-0.0003", "0", "0", "TRADE_FEE"),
            acct("USDT", "84997", "2", "0", "-2", "ENTRUST_UNFROZEN"),
            order(a, 1, 4, "30010", "0.5", "15005", ("0", "0"), 2, fill=("30006", "0.5", "15003")),
        ]
        assert await bob.frames() == [
            deal(b1, 2, "30000", "0.2", "6000", 1, "6", "USDT"),
            order(
                b1, 2, 1, "30000", "0.2", "6000", ("0", "0"), 2, m=1, fill=("30000", "0.2", "6000")
            ),
            acct("BTC", "0.5", "0", "0.3", "-0.2", "ENTRUST"),
            acct("USDT", "6000", "6000", "0", "0", "ENTRUST"),
            acct("USDT", "5994", "-6", "0", "0", "TRADE_FEE"),
            deal(b2, 2, "30010", "0.3", "9003", 1, "9.003", "USDT"),
            order(
                b2, 2, 1, "30010", "0.3", "9003", ("0", "0"), 2, m=1, fill=("30010", "0.3", "9003")
            ),
            acct("BTC", "0.5", "0", "0", "-0.3", "ENTRUST"),
            acct("USDT", "14997", "9003", "0", "0", "ENTRUST"),
            acct("USDT", "14987.997", "-9.003", "0", "0", "TRADE_FEE"),
        ]
        r = alice.rest.order_raw(**limit("buy", "30010", "1", "fok"))
        assert r["code"] == "43116", r
        assert await alice.frames() == []


async def test_market_buy_by_quote_and_market_sell(ws_server: ServerProcess) -> None:
    async with pair(ws_server) as (alice, bob):
        b = bob.rest.order(**limit("sell", "30000", "0.2"))
        a = alice.rest.order(side="buy", orderType="market", quantity="3000")
        assert await alice.frames() == [
            acct("USDT", "97000", "-3000", "3000", "3000", "ENTRUST_PLACE"),
            order(a, 1, 5, "0", "0", "3000", ("0", "3000"), 1),
            deal(a, 1, "30000", "0.1", "3000", 0, "0.0001", "BTC"),
            acct("USDT", "97000", "0", "0", "-3000", "ENTRUST"),
            acct("BTC", "0.1", "0.1", "0", "0", "ENTRUST"),
            acct("BTC", "0.0999", "-0.0001", "0", "0", "TRADE_FEE"),
            order(a, 1, 5, "0", "0", "3000", ("0", "0"), 2, fill=("30000", "0.1", "3000")),
        ]
        bob.rest.cancel(b)
        bid = bob.rest.order(**limit("buy", "29000", "0.1"))
        await bob.frames()
        s = alice.rest.order(side="sell", orderType="market", quantity="0.05")
        assert await alice.frames() == [
            acct("BTC", "0.0499", "-0.05", "0.05", "0.05", "ENTRUST_PLACE"),
            order(s, 2, 5, "0", "0.05", "0", ("0.05", "0"), 1),
            deal(s, 2, "29000", "0.05", "1450", 0, "1.45", "USDT"),
            acct("BTC", "0.0499", "0", "0", "-0.05", "ENTRUST"),
            acct("USDT", "98450", "1450", "0", "0", "ENTRUST"),
            acct("USDT", "98448.55", "-1.45", "0", "0", "TRADE_FEE"),
            order(s, 2, 5, "0", "0.05", "0", ("0", "0"), 2, fill=("29000", "0.05", "1450")),
        ]
        frames = await bob.frames()
        assert [c for c, _ in frames] == [DEALS, ORDERS, ACCOUNT, ACCOUNT, ACCOUNT]
        assert frames[1][1]["s"] == 3 and frames[1][1]["m"] == 1
        bob.rest.cancel(bid)


async def test_post_only_rests_or_is_rejected(ws_server: ServerProcess) -> None:
    async with pair(ws_server) as (alice, bob):
        b = bob.rest.order(**limit("sell", "30000", "0.2"))
        a = alice.rest.order(**limit("buy", "29990", "0.1", "post_only"))
        assert await alice.frames() == [
            acct("USDT", "97001", "-2999", "2999", "2999", "ENTRUST_PLACE"),
            order(a, 1, 2, "29990", "0.1", "2999", ("0.1", "2999"), 1),
        ]
        r = alice.rest.order_raw(**limit("buy", "30000", "0.1", "post_only"))
        assert r["code"] == "43115", r
        assert await alice.frames() == []
        bob.rest.order(**limit("sell", "29990", "0.1"))
        frames = await alice.frames()
        assert frames[:2] == [
            deal(a, 1, "29990", "0.1", "2999", 1, "0.0001", "BTC"),
            order(
                a, 1, 2, "29990", "0.1", "2999", ("0", "0"), 2, m=1, fill=("29990", "0.1", "2999")
            ),
        ]
        bob.rest.cancel(b)


async def test_each_user_sees_only_its_own_events(ws_server: ServerProcess) -> None:
    async with pair(ws_server) as (alice, bob):
        other = RestUser(ws_server, {"USDT": "1000"})
        o = other.order(**limit("buy", "1000", "0.1"))
        other.cancel(o)
        assert await alice.frames() == [] and await bob.frames() == []
        # A second connection of the same key gets the same frames, in the same order.
        second = await WsClient.open(ws_server.ws_url, alice.key)
        try:
            await second.subscribe(ORDERS)
            a = alice.rest.order(**limit("buy", "100", "0.1"))
            alice.rest.cancel(a)
            mine = [f for f in await alice.frames() if f[0] == ORDERS]
            assert strip(await second.drain()) == mine and [d["s"] for _, d in mine] == [1, 4]
        finally:
            await second.close()
