"""Stream frames of the contract and the MEXC reference decode into typed events."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import pytest

from openweex.client import (
    AccountEvent,
    BookTickerEvent,
    DealEvent,
    DepthEvent,
    Force,
    KlineEvent,
    OrderEvent,
    OrderStatus,
    OrderType,
    PriceLevel,
    PublicDeal,
    PublicDealsEvent,
    Side,
    StreamOrderStatus,
    StreamOrderType,
    UnknownEvent,
    parse_message,
)
from openweex.client.events import Ack, decode_message

from . import golden


def test_private_order_frame() -> None:
    event = parse_message(golden.WS_ORDER)
    assert isinstance(event, OrderEvent)
    assert (event.symbol, event.event_time, event.order_id) == (
        "MXUSDT",
        1661938138193,
        "e03a5c7441e44ed899466a7140b71391",
    )
    assert event.side is Side.BUY and event.kind is StreamOrderType.LIMIT
    assert event.status is StreamOrderStatus.NEW and event.order_status is OrderStatus.NEW
    assert event.price == Decimal("0.8") and event.quantity == 10 and event.amount == 8
    assert event.remain_amount == Decimal("8.0") and event.remain_quantity == 10
    assert event.avg_price == event.cumulative_quantity == event.cumulative_amount == 0
    assert event.client_order_id is None and event.is_maker is False
    assert event.create_time == 1661938138000 and event.trigger_price is None
    assert event.order_type is OrderType.LIMIT and event.force is Force.NORMAL


def test_stop_limit_order_frame() -> None:
    event = parse_message(golden.WS_STOP_ORDER)
    assert isinstance(event, OrderEvent)
    assert event.kind is StreamOrderType.STOP_LIMIT and event.status is StreamOrderStatus.NEW
    assert event.trigger_price == Decimal("0.9") and event.price == Decimal("1.01")


@pytest.mark.parametrize(
    ("kind", "status", "order_type", "force", "rest_status"),
    [
        (2, 3, OrderType.LIMIT, Force.POST_ONLY, OrderStatus.PARTIAL_FILL),
        (3, 4, OrderType.LIMIT, Force.IOC, OrderStatus.CANCELLED),
        (4, 5, OrderType.LIMIT, Force.FOK, OrderStatus.CANCELLED),
        (5, 2, OrderType.MARKET, Force.NORMAL, OrderStatus.FULL_FILL),
    ],
)
def test_order_numeric_enums(
    kind: int, status: int, order_type: OrderType, force: Force, rest_status: OrderStatus
) -> None:
    frame = json.loads(golden.WS_ORDER)
    frame["d"] = {"i": "1", "S": 2, "o": kind, "s": status, "p": "1", "v": "2", "c": "cid"}
    event = parse_message(json.dumps(frame))
    assert isinstance(event, OrderEvent)
    assert event.side is Side.SELL and event.client_order_id == "cid"
    assert (event.order_type, event.force, event.order_status) == (order_type, force, rest_status)


def test_private_deal_frame() -> None:
    event = parse_message(golden.WS_DEALS)
    assert isinstance(event, DealEvent)
    assert event.price == Decimal("1.804") and event.quantity == Decimal("0.31")
    assert event.amount == Decimal("0.55924") and event.side is Side.BUY
    assert event.trade_time == 1678901086198 and event.trade_id.startswith("5bbb6a")
    assert event.order_id.startswith("2dd965") and event.client_order_id is None
    assert event.fee == Decimal("0.000248206380027431") and event.fee_asset == "MX"
    assert not event.is_maker and not event.is_self_trade
    assert (event.symbol, event.event_time) == ("MXUSDT", 1661938980285)


def test_private_account_frame() -> None:
    event = parse_message(golden.WS_ACCOUNT)
    assert isinstance(event, AccountEvent)
    assert event.asset == "USDT" and event.change_type == "ENTRUST_PLACE"
    assert event.free == Decimal("302.185113007893322435")
    assert event.free_change == Decimal("-4.990689704") and event.frozen == Decimal("4.990689704")
    assert event.frozen_change == Decimal("4.990689704")
    assert (event.change_time, event.event_time) == (1678185928428, 1678185928435)


def test_public_deals_frame() -> None:
    event = parse_message(golden.WS_PUBLIC_DEALS)
    assert isinstance(event, PublicDealsEvent) and event.symbol == "BTCUSDT"
    assert event.deals == (
        PublicDeal(Decimal("20233.84"), Decimal("0.001028"), Side.SELL, 1661927587825),
    )


def test_kline_frame_times_become_ms() -> None:
    event = parse_message(golden.WS_KLINE)
    assert isinstance(event, KlineEvent)
    assert (event.interval, event.start_time, event.end_time) == (
        "Min15",
        1661931000000,
        1661931900000,
    )
    assert event.open == Decimal("20284.93") and event.close == Decimal("20279.43")
    assert event.high == Decimal("20284.93") and event.low == Decimal("20277.52")
    assert event.volume == Decimal("29043.48804658") and event.quantity == Decimal("1.43211")


def test_depth_frames() -> None:
    diff = parse_message(golden.WS_INCREASE_DEPTH)
    assert isinstance(diff, DepthEvent) and diff.snapshot is False
    assert diff.asks == (PriceLevel(Decimal("20290.89"), Decimal("0")),) and diff.bids == ()
    assert diff.version == "3407459756"
    top = parse_message(golden.WS_LIMIT_DEPTH)
    assert isinstance(top, DepthEvent) and top.snapshot is True
    assert top.asks[0].quantity == Decimal("0.650000")


def test_book_ticker_frame() -> None:
    event = parse_message(golden.WS_BOOK_TICKER)
    assert isinstance(event, BookTickerEvent)
    assert (event.bid_price, event.bid_quantity) == (Decimal("25.35190000"), Decimal("31.21"))
    assert (event.ask_price, event.ask_quantity) == (Decimal("25.3652"), Decimal("40.66"))


def test_acks_pongs_and_text_are_not_events() -> None:
    assert parse_message('{"id":0,"code":0,"msg":"spot@private.orders.v3.api"}') is None
    assert parse_message('{"id":0,"code":0,"msg":"PONG"}') is None
    assert parse_message("listen key expired") is None
    assert decode_message('{"id":0,"code":0,"msg":"PONG"}') == Ack(0, "PONG")
    assert decode_message('{"id":0,"code":1,"msg":"bad"}') == Ack(1, "bad")


def test_unknown_or_broken_frames_are_kept_raw() -> None:
    mini = {"c": "spot@public.miniTicker.v3.api@BTCUSDT@UTC+8", "d": {"p": "1"}, "t": 1699502456051}
    event = parse_message(json.dumps(mini))
    assert isinstance(event, UnknownEvent) and event.raw == mini
    assert event.event_time == 1699502456051
    broken = '{"c":"spot@private.orders.v3.api","d":{"S":9,"o":1,"s":1},"t":7}'
    event = parse_message(broken)
    assert isinstance(event, UnknownEvent) and event.channel == "spot@private.orders.v3.api"


def test_compressed_binary_frames() -> None:
    event = parse_message(gzip.compress(golden.WS_BOOK_TICKER.encode()))
    assert isinstance(event, BookTickerEvent)
    assert isinstance(parse_message(golden.WS_DEALS.encode()), DealEvent)
