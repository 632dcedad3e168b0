"""Public streams: depth diffs against REST snapshots, deals, kline, bookTicker, limit depth."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal as D
from typing import Any

from tests.support.server import ServerProcess
from tests.ws.support import AsyncRest, RestUser, WsClient, new_user

INCREASE = "spot@public.increase.depth.v3.api@ETHUSDT"
Book = dict[str, dict[str, str]]  # "asks"/"bids" -> price -> volume


def book_of(depth: dict[str, Any]) -> Book:
    return {side: {p: v for p, v in depth[side]} for side in ("asks", "bids")}


def replay(snapshot: dict[str, Any], frames: list[dict[str, Any]]) -> Book:
    """The book after applying, to a REST snapshot, the diffs newer than its version."""
    book = book_of(snapshot)
    for f in frames:
        if int(f["d"]["r"]) <= int(snapshot["version"]):
            continue
        for side in ("asks", "bids"):
            for level in f["d"][side]:
                if D(level["v"]) == 0:
                    book[side].pop(level["p"], None)
                else:
                    book[side][level["p"]] = level["v"]
    return book


async def trader(rest: AsyncRest, rnd: random.Random, ops: int) -> None:
    """Random limit orders around 2000 (some crossing) and cancels, on ETHUSDT."""
    live: list[str] = []
    for _ in range(ops):
        if live and rnd.random() < 0.3:
            oid = live.pop(rnd.randrange(len(live)))
            body = {"symbol": "ETHUSDT_SPBL", "orderId": oid}
            await rest.post("/api/spot/v1/trade/cancel-order", body)  # may be filled already
            continue
        side = rnd.choice(("buy", "sell"))
        price = 2000 + rnd.randint(-10, 6) * (1 if side == "buy" else -1)
        body = {
            "symbol": "ETHUSDT_SPBL",
            "side": side,
            "orderType": "limit",
            "force": "normal",
            "price": f"{price}.{rnd.randint(0, 1) * 5}",
            "quantity": f"0.0{rnd.randint(1, 9)}",
        }
        r = await rest.post("/api/spot/v1/trade/orders", body)
        assert r["code"] == "00000", r
        live.append(r["data"]["orderId"])


async def test_depth_diffs_on_any_snapshot_give_the_book(ws_server: ServerProcess) -> None:
    rnd = random.Random(20240601)
    funds = {"ETH": "100", "USDT": "1000000"}
    rests = [AsyncRest(ws_server, new_user(ws_server, funds)) for _ in range(3)]
    query = {"symbol": "ETHUSDT_SPBL", "limit": "200"}
    ws = await WsClient.open(ws_server.ws_url)
    snapshots: list[dict[str, Any]] = []

    async def snapper(trading: asyncio.Future[list[None]]) -> None:
        while not trading.done():  # all along the way, however fast the trading goes
            await asyncio.sleep(rnd.uniform(0, 0.01))
            snapshots.append((await rests[0].get("/api/spot/v1/market/depth", query))["data"])

    try:
        await ws.subscribe(INCREASE)
        snapshots.append((await rests[0].get("/api/spot/v1/market/depth", query))["data"])
        trading = asyncio.gather(*(trader(r, random.Random(rnd.random()), 60) for r in rests))
        await asyncio.gather(snapper(trading), trading)
        final = (await rests[0].get("/api/spot/v1/market/depth", query))["data"]
        frames = await ws.drain()
    finally:
        await ws.close()
        for r in rests:
            await r.close()
    versions = [int(f["d"]["r"]) for f in frames]
    assert versions == list(range(int(snapshots[0]["version"]) + 1, int(final["version"]) + 1))
    assert {f["c"] for f in frames} == {INCREASE} and {f["s"] for f in frames} == {"ETHUSDT"}
    assert final["asks"] or final["bids"]
    distinct = {s["version"] for s in snapshots}
    assert len(distinct) > 5, distinct  # snapshots were taken all along the way
    for snap in snapshots:
        assert replay(snap, frames) == book_of(final), snap["version"]


async def test_deals_kline_book_ticker_and_limit_depth(ws_server: ServerProcess) -> None:
    maker = RestUser(ws_server, {"SOL": "100"})
    taker = RestUser(ws_server, {"USDT": "100000"})
    channels = [
        "spot@public.deals.v3.api@SOLUSDT",
        "spot@public.kline.v3.api@SOLUSDT@Min1",
        "spot@public.kline.v3.api@SOLUSDT_SPBL@Day1",
        "spot@public.bookTicker.v3.api@SOLUSDT",
        "spot@public.limit.depth.v3.api@SOLUSDT@5",
    ]
    ws = await WsClient.open(ws_server.ws_url)
    try:
        await ws.subscribe(*channels)
        first = await ws.drain()  # the current state of bookTicker and limit.depth
        empty = {"asks": [], "bids": [], "e": "spot@public.limit.depth.v3.api"}
        assert [(f["c"], f["d"]) for f in first] == [
            (channels[3], {"A": "0", "B": "0", "a": "0", "b": "0"}),
            (channels[4], empty | {"r": first[1]["d"]["r"]}),
        ]
        for price in ("101.5", "101", "100.25"):
            maker.order(
                symbol="SOLUSDT_SPBL", side="sell", orderType="limit", price=price, quantity="2"
            )
        got = await ws.drain()
        assert [f["c"] for f in got] == [channels[3], channels[4]] * 3
        assert got[-2]["d"] == {"A": "2", "B": "0", "a": "100.25", "b": "0"}
        asks = [{"p": "100.25", "v": "2"}, {"p": "101", "v": "2"}, {"p": "101.5", "v": "2"}]
        assert got[-1]["d"] == {"asks": asks, "bids": [], "e": empty["e"], "r": got[-1]["d"]["r"]}
        taker.order(symbol="SOLUSDT_SPBL", side="buy", orderType="market", quantity="302.5")
        got = await ws.drain()
        by = {f["c"]: f for f in got}
        assert [f["c"] for f in got] == channels
        assert len({f["t"] for f in got}) == 1
        # ``s`` as each channel spells the symbol: SOLUSDT, and SOLUSDT_SPBL for the day klines
        assert [f["s"] for f in got] == [ch.split("@")[2] for ch in channels]
        assert {f["s"] for f in got} == {"SOLUSDT", "SOLUSDT_SPBL"}
        deals = by[channels[0]]["d"]
        assert deals["e"] == "spot@public.deals.v3.api"
        assert [(d["S"], d["p"], d["v"]) for d in deals["deals"]] == [
            (1, "100.25", "2"),
            (1, "101", "1.009"),
        ]
        k = by[channels[1]]["d"]["k"]
        assert k["t"] % 60 == 0 and k["T"] == k["t"] + 60 and k["i"] == "Min1"
        assert deals["deals"][0]["t"] // 1000 - k["t"] < 60
        assert (k["o"], k["h"], k["l"], k["c"]) == (D("100.25"), 101, D("100.25"), 101)
        assert (k["v"], k["a"]) == (D("3.009"), D("302.409"))
        day = by[channels[2]]["d"]["k"]
        assert day["i"] == "Day1" and day["t"] % 86400 == 0 and day["T"] == day["t"] + 86400
        assert by[channels[2]]["c"] == channels[2]
        assert by[channels[3]]["d"] == {"A": "0.991", "B": "0", "a": "101", "b": "0"}
        assert by[channels[4]]["d"]["asks"] == [{"p": "101", "v": "0.991"}, asks[2]]
    finally:
        await ws.close()


async def test_rest_depth_carries_the_version(ws_server: ServerProcess) -> None:
    rest = RestUser(ws_server, {"BTC": "1"})
    query = {"symbol": "BTCUSDT_SPBL"}
    before = rest.rest.get("/api/spot/v1/market/depth", query)["data"]["version"]
    oid = rest.order(side="sell", orderType="limit", price="90000", quantity="0.1")
    rest.cancel(oid)
    after = rest.rest.get("/api/spot/v1/market/depth", query)["data"]
    assert int(after["version"]) == int(before) + 2
    other = rest.rest.get("/api/spot/v1/market/depth", {"symbol": "ETHBTC_SPBL"})["data"]
    assert isinstance(other["version"], str)
