"""Tolerant decoding: numbers as strings or numbers, extra fields, seconds, enum aliases."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openweex.client import (
    BatchPlaceResult,
    Candle,
    Force,
    InvalidResponseError,
    Order,
    OrderBook,
    OrderRequest,
    OrderStatus,
    Side,
)
from openweex.client._wire import amount_param, dec, loads, millis


def test_numbers_as_json_numbers_and_extra_fields() -> None:
    raw = loads(
        '{"orderId": 12, "symbol": "BTCUSDT_SPBL", "price": 30000.10, "quantity": 1,'
        ' "orderType": "LIMIT", "side": "Sell", "status": "canceled", "cTime": 1622697148123,'
        ' "fillPrice": null, "fillQuantity": "", "force": "postOnly", "brandNew": [1, 2]}'
    )
    order = Order.from_wire(raw)
    assert order.order_id == "12" and order.price == Decimal("30000.10")
    assert order.side is Side.SELL and order.status is OrderStatus.CANCELLED
    assert order.force is Force.POST_ONLY and order.c_time == 1622697148123
    assert order.fill_price == 0 and order.fill_quantity == 0 and order.client_order_id is None


def test_floats_never_lose_digits() -> None:
    assert dec(0.1) == Decimal("0.1")
    assert loads("0.30000000000000004") == Decimal("0.30000000000000004")


def test_timestamps_in_seconds_become_ms() -> None:
    assert millis("1622697148") == 1622697148000
    assert millis(1622697148123) == 1622697148123
    assert millis(None) == 0


def test_candles_as_arrays_and_depth_as_objects() -> None:
    candle = Candle.from_wire(["1622091360000", "1", "2", "0.5", "1.5", "10", "15"])
    assert candle.high == 2 and candle.quote_vol == 15 and candle.usdt_vol == 0
    book = OrderBook.from_wire({"asks": [{"p": "1", "v": "2"}], "bids": [], "ts": 1622091360000})
    assert book.asks[0].quantity == 2 and book.timestamp == 1622091360000


def test_batch_result_with_failures() -> None:
    result = BatchPlaceResult.from_wire(
        {
            "resultList": [{"orderId": "1", "clientOrderId": "a"}],
            "failure": [
                {"clientOrderId": "b", "errorMsg": "Insufficient balance", "errorCode": "43012"}
            ],
        }
    )
    assert result.placed[0].order_id == "1"
    assert result.failed[0].error_code == "43012" and result.failed[0].client_order_id == "b"


def test_invalid_numbers_are_invalid_responses() -> None:
    with pytest.raises(InvalidResponseError):
        dec("abc")
    with pytest.raises(InvalidResponseError):
        Order.from_wire([1, 2])


@given(st.decimals(allow_nan=False, allow_infinity=False, places=12))
def test_amount_params_round_trip(value: Decimal) -> None:
    text = amount_param(value)
    assert "E" not in text.upper() and Decimal(text) == value
    assert dec(json.loads(json.dumps(text))) == value


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (1.5, TypeError),
        (True, TypeError),
        (None, TypeError),
        ("NaN", ValueError),
        ("-Infinity", ValueError),
        (Decimal("NaN"), ValueError),
        (Decimal("Infinity"), ValueError),
        ("1,5", ValueError),
    ],
)
def test_amounts_that_are_no_number_are_refused(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        amount_param(value)  # type: ignore[arg-type]


def test_order_request_wire_shape() -> None:
    request = OrderRequest("BUY", 100, "Market", force="ioc", client_order_id="x")
    assert request.to_wire() == {
        "side": "buy",
        "orderType": "market",
        "force": "ioc",
        "quantity": "100",
        "clientOrderId": "x",
    }
    with pytest.raises(ValueError):
        OrderRequest("buy", "1", force="forever").to_wire()
