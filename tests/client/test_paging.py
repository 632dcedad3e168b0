"""Pagination: ``after`` = the last id of the previous page, newest first, until empty."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

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


TRANSFERS = "/api/spot/v1/account/transferRecords"
T0 = 1_700_000_000_000


def _transfer(record: tuple[int, int]) -> dict[str, Any]:
    tid, ts = record
    ts += T0
    return {"coinName": "USDT", "status": "Successful", "toType": "SPOT", "fromType": "FUNDING",
            "amount": "1", "tradeTime": str(ts), "transferId": str(tid)}  # fmt: skip


def timed_server(records: list[tuple[int, int]]) -> Callable[[httpx.Request], httpx.Response]:
    """``(transferId, tradeTime)`` records, newest first; ``after``/``before`` exclusive
    times, as the server has them."""

    def reply(request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        limit = min(int(query.get("limit", 100)), 500)
        after, before = query.get("after"), query.get("before")
        chosen = [
            r
            for r in records
            if (after is None or T0 + r[1] < int(after))
            and (before is None or T0 + r[1] > int(before))
        ]
        page = [_transfer(r) for r in chosen[:limit]]
        return httpx.Response(200, json={"code": "00000", "msg": "success", "data": page})

    return reply


# 12 transfers in 4 milliseconds, 7 of them in one: pages of 3 end inside it
SAME_MS = [(12, 40), (11, 30), (10, 30), (9, 30), (8, 30), (7, 30), (6, 30), (5, 30),
           (4, 20), (3, 20), (2, 10), (1, 10)]  # fmt: skip


def test_transfers_sharing_a_millisecond_are_all_walked(fake: FakeWeex, client: Client) -> None:
    fake.on("GET", TRANSFERS, timed_server(SAME_MS))
    got = [t.transfer_id for t in client.iter_transfer_records(page_size=3)]
    assert got == [str(i) for i in range(12, 0, -1)]
    # a plain walk by the last tradeTime of each page would have lost 6 of them
    plain, cursor = [], None
    while page := client.get_transfer_records(after=cursor, limit=3):
        plain += [t.transfer_id for t in page]
        cursor = page[-1].trade_time
    assert len(plain) == 6


async def test_async_transfers_sharing_a_millisecond(fake: FakeWeex, aclient: AsyncClient) -> None:
    fake.on("GET", TRANSFERS, timed_server(SAME_MS))
    got = [t.transfer_id async for t in aclient.iter_transfer_records(page_size=2)]
    assert got == [str(i) for i in range(12, 0, -1)]


def test_transfer_walk_stops_on_a_server_ignoring_after(fake: FakeWeex, client: Client) -> None:
    fake.on("GET", TRANSFERS, lambda _: envelope_of([_transfer((2, 20)), _transfer((1, 10))]))
    got = list(client.iter_transfer_records(page_size=2))  # ends, however wrong the server
    assert 2 <= len(got) <= 6


def envelope_of(data: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(200, json={"code": "00000", "msg": "success", "data": data})
