"""Times in the market and history endpoints: the 90-day horizon of every query, and the
ticker's ``openUtc0`` (the price at 00:00 UTC today) and its change rates.

The runtime stamps its commands with a clock the tests move; the endpoints read the wall
clock, so the trades made here are as old as the tests say.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openweex.api.wire import change_rate
from tests.api.helpers import ORDERS, InProc, limit_order
from tests.support.server import User

S = "BTCUSDT_SPBL"
DAY_MS = 86_400_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock:
    """The runtime's clock: the wall clock moved back by ``back_ms``."""

    def __init__(self) -> None:
        self.back_ms = 0

    def __call__(self) -> int:
        return wall_ms() - self.back_ms


@pytest.fixture
async def timed(tmp_path: Path) -> AsyncIterator[tuple[InProc, Clock]]:
    clock = Clock()
    inproc = await InProc(tmp_path / "data", clock=clock).start()
    yield inproc, clock
    await inproc.stop()


async def trade(ex: InProc, maker: User, taker: User, price: str) -> None:
    await ex.ok(maker, "POST", ORDERS, body=limit_order("sell", price, "0.1"))
    await ex.ok(taker, "POST", ORDERS, body=limit_order("buy", price, "0.1"))


async def public(ex: InProc, path: str, **params: Any) -> Any:
    r = await ex.http.get(f"/api/spot/v1{path}", params={"symbol": S, **params})
    payload = r.json()
    assert payload["code"] == "00000", payload
    return payload["data"]


async def test_nothing_older_than_90_days_is_returned(timed: tuple[InProc, Clock]) -> None:
    ex, clock = timed
    clock.back_ms = 100 * DAY_MS
    maker = await ex.new_user({"BTC": "10", "USDT": "100000"})
    taker = await ex.new_user({"BTC": "10", "USDT": "100000"})
    await trade(ex, maker, taker, "100")
    await ex.ok(taker, "POST", ORDERS, body=limit_order("buy", "50", "0.1", clientOrderId="old"))
    clock.back_ms = 10 * DAY_MS
    await trade(ex, maker, taker, "200")
    clock.back_ms = 0

    # market data: the candles and the trades of 10 days ago, none of 100 days ago
    for period in ("1min", "1h", "1d"):
        candles = await public(ex, "/market/candles", period=period)
        assert [c["close"] for c in candles] == ["200"], period
    old_start = wall_ms() - 101 * DAY_MS
    candles = await public(ex, "/market/candles", period="1d", after=str(old_start))
    assert [c["close"] for c in candles] == ["200"]
    assert [t["fillPrice"] for t in await public(ex, "/market/fills")] == ["200"]

    # a user's history: the same
    history = await ex.ok(taker, "POST", "/api/spot/v1/trade/history", body={"symbol": S})
    assert [o["price"] for o in history] == ["200"]
    fills = await ex.ok(taker, "POST", "/api/spot/v1/trade/fills", body={"symbol": S})
    assert [f["fillPrice"] for f in fills] == ["200"]
    bills = await ex.ok(taker, "POST", "/api/spot/v1/account/bills", body={})
    assert bills and all(int(b["cTime"]) >= wall_ms() - 11 * DAY_MS for b in bills)
    # the order resting since then is still open: the horizon is of queries, not of orders
    opened = await ex.ok(taker, "POST", "/api/spot/v1/trade/open-orders", body={"symbol": S})
    assert [o["clientOrderId"] for o in opened] == ["old"]


async def test_open_utc0_is_the_price_at_midnight_utc(timed: tuple[InProc, Clock]) -> None:
    ex, clock = timed
    now = wall_ms()
    midnight = now - now % DAY_MS
    clock.back_ms = now - (midnight - 2 * 3_600_000)  # yesterday 22:00 UTC
    maker = await ex.new_user({"BTC": "10", "USDT": "100000"})
    taker = await ex.new_user({"BTC": "10", "USDT": "100000"})
    await trade(ex, maker, taker, "100")
    clock.back_ms = now - (midnight - 3_600_000)  # yesterday 23:00 UTC
    await trade(ex, maker, taker, "200")

    clock.back_ms = 0
    # no trade today yet: the price at midnight is the last one before it
    ticker = await public(ex, "/market/ticker")
    assert (ticker["openUtc0"], ticker["close"]) == ("200", "200")
    assert (ticker["changeUtc"], ticker["change"]) == ("0", "1")  # the 24h open is 100

    await trade(ex, maker, taker, "300")
    await trade(ex, maker, taker, "310")
    ticker = await public(ex, "/market/ticker")
    assert (ticker["openUtc0"], ticker["close"], ticker["high24h"]) == ("300", "310", "310")
    assert (ticker["changeUtc"], ticker["change"]) == ("0.033333", "2.1")
    tickers = await public(ex, "/market/tickers")
    assert [t["openUtc0"] for t in tickers if t["symbol"] == "BTCUSDT"] == ["300"]
    (today,) = await public(ex, "/market/candles", period="1d", after=str(midnight))
    assert today["open"] == ticker["openUtc0"]


async def test_open_utc0_before_any_trade_is_zero(timed: tuple[InProc, Clock]) -> None:
    ex, _ = timed
    assert (await public(ex, "/market/ticker"))["openUtc0"] == "0"


@given(
    opened=st.integers(min_value=-5, max_value=10**15),
    now=st.integers(min_value=0, max_value=10**15),
)
def test_change_rates_are_exact_and_rounded_half_to_even(opened: int, now: int) -> None:
    """The ticker's ``change``/``changeUtc``: (now - opened) / opened to 6 decimals, as
    Decimal rounds it (half to even), "0" without an open price."""
    got = change_rate(opened, now)
    if opened <= 0:
        assert got == "0"
        return
    with localcontext() as ctx:
        ctx.prec = 60
        want = ((Decimal(now) - opened) / opened).quantize(Decimal("1e-6"), ROUND_HALF_EVEN)
    assert Decimal(got) == want
    assert got == (format(want.normalize(), "f") if want else "0")


def test_change_rates_on_ties() -> None:
    assert change_rate(8, 9) == "0.125"
    assert change_rate(16_000_000, 16_000_001) == "0"  # 0.0000000625: rounds down to 0
    assert change_rate(2_000_000, 2_000_001) == "0"  # 0.0000005: a tie, to the even 0
    assert change_rate(2_000_000, 2_000_003) == "0.000002"  # 0.0000015: a tie, to 2
    assert change_rate(2_000_000, 1_999_997) == "-0.000002"  # -0.0000015: a tie, to -2
    assert change_rate(100, 50) == "-0.5"
