"""Parameter semantics in-process: limits and defaults, depth, candles, ids, batches."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import ORDERS, InProc, limit_order

S = "BTCUSDT_SPBL"
BATCH = "/api/spot/v1/trade/batch-orders"
HISTORY = "/api/spot/v1/trade/history"
INFO = "/api/spot/v1/trade/orderInfo"
CANCEL = "/api/spot/v1/trade/cancel-order"
OPEN = "/api/spot/v1/trade/open-orders"
DEPTH = "/api/spot/v1/market/depth"
CANDLES = "/api/spot/v1/market/candles"
ASSETS = "/api/spot/v1/account/assets"


async def code_of(ex: InProc, *args: Any, **kw: Any) -> str:
    return str((await ex.call(*args, **kw)).json()["code"])


async def test_history_limit_default_and_cap(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "100000"})
    ioc = [limit_order("buy", "100", "0.01", force="ioc") for _ in range(50)]
    for _ in range(11):  # 550 orders that find nothing and are cancelled at once
        r = await ex.ok(user, "POST", BATCH, body={"symbol": S, "orderList": ioc})
        assert len(r["resultList"]) == 50
    assert len(await ex.ok(user, "POST", HISTORY, body={"symbol": S})) == 100
    assert len(await ex.ok(user, "POST", HISTORY, body={"symbol": S, "limit": 1000})) == 500
    assert len(await ex.ok(user, "POST", HISTORY, body={"symbol": S, "limit": "7"})) == 7


@pytest.mark.parametrize("symbol", ["BTCUSDT_SPBL", "btcusdt_spbl", "BtcUsdt_Spbl", "BTCUSDT"])
async def test_symbol_spellings(ex: InProc, symbol: str) -> None:
    data = await ex.ok(None, "GET", "/api/spot/v1/market/ticker", params={"symbol": symbol})
    assert data["symbol"] == "BTCUSDT"


@pytest.mark.parametrize("symbol", ["", "BTC", "BTCUSDT_SPBLX", "ETH-USDT", "😀", "\ud800"])
async def test_unknown_or_missing_symbol(ex: InProc, symbol: str) -> None:
    if "\ud800" not in symbol:
        got = await code_of(ex, None, "GET", DEPTH, params={"symbol": symbol})
        assert got == ("40019" if symbol == "" else "40102")
    r = await ex.call(
        None, "POST", "/api/spot/v1/public/product", raw=json.dumps({"symbol": symbol}).encode()
    )
    assert r.status_code == 405
    user = await ex.new_user()
    r = await ex.call(user, "POST", HISTORY, raw=json.dumps({"symbol": symbol}).encode())
    assert (r.status_code, r.json()["code"]) == (400, "40019" if symbol == "" else "40102")


async def _book(ex: InProc) -> None:
    maker = await ex.new_user({"BTC": "10", "USDT": "1000000"})
    for i in range(30):
        await ex.ok(
            maker, "POST", ORDERS, body=limit_order("buy", f"{20000 + i * 0.37:.2f}", "0.01")
        )
        await ex.ok(
            maker, "POST", ORDERS, body=limit_order("sell", f"{30000 + i * 0.37:.2f}", "0.01")
        )


async def test_depth_types_and_limits(ex: InProc) -> None:
    await _book(ex)
    full = await ex.ok(None, "GET", DEPTH, params={"symbol": S})
    assert len(full["bids"]) == len(full["asks"]) == 30  # default limit 500
    assert full["bids"][0] == ["20010.73", "0.01"] and full["asks"][0] == ["30000", "0.01"]
    assert len((await ex.ok(None, "GET", DEPTH, params={"symbol": S, "limit": 3}))["asks"]) == 3
    big = await ex.ok(None, "GET", DEPTH, params={"symbol": S, "limit": 100000})
    assert len(big["asks"]) == 30
    for n in range(6):
        d = await ex.ok(None, "GET", DEPTH, params={"symbol": S, "type": f"step{n}"})
        tick = 10 ** (n - 2)
        for price, _ in d["bids"] + d["asks"]:
            assert float(price) / tick == pytest.approx(round(float(price) / tick))
        total = sum(float(q) for _, q in d["bids"])
        assert total == pytest.approx(0.3)
        assert float(d["bids"][0][0]) <= 20010.73 and float(d["asks"][0][0]) >= 30000
    step3 = await ex.ok(None, "GET", DEPTH, params={"symbol": S, "type": "STEP3"})
    assert step3["bids"] == [["20010", "0.02"], ["20000", "0.28"]]  # bids round down
    assert step3["asks"] == [["30000", "0.01"], ["30010", "0.27"], ["30020", "0.02"]]  # asks up
    for bad in ("step6", "step", "1", "step-1"):
        assert await code_of(ex, None, "GET", DEPTH, params={"symbol": S, "type": bad}) == "40017"
    assert await code_of(ex, None, "GET", DEPTH, params={"symbol": S, "limit": 0}) == "40017"


@pytest.mark.parametrize(
    "period",
    ["1min", "5min", "15min", "30min", "1h", "4h", "12h", "1d", "7d", "1day", "1DAY", "1week"],
)
async def test_candle_periods(ex: InProc, period: str) -> None:
    assert await ex.ok(None, "GET", CANDLES, params={"symbol": S, "period": period}) == []


@pytest.mark.parametrize("period", ["1m", "2h", "1w", "60", "day", "1 min"])
async def test_candle_bad_period_40017(ex: InProc, period: str) -> None:
    assert (
        await code_of(ex, None, "GET", CANDLES, params={"symbol": S, "period": period}) == "40017"
    )


async def test_candle_range_and_limit(ex: InProc) -> None:
    buyer = await ex.new_user({"USDT": "100000"})
    seller = await ex.new_user({"BTC": "1"})
    await ex.ok(seller, "POST", ORDERS, body=limit_order("sell", "25000", "0.1"))
    await ex.ok(buyer, "POST", ORDERS, body=limit_order("buy", "25000", "0.05"))
    [c] = await ex.ok(None, "GET", CANDLES, params={"symbol": S, "period": "1min"})
    start = int(c["ts"])
    assert c["ts"] == str(start - start % 60000)
    p = {"symbol": S, "period": "1min"}
    assert await ex.ok(None, "GET", CANDLES, params={**p, "after": start, "before": start}) == [c]
    assert await ex.ok(None, "GET", CANDLES, params={**p, "after": start + 1}) == []
    assert await ex.ok(None, "GET", CANDLES, params={**p, "before": start - 1}) == []
    assert await ex.ok(None, "GET", CANDLES, params={**p, "limit": 1, "after": ""}) == [c]
    assert (
        await code_of(ex, None, "GET", CANDLES, params={**p, "after": start + 1, "before": start})
        == "40707"
    )
    assert await code_of(ex, None, "GET", CANDLES, params={"symbol": S}) == "40019"


@pytest.mark.parametrize("force", ["bogus", "", 5, None, ["ioc"]])
async def test_force_is_ignored_for_market_orders_and_checked_for_limit_ones(
    ex: InProc, force: Any
) -> None:
    user = await ex.new_user({"BTC": "1", "USDT": "1000"})
    market = {"symbol": S, "side": "sell", "orderType": "market", "quantity": "0.01"}
    if force is not None:
        market["force"] = force
    await ex.ok(user, "POST", ORDERS, body=market)
    limit = {**market, "orderType": "limit", "price": "30000"}
    got = await code_of(ex, user, "POST", ORDERS, body=limit)
    # missing or empty: required (40019); not a string or number: 40409; else 40017
    want = "40019" if force in (None, "") else "40409" if isinstance(force, list) else "40017"
    assert got == want
    [btc] = [a for a in await ex.ok(user, "GET", ASSETS) if a["coinName"].upper() == "BTC"]
    assert btc["available"] == "1"  # the market sell found no buyer: cancelled, nothing moved


async def test_order_info_by_either_id_returns_a_list(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "1000"})
    oid = (
        await ex.ok(
            user, "POST", ORDERS, body=limit_order("buy", "100", "0.01", clientOrderId="c-1")
        )
    )["orderId"]
    for body in (
        {"orderId": oid},
        {"clientOrderId": "c-1"},
        {"symbol": "btcusdt_spbl", "orderId": oid},
        {"orderId": int(oid), "clientOrderId": ""},
    ):
        got = await ex.ok(user, "POST", INFO, body=body)
        assert isinstance(got, list) and [o["orderId"] for o in got] == [oid]
    assert (
        await code_of(ex, user, "POST", INFO, body={"symbol": "ETHUSDT_SPBL", "orderId": oid})
        == "43001"
    )
    assert await code_of(ex, user, "POST", INFO, body={"symbol": "NOPE", "orderId": oid}) == "40102"
    assert await code_of(ex, user, "POST", INFO, body={}) == "40913"
    assert await code_of(ex, user, "POST", INFO, body={"orderId": "12x"}) == "40017"


@pytest.mark.parametrize(
    ("coid", "code"),
    [
        ("a" * 40, "00000"),
        ("A-b_9", "00000"),
        ("a" * 41, "40305"),
        ("héllo", "40305"),
        ("a b", "40305"),
        (" ab", "40305"),
        ("a/b", "40305"),
        ("😀", "40305"),
        (12345, "00000"),
    ],
)
async def test_client_order_id_rules(ex: InProc, coid: Any, code: str) -> None:
    user = await ex.new_user({"USDT": "1000"})
    body = limit_order("buy", "100", "0.01", clientOrderId=coid)
    assert await code_of(ex, user, "POST", ORDERS, body=body) == code


@pytest.mark.parametrize("coid", ["a" * 41, " c-1", "c-1 ", "c/1", "héllo"])
async def test_client_order_id_rules_hold_for_lookups_and_cancels(ex: InProc, coid: str) -> None:
    """An order is looked up or cancelled by a clientOrderId that breaks the rule: 40305, as
    when placing, and nothing journaled."""
    user = await ex.new_user({"USDT": "1000"})
    await ex.ok(user, "POST", ORDERS, body=limit_order("buy", "100", "0.01", clientOrderId="c-1"))
    seq = ex.runtime.seq
    assert await code_of(ex, user, "POST", INFO, body={"clientOrderId": coid}) == "40305"
    cancel = {"symbol": S, "clientOrderId": coid}
    assert await code_of(ex, user, "POST", CANCEL, body=cancel) == "40305"
    assert ex.runtime.seq == seq
    assert [o["clientOrderId"] for o in await ex.ok(user, "POST", OPEN, body={})] == ["c-1"]


async def test_duplicate_client_order_id_leaves_the_first(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "1000"})
    first = await ex.ok(
        user, "POST", ORDERS, body=limit_order("buy", "100", "0.01", clientOrderId="dup")
    )
    before = ex.runtime.exchange.state_hash()
    assert (
        await code_of(
            ex, user, "POST", ORDERS, body=limit_order("buy", "200", "1", clientOrderId="dup")
        )
        == "43118"
    )
    assert ex.runtime.exchange.state_hash() == before  # the rejection changed nothing
    batch = {"symbol": S, "orderList": [limit_order("buy", "300", "0.01", clientOrderId="dup")]}
    failed = (await ex.ok(user, "POST", BATCH, body=batch))["failure"]
    assert [f["errorCode"] for f in failed] == ["43118"]
    [info] = await ex.ok(user, "POST", INFO, body={"clientOrderId": "dup"})
    assert (info["orderId"], info["price"], info["quantity"], info["status"]) == (
        first["orderId"],
        "100",
        "0.01",
        "new",
    )
    # A finished order keeps its clientOrderId: it stays taken.
    await ex.ok(
        user,
        "POST",
        "/api/spot/v1/trade/cancel-order",
        body={"symbol": S, "orderId": first["orderId"]},
    )
    assert (
        await code_of(
            ex, user, "POST", ORDERS, body=limit_order("buy", "100", "0.01", clientOrderId="dup")
        )
        == "43118"
    )


async def test_batch_limits(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "100000"})
    fifty = [limit_order("buy", "100", "0.01") for _ in range(50)]
    assert (
        len(
            (await ex.ok(user, "POST", BATCH, body={"symbol": S, "orderList": fifty}))["resultList"]
        )
        == 50
    )
    assert (
        await code_of(ex, user, "POST", BATCH, body={"symbol": S, "orderList": [*fifty, fifty[0]]})
        == "40912"
    )
    ids = [str(i) for i in range(1, 52)]
    cancel = "/api/spot/v1/trade/cancel-batch-orders"
    assert await code_of(ex, user, "POST", cancel, body={"symbol": S, "orderIds": ids}) == "40912"
    assert await code_of(ex, user, "POST", cancel, body={"symbol": S, "orderIds": []}) == "40724"
    assert await code_of(ex, user, "POST", cancel, body={"symbol": S, "orderIds": "1,2"}) == "40409"
    assert await code_of(ex, user, "POST", BATCH, body={"symbol": S}) == "40724"
    assert (
        await code_of(ex, user, "POST", BATCH, body={"symbol": S, "orderList": {"a": 1}}) == "40409"
    )
    mixed = {"symbol": S, "orderList": ["junk", limit_order("sell", "1", "x"), fifty[0]]}
    r = await ex.ok(user, "POST", BATCH, body=mixed)
    assert len(r["resultList"]) == 1 and [f["errorCode"] for f in r["failure"]] == [
        "40409",
        "40017",
    ]


async def test_batch_failures_follow_the_request_order(ex: InProc) -> None:
    """Items refused by the engine and items that do not parse, listed as they were sent."""
    user = await ex.new_user({"USDT": "1000"})
    items = [
        limit_order("buy", "100", "0.01", clientOrderId="placed"),
        limit_order("buy", "100", "100", clientOrderId="too-big"),  # 10,000 USDT: 43012
        limit_order("buy", "100", "0.001x", clientOrderId="bad-qty"),  # 40017
        limit_order("buy", "100", "0.01", clientOrderId="placed"),  # 43118
        "junk",  # 40409
        limit_order("buy", "100", "0.01", clientOrderId="placed-2"),
    ]
    r = await ex.ok(user, "POST", BATCH, body={"symbol": S, "orderList": items})
    assert [o["clientOrderId"] for o in r["resultList"]] == ["placed", "placed-2"]
    assert [(f["clientOrderId"], f["errorCode"]) for f in r["failure"]] == [
        ("too-big", "43012"),
        ("bad-qty", "40017"),
        ("placed", "43118"),
        ("", "40409"),
    ]


async def test_wrong_shapes_are_40409(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "1000"})
    for field, value in (("price", [1]), ("side", {"x": 1}), ("quantity", True), ("symbol", [S])):
        body = {**limit_order("buy", "100", "0.01"), field: value}
        assert await code_of(ex, user, "POST", ORDERS, body=body) == "40409", field


async def test_frozen_user_keeps_resting_orders(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "1000"})
    oid = (await ex.ok(user, "POST", ORDERS, body=limit_order("buy", "100", "0.01")))["orderId"]
    await ex.admin("POST", f"/accounts/{user.uid}/freeze")
    for method, path, body in (
        ("GET", "/api/spot/v1/account/assets", None),
        ("POST", INFO, {"orderId": oid}),
        ("POST", "/api/spot/v1/trade/cancel-order", {"symbol": S, "orderId": oid}),
        ("POST", "/api/v3/userDataStream", None),
    ):
        assert await code_of(ex, user, method, path, body=body) == "40013", path
    depth = await ex.ok(None, "GET", DEPTH, params={"symbol": S})
    assert depth["bids"] == [["100", "0.01"]]
    await ex.admin("POST", f"/accounts/{user.uid}/unfreeze")
    [info] = await ex.ok(user, "POST", INFO, body={"orderId": oid})
    assert info["status"] == "new"


async def test_permissions(ex: InProc) -> None:
    trade_only = await ex.new_user({"USDT": "1000"}, permissions=["SPOT_TRADE"])
    oid = (await ex.ok(trade_only, "POST", ORDERS, body=limit_order("buy", "100", "0.01")))[
        "orderId"
    ]
    for method, path, body in (
        ("GET", "/api/spot/v1/account/assets", None),
        ("POST", INFO, {"orderId": oid}),
        ("POST", HISTORY, {"symbol": S}),
        ("GET", "/api/v3/userDataStream", None),
    ):
        assert await code_of(ex, trade_only, method, path, body=body) == "40014", path
    await ex.ok(
        trade_only, "POST", "/api/spot/v1/trade/cancel-order", body={"symbol": S, "orderId": oid}
    )
    local = await ex.new_user({}, ipWhitelist=["10.0.0.1", "127.0.0.1"])  # the test client's
    assert await code_of(ex, local, "GET", "/api/spot/v1/account/assets") == "00000"
    fenced = await ex.new_user({}, ipWhitelist=["10.0.0.1"])
    assert await code_of(ex, fenced, "GET", "/api/spot/v1/account/assets") == "40018"


@pytest.mark.parametrize("number", ["1e999999999", "1e-999999999", "0e-999999999", "1e1000000"])
async def test_numbers_with_huge_exponents_are_refused_at_once(ex: InProc, number: str) -> None:
    # Written out (or made an int) such a number is a gigabyte of digits or minutes of CPU:
    # each is refused from its exponent, before anything is built from it.
    user = await ex.new_user({"USDT": "1000"})
    bodies = [
        (HISTORY, '{"symbol": "BTCUSDT_SPBL", "limit": %s}'),
        (ORDERS, '{"symbol": "BTCUSDT_SPBL", "side": "buy", "orderType": "limit",'
         ' "force": "normal", "price": %s, "quantity": "0.01"}'),
        (ORDERS, '{"symbol": "BTCUSDT_SPBL", "side": "buy", "orderType": "market",'
         ' "quantity": %s}'),
    ]  # fmt: skip
    for path, body in bodies:
        r = await ex.call(user, "POST", path, raw=(body % number).encode())
        assert (r.status_code, r.json()["code"]) == (400, "40017"), r.text
        assert "too many digits" in r.json()["msg"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (DEPTH, {"symbol": S, "type": "", "limit": ""}),
        (CANDLES, {"symbol": S, "period": "1min", "after": "", "before": "", "limit": ""}),
        ("/api/spot/v1/market/fills", {"symbol": S, "limit": ""}),
    ],
)
async def test_an_empty_query_value_is_not_given(
    ex: InProc, path: str, params: dict[str, str]
) -> None:
    """``?limit=`` is the same as no ``limit`` (as the document declares: "" is admitted)."""

    def timeless(data: Any) -> Any:  # depth carries the time it was read at
        return (
            {k: v for k, v in data.items() if k != "timestamp"} if isinstance(data, dict) else data
        )

    given = await ex.ok(None, "GET", path, params=params)
    absent = {k: v for k, v in params.items() if v}
    assert timeless(given) == timeless(await ex.ok(None, "GET", path, params=absent))
