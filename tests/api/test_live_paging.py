"""Cursor pagination over trade/history, trade/fills and account/bills on the real server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import ServerProcess
from tests.support.signing import SignedClient

SYM = "BTCUSDT_SPBL"
N = 12


def order(side: str, price: str, qty: str, force: str = "normal") -> dict[str, Any]:
    return {"side": side, "orderType": "limit", "force": force, "price": price, "quantity": qty}


@pytest.fixture(scope="module")
def trader(live: ServerProcess) -> SignedClient:
    """A user with N finished orders (IOC, nothing to fill), N fills and many bills."""
    maker = SignedClient(live.url, live.new_user({"BTC": "1"}))
    taker = SignedClient(live.url, live.new_user({"USDT": "100000"}))
    sells = [order("sell", str(20000 + i), "0.001") for i in range(N)]
    r = maker.post("/api/spot/v1/trade/batch-orders", {"symbol": SYM, "orderList": sells})
    assert len(r["data"]["resultList"]) == N, r
    for i in range(N):  # one fill each: full_fill orders, N fills
        assert (
            taker.post(
                "/api/spot/v1/trade/orders",
                {"symbol": SYM, **order("buy", str(20000 + i), "0.001")},
            )["code"]
            == "00000"
        )
    return taker


def ids(rows: list[dict[str, Any]], key: str) -> list[int]:
    return [int(r[key]) for r in rows]


def walk(
    c: SignedClient,
    path: str,
    key: str,
    body: dict[str, Any],
    cursor: str = "after",
    start: str | None = None,
) -> list[int]:
    """Every record 5 at a time, each page asked with ``cursor`` = the last id of the one
    before: newest first through ``after``, oldest first through ``before``."""
    seen: list[int] = []
    first = {cursor: start} if start is not None else {}
    page = c.post(path, {**body, **first, "limit": 5})["data"]
    while page:
        assert len(page) <= 5
        seen += ids(page, key)
        page = c.post(path, {**body, "limit": "5", cursor: page[-1][key]})["data"]
    return seen


@pytest.mark.parametrize(
    ("path", "key", "body", "total"),
    [
        ("/api/spot/v1/trade/history", "orderId", {"symbol": SYM}, N),
        ("/api/spot/v1/trade/fills", "fillId", {"symbol": SYM}, N),
        (
            "/api/spot/v1/account/bills",
            "billId",
            {},
            2 * N + N + 1,
        ),  # buy: 2 bills + fee, + deposit
    ],
)
def test_after_and_before(
    trader: SignedClient, path: str, key: str, body: dict[str, Any], total: int
) -> None:
    everything = ids(trader.post(path, body)["data"], key)
    assert len(everything) == total and everything == sorted(everything, reverse=True)
    assert walk(trader, path, key, body) == everything
    # before: the records right above the cursor, oldest first (the contract: "asc").
    pivot = everything[7]
    newer = ids(trader.post(path, {**body, "before": str(pivot), "limit": 3})["data"], key)
    assert newer == everything[6:3:-1]
    # ... so a walk forward through before gives every record, oldest first.
    assert walk(trader, path, key, body, "before", str(everything[-1] - 1)) == everything[::-1]
    # after and before together: the window strictly between them, newest first, from after.
    lo, hi = everything[9], everything[2]
    window = ids(trader.post(path, {**body, "after": hi, "before": lo})["data"], key)
    assert window == everything[3:9]
    top = ids(trader.post(path, {**body, "after": hi, "before": lo, "limit": 2})["data"], key)
    assert top == everything[3:5]
    # before > after is backwards: 40707; equal is an empty window.
    assert trader.post(path, {**body, "after": lo, "before": hi})["code"] == "40707"
    assert trader.post(path, {**body, "after": lo, "before": lo})["data"] == []
    # limit: default 100, capped at 500, at least 1, digits only.
    assert len(trader.post(path, {**body, "limit": 100000})["data"]) == total
    for bad in (0, "-1", "ten", "1.5", 1.5, -2.0, "2.0"):
        assert trader.post(path, {**body, "limit": bad})["code"] == "40017"
    # A JSON number with a zero fraction is that whole number.
    assert len(trader.post(path, {**body, "limit": 2.0})["data"]) == 2


def test_fills_of_one_order(trader: SignedClient) -> None:
    newest = trader.post("/api/spot/v1/trade/fills", {"symbol": SYM, "limit": 1})["data"][0]
    got = trader.post("/api/spot/v1/trade/fills", {"symbol": SYM, "orderId": newest["orderId"]})
    assert [f["fillId"] for f in got["data"]] == [newest["fillId"]]


def test_bills_filters(trader: SignedClient) -> None:
    fees = trader.post("/api/spot/v1/account/bills", {"bizType": "deduction of handling fee"})
    assert len(fees["data"]) == N and {b["coinName"] for b in fees["data"]} == {"btc"}
    usdt = trader.post("/api/spot/v1/account/bills", {"coinId": 2})["data"]
    assert {b["coinName"] for b in usdt} == {"usdt"} and len(usdt) == N + 1
    assert trader.post("/api/spot/v1/account/bills", {"coinId": 999})["code"] == "40017"
    # enumerations match in any case; one that is none of them is refused, never "no bills"
    for spelling in ("DEDUCTION OF HANDLING FEE", "Deduction of handling fee"):
        got = trader.post("/api/spot/v1/account/bills", {"bizType": spelling})
        assert got["data"] == fees["data"], got
    deposits = trader.post("/api/spot/v1/account/bills", {"groupType": "Deposit"})["data"]
    assert deposits and {b["groupType"] for b in deposits} == {"deposit"}
    trades = trader.post("/api/spot/v1/account/bills", {"groupType": "TRANSACTION"})["data"]
    assert trades and {b["groupType"] for b in trades} == {"transaction"}
    for body in ({"groupType": "bogus"}, {"bizType": "fee"}, {"groupType": "deposits"}):
        got = trader.post("/api/spot/v1/account/bills", body)
        assert got["code"] == "40017" and next(iter(body)) in got["msg"], (body, got)
