"""One test per error code of the contract's two tables (and the unnumbered business errors):
each is produced where it applies, with its HTTP status and the WEEX error envelope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from openweex.api.app import Settings
from openweex.domain import errors
from tests.api.helpers import ADMIN_TOKEN, ORDERS, InProc, auth_headers, limit_order
from tests.support.server import User

ASSETS = "/api/spot/v1/account/assets"
BATCH = "/api/spot/v1/trade/batch-orders"
CANCEL = "/api/spot/v1/trade/cancel-order"
INFO = "/api/spot/v1/trade/orderInfo"
CANDLES = "/api/spot/v1/market/candles"
HOUR_MS = 3600 * 1000
Case = Callable[[InProc, User], Awaitable[httpx.Response]]


def _headers(user: User, path: str = ASSETS, **change: str) -> dict[str, str]:
    hdrs = auth_headers(user, "GET", path, "", b"")
    for name, value in change.items():
        key = "ACCESS-" + name.upper()
        if value == "-":
            del hdrs[key]
        else:
            hdrs[key] = value
    return hdrs


async def _get_assets(ex: InProc, user: User, **change: str) -> httpx.Response:
    return await ex.http.get(ASSETS, headers=_headers(user, **change))


def _old_ts() -> str:
    import time

    return str(time.time_ns() // 1_000_000 - 31_000)


async def _signed_raw(ex: InProc, user: User, path: str, body: bytes) -> httpx.Response:
    return await ex.http.post(
        path, content=body, headers=auth_headers(user, "POST", path, "", body)
    )


async def _frozen(ex: InProc, user: User) -> httpx.Response:
    await ex.admin("POST", f"/accounts/{user.uid}/freeze")
    return await ex.call(user, "GET", ASSETS)


async def _read_only_places(ex: InProc, user: User) -> httpx.Response:
    ro = await ex.new_user({"USDT": "100"}, permissions=["SPOT_ACCOUNT_R"])
    return await ex.call(ro, "POST", ORDERS, body=limit_order("buy", "100", "0.01"))


async def _foreign_ip(ex: InProc, user: User) -> httpx.Response:
    fenced = await ex.new_user({}, ipWhitelist=["10.1.2.3"])
    return await ex.call(fenced, "GET", ASSETS)


async def _too_many(ex: InProc, user: User) -> httpx.Response:
    orders = [limit_order("buy", "100", "0.01") for _ in range(51)]
    return await ex.call(user, "POST", BATCH, body={"symbol": "BTCUSDT_SPBL", "orderList": orders})


async def _dup(ex: InProc, user: User) -> httpx.Response:
    await ex.ok(user, "POST", ORDERS, body=limit_order("buy", "100", "0.01", clientOrderId="a1"))
    return await ex.call(
        user, "POST", ORDERS, body=limit_order("buy", "101", "0.02", clientOrderId="a1")
    )


async def _candles(ex: InProc, **params: Any) -> httpx.Response:
    return await ex.http.get(CANDLES, params={"symbol": "BTCUSDT_SPBL", **params})


async def _post_only_takes(ex: InProc, user: User) -> httpx.Response:
    seller = await ex.new_user({"BTC": "1"})
    await ex.ok(seller, "POST", ORDERS, body=limit_order("sell", "100", "0.5"))
    return await ex.call(
        user, "POST", ORDERS, body=limit_order("buy", "100", "0.1", force="post_only")
    )


def _now() -> int:
    import time

    return time.time_ns() // 1_000_000


CASES: dict[str, Case] = {
    "40001": lambda ex, u: _get_assets(ex, u, key="-"),
    "40002": lambda ex, u: _get_assets(ex, u, sign="-"),
    "40003": lambda ex, u: _get_assets(ex, u, timestamp="-"),
    "40005": lambda ex, u: _get_assets(ex, u, timestamp="12ab"),
    "40006": lambda ex, u: _get_assets(ex, u, key="ow_nope"),
    "40007": lambda ex, u: _signed_raw(ex, u, ORDERS, b"symbol=BTCUSDT_SPBL&side=buy"),
    "40008": lambda ex, u: ex.http.get(
        ASSETS, headers=auth_headers(u, "GET", ASSETS, "", b"", ts=_old_ts())
    ),
    "40009": lambda ex, u: _get_assets(ex, u, sign="AAAA" + "=" * 40),
    "40011": lambda ex, u: _get_assets(ex, u, passphrase="-"),
    "40012": lambda ex, u: ex.call(replace(u, passphrase="nope"), "GET", ASSETS),
    "40013": _frozen,
    "40014": _read_only_places,
    "40017": lambda ex, u: ex.call(u, "POST", ORDERS, body=limit_order("up", "100", "0.01")),
    "40018": _foreign_ip,
    "40019": lambda ex, u: ex.call(u, "POST", ORDERS, body={"symbol": "BTCUSDT_SPBL"}),
    "40912": _too_many,
    "40913": lambda ex, u: ex.call(u, "POST", INFO, body={"symbol": "BTCUSDT_SPBL"}),
    "40102": lambda ex, u: ex.http.get("/api/spot/v1/market/ticker", params={"symbol": "XXXUSDT"}),
    "40305": lambda ex, u: ex.call(
        u, "POST", ORDERS, body=limit_order("buy", "100", "0.01", clientOrderId="x" * 41)
    ),
    "40409": lambda ex, u: _signed_raw(ex, u, ORDERS, b"[1, 2]"),
    "40704": lambda ex, u: _candles(ex, period="1min", before=_now() - 100 * 24 * HOUR_MS),
    "40707": lambda ex, u: _candles(ex, period="1min", after=_now(), before=_now() - HOUR_MS),
    "40724": lambda ex, u: ex.call(
        u, "POST", BATCH, body={"symbol": "BTCUSDT_SPBL", "orderList": []}
    ),
    "43001": lambda ex, u: ex.call(
        u, "POST", CANCEL, body={"symbol": "BTCUSDT_SPBL", "orderId": 5}
    ),
    "43012": lambda ex, u: ex.call(u, "POST", ORDERS, body=limit_order("buy", "100000", "1")),
    "45110": lambda ex, u: ex.call(u, "POST", ORDERS, body=limit_order("buy", "100", "0.00001")),
    "43115": _post_only_takes,
    "43116": lambda ex, u: ex.call(
        u, "POST", ORDERS, body=limit_order("buy", "100", "0.01", force="fok")
    ),
    "43118": _dup,
    "40042": lambda ex, u: ex.call(u, "PUT", "/api/v3/userDataStream", params={"listenKey": "x"}),
}


@pytest.mark.parametrize("code", sorted(CASES))
async def test_error_code(ex: InProc, code: str) -> None:
    user = await ex.new_user({"USDT": "1000"})
    r = await CASES[code](ex, user)
    payload = r.json()
    assert payload["code"] == code, payload
    assert r.status_code == errors.http_status(code) == 400
    assert payload["msg"].startswith(errors.MESSAGES[code])
    assert payload["data"] is None and isinstance(payload["requestTime"], int)


async def test_contract_messages_are_verbatim() -> None:
    # The contract's tables, message for message (its curly quotes as straight quotes).
    assert errors.MESSAGES["40912"] == "Batch processing orders can only process up to 50"
    assert errors.MESSAGES["40913"] == "OrderId or clientId must be passed in one"
    assert errors.MESSAGES["40704"] == "Only check the data of the last three months"
    assert errors.MESSAGES["40707"] == "Start time is greater than end time"
    assert errors.MESSAGES["429"] == "The request is too frequent"
    assert errors.MESSAGES["40200"] == "Server upgrade, please try again later"


async def test_429_over_the_limit(tmp_path: Path) -> None:
    ex = await InProc(tmp_path / "d", Settings(admin_token=ADMIN_TOKEN, rate_limits=True)).start()
    try:
        codes = [(await ex.http.get("/api/spot/v1/public/time")).status_code for _ in range(25)]
        r = await ex.http.get("/api/spot/v1/public/time")
    finally:
        await ex.stop()
    assert codes[:20] == [200] * 20 and 429 in codes[20:]
    assert r.status_code == 429 and r.json()["code"] == "429" and r.json()["data"] is None


async def test_rate_limits_off(ex: InProc) -> None:
    codes = {(await ex.http.get("/api/spot/v1/public/time")).status_code for _ in range(40)}
    assert codes == {200}


async def test_admin_token_errors_are_401(ex: InProc) -> None:
    r = await ex.http.post("/admin/v1/accounts", json={})
    assert r.status_code == 401 and r.json()["code"] == "40001"
    r = await ex.http.post("/admin/v1/accounts", json={}, headers={"X-Admin-Token": "wrong"})
    assert r.status_code == 401 and r.json()["code"] == "40006"


async def test_account_not_found_40040(ex: InProc) -> None:
    r = await ex.http.get("/admin/v1/accounts/99", headers={"X-Admin-Token": ADMIN_TOKEN})
    assert r.status_code == 400 and r.json()["code"] == "40040"


async def test_listen_key_limit_40041(ex: InProc) -> None:
    user = await ex.new_user()
    for _ in range(60):
        assert (await ex.call(user, "POST", "/api/v3/userDataStream")).status_code == 200
    r = await ex.call(user, "POST", "/api/v3/userDataStream")
    assert r.status_code == 400 and r.json()["code"] == "40041"


async def test_market_order_without_liquidity_is_accepted_then_cancelled(ex: InProc) -> None:
    # 43117 is reserved: a market order that finds no liquidity is accepted and cancelled.
    user = await ex.new_user({"USDT": "1000"})
    body = {"symbol": "BTCUSDT_SPBL", "side": "buy", "orderType": "market", "quantity": "10"}
    oid = (await ex.ok(user, "POST", ORDERS, body=body))["orderId"]
    [order] = await ex.ok(user, "POST", INFO, body={"orderId": oid})
    assert (order["status"], order["fillQuantity"], order["quantity"]) == ("cancelled", "0", "10")
    [usdt] = await ex.ok(user, "GET", ASSETS)
    assert (usdt["available"], usdt["frozen"]) == ("1000", "0")


async def test_market_buy_that_cannot_buy_the_minimum_at_the_best_ask_is_45110(
    ex: InProc,
) -> None:
    # minTradeAmount 0.0001 BTC; best ask 30000 USDT: a market buy needs at least 3 USDT.
    maker = await ex.new_user({"BTC": "1"})
    await ex.ok(maker, "POST", ORDERS, body=limit_order("sell", "30000", "0.5"))
    await ex.ok(maker, "POST", ORDERS, body=limit_order("sell", "31000", "0.5"))
    user = await ex.new_user({"USDT": "1000"})
    body = {"symbol": "BTCUSDT_SPBL", "side": "buy", "orderType": "market"}
    r = await ex.call(user, "POST", ORDERS, body={**body, "quantity": "2.99"})
    assert (r.status_code, r.json()["code"]) == (400, "45110")
    assert r.json()["msg"].endswith(
        "a market buy of 2.99 USDT buys less than minTradeAmount 0.0001 at the best ask"
        " 30000: at least 3 USDT"
    )
    batch = {"symbol": "BTCUSDT_SPBL", "orderList": [{**body, "quantity": "1"}]}
    got = await ex.ok(user, "POST", BATCH, body=batch)
    assert got["resultList"] == [] and [f["errorCode"] for f in got["failure"]] == ["45110"]
    [usdt] = await ex.ok(user, "GET", ASSETS)
    assert usdt["available"] == "1000"  # nothing placed
    oid = (await ex.ok(user, "POST", ORDERS, body={**body, "quantity": "3"}))["orderId"]
    [order] = await ex.ok(user, "POST", INFO, body={"orderId": oid})
    assert (order["status"], order["fillQuantity"]) == ("full_fill", "0.0001")
    # A sell takes no budget: its minimum is minTradeAmount itself, as before.
    seller = await ex.new_user({"BTC": "1"})
    sell = {**body, "side": "sell", "quantity": "0.00009"}
    assert (await ex.call(seller, "POST", ORDERS, body=sell)).json()["code"] == "45110"
