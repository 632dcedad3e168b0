"""Pagination: ``after`` = the last id of the previous page, newest first, until empty."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from openweex.client import AsyncClient, Client

from .fakeweex import FakeWeex

SYM = "BTCUSDT_SPBL"
HISTORY = "/api/spot/v1/trade/history"
FILLS = "/api/spot/v1/trade/fills"
BILLS = "/api/spot/v1/account/bills"


def _order(i: int) -> dict[str, Any]:
    return {
        "orderId": str(i),
        "symbol": SYM,
        "orderType": "limit",
        "side": "buy",
        "status": "full_fill",
        "price": "1",
        "quantity": "1",
        "cTime": str(1_600_000_000_000 + i),
    }


def _fill(i: int) -> dict[str, Any]:
    return {"fillId": str(i), "orderId": "7", "orderType": "limit", "side": "sell", "fees": "0"}


def _bill(i: int) -> dict[str, Any]:
    return {"billId": str(i), "coinName": "USDT", "quantity": "1", "bizType": "deposit"}


def paged_server(
    make: Callable[[int], dict[str, Any]], ids: list[int], cap: int = 500
) -> Callable[[httpx.Request], httpx.Response]:
    """Records with ``ids`` (newest first); ``after`` gives older ones; limit capped."""

    def reply(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        limit = min(int(body.get("limit", 100)), cap)
        after = body.get("after")
        older = [i for i in ids if after is None or i < int(after)]
        page = [make(i) for i in older[:limit]]
        return httpx.Response(200, json={"code": "00000", "msg": "success", "data": page})

    return reply


def _afters(fake: FakeWeex, path: str) -> list[Any]:
    return [s.body.get("after") for s in fake.calls("POST", path)]


def test_order_history_walks_all_pages(fake: FakeWeex, client: Client) -> None:
    ids = list(range(250, 0, -1))
    fake.on("POST", HISTORY, paged_server(_order, ids))
    got = [o.order_id for o in client.iter_order_history(SYM, page_size=100)]
    assert got == [str(i) for i in ids]
    assert _afters(fake, HISTORY) == [None, "151", "51", "1"]
    assert {s.body["limit"] for s in fake.calls("POST", HISTORY)} == {100}


def test_walk_starts_below_a_given_after(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", FILLS, paged_server(_fill, list(range(30, 0, -1))))
    got = [f.fill_id for f in client.iter_fills(SYM, order_id="7", after="11", page_size=4)]
    assert got == [str(i) for i in range(10, 0, -1)]
    assert _afters(fake, FILLS) == ["11", "7", "3", "1"]
    assert all(s.body["orderId"] == "7" for s in fake.calls("POST", FILLS))


def test_a_server_capping_the_limit_does_not_truncate(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", BILLS, paged_server(_bill, list(range(120, 0, -1)), cap=50))
    got = [b.bill_id for b in client.iter_bills(group_type="deposit")]
    assert len(got) == 120
    assert _afters(fake, BILLS) == [None, "71", "21", "1"]
    assert all(s.body["limit"] == 500 for s in fake.calls("POST", BILLS))


def test_a_server_ignoring_after_does_not_loop(fake: FakeWeex, client: Client) -> None:
    page = {"code": "00000", "data": [_order(3), _order(2)]}
    fake.on("POST", HISTORY, httpx.Response(200, json=page))
    got = [o.order_id for o in client.iter_order_history(SYM, page_size=2)]
    assert got == ["3", "2", "3", "2"]
    assert _afters(fake, HISTORY) == [None, "2"]


def test_page_size_is_checked_at_once(client: Client) -> None:
    with pytest.raises(ValueError):
        client.iter_order_history(SYM, page_size=501)
    with pytest.raises(ValueError):
        client.iter_fills(SYM, page_size=0)


async def test_async_iterators_walk_all_pages(fake: FakeWeex, aclient: AsyncClient) -> None:
    fake.on("POST", HISTORY, paged_server(_order, list(range(9, 0, -1))))
    fake.on("POST", FILLS, paged_server(_fill, list(range(5, 0, -1))))
    fake.on("POST", BILLS, paged_server(_bill, list(range(3, 0, -1))))
    orders = [o.order_id async for o in aclient.iter_order_history(SYM, page_size=4)]
    fills = [f.fill_id async for f in aclient.iter_fills(SYM, page_size=2)]
    bills = [b.bill_id async for b in aclient.iter_bills(page_size=500)]
    assert orders == [str(i) for i in range(9, 0, -1)]
    assert fills == ["5", "4", "3", "2", "1"]
    assert bills == ["3", "2", "1"]
    assert _afters(fake, HISTORY) == [None, "6", "2", "1"]
    assert _afters(fake, BILLS) == [None, "1"]
