"""Market data views reused between durable batches: never stale, never shared wrongly."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import ORDERS, InProc, limit_order

S = "BTCUSDT_SPBL"
TICKER = "/api/spot/v1/market/ticker"
DEPTH = "/api/spot/v1/market/depth"
CANDLES = "/api/spot/v1/market/candles"


async def _get(ex: InProc, path: str, **params: Any) -> tuple[Any, int]:
    r = await ex.http.get(path, params={"symbol": S, **params})
    payload = r.json()
    assert payload["code"] == "00000", payload
    return payload["data"], payload["requestTime"]


async def test_views_follow_every_durable_change(ex: InProc) -> None:
    maker = await ex.new_user({"BTC": "10", "USDT": "1000000"})
    taker = await ex.new_user({"BTC": "10", "USDT": "1000000"})
    await ex.ok(maker, "POST", ORDERS, body=limit_order("sell", "30000", "0.5"))
    t1, _ = await _get(ex, TICKER)
    d1, _ = await _get(ex, DEPTH, limit=5)
    c1, _ = await _get(ex, CANDLES, period="1min")
    assert (t1["sellOne"], t1["close"]) == ("30000", "0")
    assert d1["asks"] == [["30000", "0.5"]] and c1 == []
    # the same request again reads the same state
    assert (await _get(ex, DEPTH, limit=5))[0]["asks"] == d1["asks"]

    await ex.ok(taker, "POST", ORDERS, body=limit_order("buy", "30000", "0.2"))
    t2, _ = await _get(ex, TICKER)
    d2, _ = await _get(ex, DEPTH, limit=5)
    c2, _ = await _get(ex, CANDLES, period="1min")
    assert (t2["close"], t2["baseVol"], t2["askSz"]) == ("30000", "0.2", "0.3")
    assert d2["asks"] == [["30000", "0.3"]]
    assert len(c2) == 1 and c2[0]["close"] == "30000" and c2[0]["baseVol"] == "0.2"
    # different parameters are different views
    assert (await _get(ex, DEPTH, limit=5, type="step4"))[0]["asks"] == [["30000", "0.3"]]
    five = (await _get(ex, CANDLES, period="5min"))[0]
    assert [{**c, "ts": 0} for c in five] == [{**c, "ts": 0} for c in c2]
    assert int(five[0]["ts"]) % 300_000 == 0 and int(c2[0]["ts"]) % 60_000 == 0


async def test_reused_ticker_and_depth_carry_the_request_time(ex: InProc) -> None:
    for _ in range(3):
        t, now = await _get(ex, TICKER)
        assert t["ts"] == str(now)
        d, now = await _get(ex, DEPTH)
        assert d["timestamp"] == str(now)


async def test_only_the_current_states_views_are_kept(ex: InProc) -> None:
    """Views of an older state are never asked for again: the cache drops them when the
    state moves on, instead of holding up to 512 of them (a full depth view is tens of KB)."""
    maker = await ex.new_user({"BTC": "10", "USDT": "1000000"})
    for i in range(5):
        await ex.ok(maker, "POST", ORDERS, body=limit_order("sell", str(30000 + i), "0.1"))
        await _get(ex, DEPTH)
        await _get(ex, DEPTH, limit=5)
        await _get(ex, CANDLES, period="1min")
        assert len(ex.api.view_cache) == 3
    assert (await _get(ex, DEPTH, limit=5))[0]["asks"][-1] == ["30004", "0.1"]
    assert len(ex.api.view_cache) == 3
