"""One builder per endpoint: request parameters in, :class:`~._core.Call` out.

The sync and async clients are thin wrappers that run these calls, so the wire shape of
every request (parameter names, what goes in the query and what in the JSON body) is
written once, here. ``None`` arguments are left out of the request.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import endpoints as ep
from ._core import Call
from ._wire import Amount, millis, obj, objs, text
from .enums import CandlePeriod, Force, OrderType, Side
from .errors import InvalidResponseError
from .models import (
    Asset,
    BatchPlaceResult,
    Bill,
    Candle,
    Currency,
    Fill,
    MarketTrade,
    Order,
    OrderBook,
    OrderRequest,
    PlacedOrder,
    Product,
    Ticker,
    TransferRecord,
)

Scalar = str | int | None


def _query(**values: Scalar) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value is not None}


def _body(**values: object) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}


def _single(data: object) -> object:
    """A single object that some servers wrap in a one-element list."""
    if isinstance(data, list):
        if not data:
            raise InvalidResponseError("expected one object, got an empty list")
        return data[0]
    return data


def _parse_time(data: object) -> int:
    if isinstance(data, dict):
        data = obj(data).get("serverTime", obj(data).get("time"))
    return millis(data)


def _parse_ids(data: object) -> list[str]:
    if isinstance(data, dict):
        d = obj(data)
        data = d.get("orderIds", d.get("resultList", []))
    if not isinstance(data, list):
        return [_parse_id(data)]
    return [_parse_id(item) for item in data]


def _parse_id(data: object) -> str:
    if isinstance(data, dict):
        return text(obj(data).get("orderId"))
    return text(data)


def _parse_listen_key(data: object) -> str:
    if isinstance(data, dict):
        return text(obj(data).get("listenKey"))
    return text(data)


def _parse_listen_keys(data: object) -> list[str]:
    if isinstance(data, dict):
        data = obj(data).get("listenKey", [])
    if isinstance(data, str):
        return [data]
    if not isinstance(data, list):
        raise InvalidResponseError("expected a list of listen keys")
    return [text(key) for key in data]


def server_time() -> Call[int]:
    return Call(ep.SERVER_TIME, _parse_time)


def currencies() -> Call[list[Currency]]:
    return Call(ep.CURRENCIES, lambda d: [Currency.from_wire(x) for x in objs(d)])


def products() -> Call[list[Product]]:
    return Call(ep.PRODUCTS, lambda d: [Product.from_wire(x) for x in objs(d)])


def product(symbol: str) -> Call[Product]:
    return Call(ep.PRODUCT, lambda d: Product.from_wire(_single(d)), _query(symbol=symbol))


def ticker(symbol: str) -> Call[Ticker]:
    return Call(ep.TICKER, lambda d: Ticker.from_wire(_single(d)), _query(symbol=symbol))


def tickers() -> Call[list[Ticker]]:
    return Call(ep.TICKERS, lambda d: [Ticker.from_wire(x) for x in objs(d)])


def recent_trades(symbol: str, limit: int | None) -> Call[list[MarketTrade]]:
    params = _query(symbol=symbol, limit=limit)
    return Call(ep.MARKET_FILLS, lambda d: [MarketTrade.from_wire(x) for x in objs(d)], params)


def candles(
    symbol: str,
    period: CandlePeriod | str,
    after: int | None,
    before: int | None,
    limit: int | None,
) -> Call[list[Candle]]:
    period_value = CandlePeriod.coerce(period).value
    params = _query(symbol=symbol, period=period_value, after=after, before=before, limit=limit)

    def parse(data: object) -> list[Candle]:
        items = data if isinstance(data, list) else objs(data)
        return [Candle.from_wire(item) for item in items]

    return Call(ep.CANDLES, parse, params)


def depth(symbol: str, merge: str, limit: int | None) -> Call[OrderBook]:
    params = _query(symbol=symbol, type=merge, limit=limit)
    return Call(ep.DEPTH, OrderBook.from_wire, params)


def assets(coin: str | None) -> Call[list[Asset]]:
    return Call(ep.ASSETS, lambda d: [Asset.from_wire(x) for x in objs(d)], _query(coin=coin))


def bills(
    coin_id: int | None,
    group_type: str | None,
    biz_type: str | None,
    after: str | None,
    before: str | None,
    limit: int | None,
) -> Call[list[Bill]]:
    body = _body(
        coinId=coin_id,
        groupType=group_type,
        bizType=biz_type,
        after=after,
        before=before,
        limit=limit,
    )
    return Call(ep.BILLS, lambda d: [Bill.from_wire(x) for x in objs(d)], body=body)


def transfer_records(
    coin_id: int | None,
    from_type: str | None,
    after: int | None,
    before: int | None,
    limit: int | None,
) -> Call[list[TransferRecord]]:
    params = _query(coinId=coin_id, fromType=from_type, after=after, before=before, limit=limit)
    return Call(
        ep.TRANSFER_RECORDS, lambda d: [TransferRecord.from_wire(x) for x in objs(d)], params
    )


def place_order(
    symbol: str,
    side: Side | str,
    order_type: OrderType | str,
    quantity: Amount,
    price: Amount | None,
    force: Force | str,
    client_order_id: str | None,
) -> Call[PlacedOrder]:
    item = OrderRequest(side, quantity, order_type, price, force, client_order_id).to_wire()
    body: dict[str, object] = {"symbol": symbol, **item}
    return Call(ep.PLACE_ORDER, PlacedOrder.from_wire, body=body)


def batch_orders(symbol: str, orders: Sequence[OrderRequest]) -> Call[BatchPlaceResult]:
    body = {"symbol": symbol, "orderList": [order.to_wire() for order in orders]}
    return Call(ep.BATCH_ORDERS, BatchPlaceResult.from_wire, body=body)


def cancel_order(symbol: str, order_id: str) -> Call[str]:
    return Call(ep.CANCEL_ORDER, _parse_id, body={"symbol": symbol, "orderId": order_id})


def cancel_batch(symbol: str, order_ids: Sequence[str]) -> Call[list[str]]:
    body = {"symbol": symbol, "orderIds": list(order_ids)}
    return Call(ep.CANCEL_BATCH, _parse_ids, body=body)


def order_info(
    symbol: str | None, order_id: str | None, client_order_id: str | None
) -> Call[list[Order]]:
    if not order_id and not client_order_id:
        raise ValueError("give order_id or client_order_id")
    body = _body(symbol=symbol, orderId=order_id, clientOrderId=client_order_id)
    return Call(ep.ORDER_INFO, lambda d: [Order.from_wire(x) for x in objs(d)], body=body)


def open_orders(symbol: str | None) -> Call[list[Order]]:
    body = _body(symbol=symbol)
    return Call(ep.OPEN_ORDERS, lambda d: [Order.from_wire(x) for x in objs(d)], body=body)


def order_history(
    symbol: str, after: str | None, before: str | None, limit: int | None
) -> Call[list[Order]]:
    body = _body(symbol=symbol, after=after, before=before, limit=limit)
    return Call(ep.HISTORY, lambda d: [Order.from_wire(x) for x in objs(d)], body=body)


def fills(
    symbol: str,
    order_id: str | None,
    after: str | None,
    before: str | None,
    limit: int | None,
) -> Call[list[Fill]]:
    body = _body(symbol=symbol, orderId=order_id, after=after, before=before, limit=limit)
    return Call(ep.FILLS, lambda d: [Fill.from_wire(x) for x in objs(d)], body=body)


def create_listen_key() -> Call[str]:
    return Call(ep.LISTEN_KEY_CREATE, _parse_listen_key, body={})


def listen_keys() -> Call[list[str]]:
    return Call(ep.LISTEN_KEY_LIST, _parse_listen_keys)


def keep_alive_listen_key(listen_key: str) -> Call[str]:
    return Call(ep.LISTEN_KEY_KEEPALIVE, _parse_listen_key, _query(listenKey=listen_key))


def close_listen_key(listen_key: str) -> Call[str]:
    return Call(ep.LISTEN_KEY_CLOSE, _parse_listen_key, _query(listenKey=listen_key))
