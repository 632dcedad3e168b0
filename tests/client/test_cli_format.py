"""What ``openweex client`` prints: tables and one line per stream event."""

from __future__ import annotations

import json
from decimal import Decimal

from openweex.client import (
    AccountEvent,
    Asset,
    BookTickerEvent,
    DealEvent,
    DepthEvent,
    KlineEvent,
    OrderEvent,
    PriceLevel,
    PublicDeal,
    PublicDealsEvent,
    Side,
    StreamOrderStatus,
    StreamOrderType,
    UnknownEvent,
)
from openweex.client import _cli_format as fmt

T = 1_700_000_000_123  # 2023-11-14 22:13:20.123 UTC
D = Decimal


def _order(**changes: object) -> OrderEvent:
    values: dict[str, object] = {
        "symbol": "BTCUSDT",
        "event_time": T,
        "order_id": "42",
        "client_order_id": "c-1",
        "side": Side.BUY,
        "kind": StreamOrderType.LIMIT,
        "status": StreamOrderStatus.PARTIALLY_FILLED,
        "price": D("100.5"),
        "quantity": D("2"),
        "amount": D("201"),
        "remain_quantity": D("1.5"),
        "remain_amount": D("150.75"),
        "avg_price": D("100.5"),
        "cumulative_quantity": D("0.5"),
        "cumulative_amount": D("50.25"),
        "is_maker": True,
        "create_time": T,
    }
    values.update(changes)
    return OrderEvent(**values)  # type: ignore[arg-type]


def test_table_aligns_numbers_right_and_text_left() -> None:
    assets = [
        Asset("1", "btc", D("1.5"), D("0"), D("0"), T),
        Asset("2", "usdt", D("100000"), D("250.25"), D("0"), T),
    ]
    assert fmt.balances(assets).splitlines() == [
        "COIN  AVAILABLE  FROZEN  LOCKED",
        "BTC         1.5       0       0",
        "USDT     100000  250.25       0",
    ]
    assert fmt.balances([]) == "(none)"


def test_private_event_lines() -> None:
    assert fmt.event_line(_order()) == (
        "22:13:20.123 order BTCUSDT 42 buy limit 2@100.5 partial_fill filled 0.5 avg 100.5"
        " client-id c-1"
    )
    market_buy = _order(kind=StreamOrderType.MARKET, price=D(0), quantity=D(0), amount=D(10))
    assert "buy market 10 (quote) at market" in fmt.event_line(market_buy)
    deal = DealEvent(
        "BTCUSDT",
        T,
        "7",
        "42",
        None,
        Side.SELL,
        D("100"),
        D("0.5"),
        D("50"),
        T,
        False,
        False,
        D("0.05"),
        "USDT",
    )
    assert fmt.event_line(deal) == (
        "22:13:20.123 deal BTCUSDT order 42 sell 0.5@100 taker fee 0.05 USDT trade 7"
    )
    account = AccountEvent(T, "USDT", T, D("90"), D("-10"), D("10"), D("10"), "ENTRUST_PLACE")
    assert fmt.event_line(account) == (
        "22:13:20.123 account USDT free 90 (-10) frozen 10 (+10) ENTRUST_PLACE"
    )


def test_public_event_lines() -> None:
    deals = PublicDealsEvent("BTCUSDT", T, (PublicDeal(D("101"), D("0.2"), Side.BUY, T),))
    assert fmt.event_line(deals) == "22:13:20.123 trades BTCUSDT buy 0.2@101"
    level = PriceLevel(D("99"), D("3"))
    depth = DepthEvent("BTCUSDT", T, True, (), (level,), "5")
    assert fmt.event_line(depth) == "22:13:20.123 depth BTCUSDT bids 3@99 | asks -"
    book = BookTickerEvent("BTCUSDT", T, D("99"), D("3"), D("101"), D("1"))
    assert fmt.event_line(book) == "22:13:20.123 book BTCUSDT bid 3@99 ask 1@101"
    kline = KlineEvent("BTCUSDT", T, "Min1", T, T, D(1), D(2), D("0.5"), D("1.5"), D(9), D(6))
    assert fmt.event_line(kline).startswith("22:13:20.123 kline BTCUSDT Min1 2023-11-14 22:13:20")
    unknown = UnknownEvent("x@y", "BTCUSDT", T, {"c": "x@y", "d": {"a": 1}})
    assert fmt.event_line(unknown).endswith('x@y {"c": "x@y", "d": {"a": 1}}')


def test_event_json_names_the_event() -> None:
    line = json.loads(fmt.event_json(_order()))
    assert line["event"] == "order"
    assert line["price"] == "100.5" and line["side"] == "buy" and line["status"] == 3
