"""Golden WEEX JSON per endpoint, and the contract's field names and JSON types.

A fixed scenario runs in-process; every endpoint's response is normalised (times, random
keys and secrets replaced by placeholders; ids are deterministic and kept) and compared with
``tests/golden/<name>.json``. Regenerate after a deliberate change with
``OPENWEEX_UPDATE_GOLDEN=1 python -m pytest tests/api/test_golden.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import ORDERS, InProc, limit_order

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE = os.environ.get("OPENWEEX_UPDATE_GOLDEN") == "1"
TIME_KEYS = {"requestTime", "ts", "cTime", "uTime", "fillTime", "tradeTime", "timestamp"}
SECRET_KEYS = {"listenKey": "<listenKey>", "apiKey": "<apiKey>", "secretKey": "<secretKey>"}
S, SYM = "BTCUSDT_SPBL", {"symbol": "BTCUSDT_SPBL"}
P = "/api/spot/v1"


def normalise(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        if key in ("listenKey", "apiKeys"):
            return [f"<{key}>" for _ in value]
        return [normalise(v, key) for v in value]
    if (key in TIME_KEYS and value not in (None, "", "0", 0)) or (
        key == "data" and type(value) is int
    ):
        return "<ms>"
    if key in SECRET_KEYS and value:
        return SECRET_KEYS[key]
    return value


async def _market_and_account(ex: InProc, out: dict[str, Any]) -> tuple[Any, Any]:
    alice = await ex.new_user({"USDT": "100000"})
    bob = await ex.new_user({"BTC": "2"})
    await ex.ok(bob, "POST", ORDERS, body=limit_order("sell", "30000", "0.5", clientOrderId="b-1"))
    out["trade_orders"] = (
        await ex.call(alice, "POST", ORDERS, body=limit_order("buy", "30001", "0.2"))
    ).json()
    await ex.ok(
        alice, "POST", ORDERS, body=limit_order("buy", "29000.5", "0.1", clientOrderId="a-rest")
    )
    for name, path, params in [
        ("public_time", "/public/time", None),
        ("public_currencies", "/public/currencies", None),
        ("public_products", "/public/products", None),
        ("public_product", "/public/product", SYM),
        ("market_ticker", "/market/ticker", SYM),
        ("market_tickers", "/market/tickers", None),
        ("market_fills", "/market/fills", SYM),
        ("market_candles", "/market/candles", {**SYM, "period": "1min"}),
        ("market_depth", "/market/depth", {**SYM, "type": "step0", "limit": "5"}),
        ("market_depth_step2", "/market/depth", {**SYM, "type": "step2"}),
    ]:
        out[name] = (await ex.http.get(P + path, params=params)).json()
    out["market_depth"]["data"].pop("version", None)  # another change adds it; not pinned here
    out["market_depth_step2"]["data"].pop("version", None)
    out["account_assets"] = (await ex.call(alice, "GET", P + "/account/assets")).json()
    out["account_bills"] = (await ex.call(alice, "POST", P + "/account/bills", body={})).json()
    await ex.admin(
        "POST",
        "/transfers",
        {
            "uid": alice.uid,
            "coin": "USDT",
            "amount": "10",
            "fromType": "SPOT",
            "toType": "CONTRACT",
        },
    )
    out["account_transferRecords"] = (
        await ex.call(alice, "GET", P + "/account/transferRecords")
    ).json()
    return alice, bob


async def _trading(ex: InProc, alice: Any, bob: Any, out: dict[str, Any]) -> None:
    batch = {
        "symbol": S,
        "orderList": [
            limit_order("buy", "1000", "0.01", clientOrderId="batch-1"),
            limit_order("buy", "1000.5", "0.01"),
            limit_order("buy", "1000.00001", "0.01", clientOrderId="batch-bad"),
            limit_order("buy", "1000", "0.01", clientOrderId="a-rest"),
        ],
    }
    out["trade_batch-orders"] = (
        await ex.call(alice, "POST", P + "/trade/batch-orders", body=batch)
    ).json()
    ids = [r["orderId"] for r in out["trade_batch-orders"]["data"]["resultList"]]
    out["trade_cancel-order"] = (
        await ex.call(alice, "POST", P + "/trade/cancel-order", body={**SYM, "orderId": ids[0]})
    ).json()
    out["trade_cancel-batch-orders"] = (
        await ex.call(
            alice,
            "POST",
            P + "/trade/cancel-batch-orders",
            body={**SYM, "orderIds": [ids[1], "42"]},
        )
    ).json()
    out["trade_orderInfo"] = (
        await ex.call(bob, "POST", P + "/trade/orderInfo", body={"clientOrderId": "b-1"})
    ).json()
    out["trade_open-orders"] = (
        await ex.call(alice, "POST", P + "/trade/open-orders", body=SYM)
    ).json()
    out["trade_history"] = (await ex.call(alice, "POST", P + "/trade/history", body=SYM)).json()
    out["trade_fills"] = (await ex.call(alice, "POST", P + "/trade/fills", body=SYM)).json()


async def _listen_keys_and_admin(ex: InProc, alice: Any, out: dict[str, Any]) -> None:
    lk = "/api/v3/userDataStream"
    out["listenkey_post"] = (await ex.call(alice, "POST", lk)).json()
    key = out["listenkey_post"]["listenKey"]
    out["listenkey_get"] = (await ex.call(alice, "GET", lk)).json()
    out["listenkey_put"] = (await ex.call(alice, "PUT", lk, params={"listenKey": key})).json()
    out["listenkey_delete"] = (await ex.call(alice, "DELETE", lk, params={"listenKey": key})).json()
    token = {"X-Admin-Token": "inproc-admin-token"}
    calls = [
        ("admin_accounts", "POST", "/accounts", {}),
        ("admin_api-keys", "POST", "/api-keys", {"uid": "10003", "passphrase": "pp"}),
        ("admin_deposits", "POST", "/deposits", {"uid": "10003", "coin": "ETH", "amount": "1.5"}),
        (
            "admin_withdrawals",
            "POST",
            "/withdrawals",
            {"uid": "10003", "coin": "ETH", "amount": "0.5"},
        ),
        (
            "admin_transfers",
            "POST",
            "/transfers",
            {
                "uid": "10003",
                "coin": "ETH",
                "amount": "0.25",
                "fromType": "SPOT",
                "toType": "FUNDING",
            },
        ),
        ("admin_freeze", "POST", "/accounts/10003/freeze", {}),
        ("admin_unfreeze", "POST", "/accounts/10003/unfreeze", {}),
        ("admin_account", "GET", "/accounts/10003", None),
    ]
    for name, method, path, body in calls:
        r = await ex.http.request(method, "/admin/v1" + path, json=body, headers=token)
        out[name] = r.json()


async def scenario(tmp: Path) -> dict[str, Any]:
    ex = await InProc(tmp).start()
    out: dict[str, Any] = {}
    try:
        alice, bob = await _market_and_account(ex, out)
        await _trading(ex, alice, bob, out)
        await _listen_keys_and_admin(ex, alice, out)
    finally:
        await ex.stop()
    return out


@pytest.fixture(scope="module")
def responses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return asyncio.run(scenario(tmp_path_factory.mktemp("golden")))


NAMES = sorted(
    [
        "public_time",
        "public_currencies",
        "public_products",
        "public_product",
        "market_ticker",
        "market_tickers",
        "market_fills",
        "market_candles",
        "market_depth",
        "market_depth_step2",
        "account_assets",
        "account_bills",
        "account_transferRecords",
        "trade_orders",
        "trade_batch-orders",
        "trade_cancel-order",
        "trade_cancel-batch-orders",
        "trade_orderInfo",
        "trade_open-orders",
        "trade_history",
        "trade_fills",
        "listenkey_post",
        "listenkey_get",
        "listenkey_put",
        "listenkey_delete",
        "admin_accounts",
        "admin_api-keys",
        "admin_deposits",
        "admin_withdrawals",
        "admin_transfers",
        "admin_freeze",
        "admin_unfreeze",
        "admin_account",
    ]
)


@pytest.mark.parametrize("name", NAMES)
def test_golden(responses: dict[str, Any], name: str) -> None:
    got = normalise(responses[name])
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert path.exists(), f"no golden file {path.name}; run with OPENWEEX_UPDATE_GOLDEN=1"
    assert got == json.loads(path.read_text())


def test_every_golden_file_is_checked() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == NAMES


# -- the contract's fields: every field of its examples is present, with its JSON type -------
_ORDER = (
    "accountId symbol orderId clientOrderId price quantity orderType side status fillPrice "
    "fillQuantity fillTotalAmount cTime"
)
CONTRACT: dict[str, str] = {
    "public_currencies": "coinId coinName transfer chains",
    "public_products": "symbol symbolName baseCoin quoteCoin minTradeAmount maxTradeAmount "
    "takerFeeRate makerFeeRate priceScale quantityScale status",
    "public_product": "symbol symbolName baseCoin quoteCoin minTradeAmount maxTradeAmount "
    "takerFeeRate makerFeeRate priceScale quantityScale status",
    "market_ticker": "symbol high24h low24h close quoteVol baseVol usdtVol ts",
    "market_tickers": "symbol high24h low24h close quoteVol baseVol usdtVol ts",
    "market_fills": "symbol tradeId side fillPrice fillQuantity fillTime",
    "market_candles": "open high low close quoteVol baseVol usdtVol ts",
    "market_depth": "timestamp",
    "account_assets": "coinId coinName available frozen lock uTime",
    "account_bills": "cTime coinId coinName groupType bizType quantity balance fees billId",
    "account_transferRecords": "coinName status toType toSymbol fromType fromSymbol amount "
    "tradeTime",
    "trade_orders": "orderId clientOrderId",
    "trade_orderInfo": _ORDER,
    "trade_open-orders": _ORDER,
    "trade_history": _ORDER,
    "trade_fills": "accountId symbol orderId fillId orderType side fillPrice fillQuantity "
    "fillTotalAmount cTime feeCcy fees",
}
CHAIN = (
    "needTag withdrawAble rechargeAble withdrawFee depositConfirm withdrawConfirm "
    "minDepositAmount minWithdrawAmount browserUrl"
)


def _string_fields(obj: dict[str, Any], names: str, where: str) -> None:
    for name in names.split():
        assert name in obj, f"{where}: missing {name}"
        if name != "chains":
            assert isinstance(obj[name], str), f"{where}: {name} is not a string: {obj[name]!r}"


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_contract_fields_are_strings(responses: dict[str, Any], name: str) -> None:
    payload = responses[name]
    assert list(payload) == ["code", "msg", "requestTime", "data"]
    data = payload["data"]
    items = data if isinstance(data, list) else [data]
    assert items, f"{name}: the scenario should return data"
    for item in items:
        _string_fields(item, CONTRACT[name], name)
    if name == "public_currencies":
        for chain in (c for coin in items for c in coin["chains"]):
            _string_fields(chain, CHAIN, "chain")
            assert chain["chain"] is None or isinstance(chain["chain"], str)


def test_contract_scalar_shapes(responses: dict[str, Any]) -> None:
    assert isinstance(responses["public_time"]["data"], int)
    depth = responses["market_depth"]["data"]
    for side in ("asks", "bids"):
        assert all(len(lv) == 2 and all(isinstance(x, str) for x in lv) for lv in depth[side])
    assert isinstance(responses["trade_cancel-order"]["data"], str)
    assert all(isinstance(i, str) for i in responses["trade_cancel-batch-orders"]["data"])
    batch = responses["trade_batch-orders"]["data"]["resultList"]
    assert all(set(r) >= {"orderId", "clientOrderId"} for r in batch)
    assert set(responses["listenkey_post"]) == {"listenKey"}
    assert isinstance(responses["listenkey_get"]["listenKey"], list)
    # Symbol spelling per endpoint, as in the contract's examples.
    assert responses["public_product"]["data"][0]["symbol"] == "BTCUSDT_SPBL"
    assert responses["market_ticker"]["data"]["symbol"] == "BTCUSDT"
    assert responses["market_fills"]["data"][0]["symbol"] == "BTCUSDT_SPBL"
    assert responses["trade_history"]["data"][0]["symbol"] == "btcusdt_spbl"
    assert responses["trade_fills"]["data"][0]["symbol"] == "btcusdt_spbl"
