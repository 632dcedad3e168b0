"""The real server, started as a user would, trading over HTTP."""

from __future__ import annotations

from tests.support.server import ServerProcess
from tests.support.signing import SignedClient


def test_place_match_and_query(server: ServerProcess) -> None:
    alice = SignedClient(server.url, server.new_user({"USDT": "100000"}))
    bob = SignedClient(server.url, server.new_user({"BTC": "2"}))
    r = bob.post(
        "/api/spot/v1/trade/orders",
        {
            "symbol": "BTCUSDT_SPBL",
            "side": "sell",
            "orderType": "limit",
            "force": "normal",
            "price": "30000",
            "quantity": "0.5",
            "clientOrderId": "bob-1",
        },
    )
    assert r["code"] == "00000", r
    sell_id = r["data"]["orderId"]
    r = alice.post(
        "/api/spot/v1/trade/orders",
        {
            "symbol": "btcusdt_spbl",
            "side": "buy",
            "orderType": "limit",
            "force": "normal",
            "price": "30001",
            "quantity": "0.2",
        },
    )
    assert r["code"] == "00000", r
    info = bob.post("/api/spot/v1/trade/orderInfo", {"orderId": sell_id})
    assert info["data"][0]["status"] == "partial_fill"
    assert info["data"][0]["fillQuantity"] == "0.2"
    assert info["data"][0]["fillPrice"] == "30000"
    assets = {a["coinName"]: a for a in alice.get("/api/spot/v1/account/assets")["data"]}
    assert assets["btc"]["available"] == "0.1998"  # 0.2 less the 0.1% taker fee
    assert assets["usdt"]["available"] == "94000"
    fills = alice.post("/api/spot/v1/trade/fills", {"symbol": "BTCUSDT_SPBL"})["data"]
    assert [(f["fillPrice"], f["fillQuantity"], f["fees"], f["feeCcy"]) for f in fills] == [
        ("30000", "0.2", "0.0002", "btc")
    ]
    depth = alice.get("/api/spot/v1/market/depth", {"symbol": "BTCUSDT_SPBL"})["data"]
    assert depth["asks"] == [["30000", "0.3"]]
    assert depth["bids"] == []


def test_depth_follows_every_change(server: ServerProcess) -> None:
    """Depth answers may be reused between changes, never after one."""
    bob = SignedClient(server.url, server.new_user({"BTC": "2"}))
    params = {"symbol": "BTCUSDT_SPBL", "limit": "5"}
    seen = []
    for i in range(3):
        seen.append(bob.get("/api/spot/v1/market/depth", params)["data"]["asks"])
        seen.append(bob.get("/api/spot/v1/market/depth", params)["data"]["asks"])
        r = bob.post("/api/spot/v1/trade/orders", {"symbol": "BTCUSDT_SPBL", "side": "sell",
                     "orderType": "limit", "force": "normal", "price": str(30000 + i),
                     "quantity": "0.1"})  # fmt: skip
        assert r["code"] == "00000", r
    seen.append(bob.get("/api/spot/v1/market/depth", params)["data"]["asks"])
    assert seen == [
        [], [],
        [["30000", "0.1"]], [["30000", "0.1"]],
        [["30000", "0.1"], ["30001", "0.1"]], [["30000", "0.1"], ["30001", "0.1"]],
        [["30000", "0.1"], ["30001", "0.1"], ["30002", "0.1"]],
    ]  # fmt: skip
