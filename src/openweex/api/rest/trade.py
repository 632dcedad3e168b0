"""Trade endpoints: place, batch place, cancel, batch cancel, order info, open orders,
history, fills. Placement and cancellation go through the runtime (durable before the
response); open orders read the live engine; history and fills read the read models.
"""

from __future__ import annotations

from typing import Any

from openweex.api import schemas, wire
from openweex.api.params import (
    HISTORY_MS,
    SYMBOL,
    SYMBOL_FILTER,
    Params,
    Rejected,
    client_oid_param,
    fail,
    id_param,
    id_spec,
    opt_list,
    opt_str,
    req_str,
    symbol_param,
    units_param,
)
from openweex.api.rest.account import id_page, page_params
from openweex.api.routing import ARRAY, DECIMAL, READ, TRADE, Ctx, Param, route
from openweex.domain import errors
from openweex.domain.commands import CancelBatch, CancelOrder, PlaceBatch, PlaceOrder
from openweex.domain.errors import Reject
from openweex.domain.markets import Symbol
from openweex.domain.values import (
    CLIENT_OID_PATTERN,
    FORCES,
    ORDER_TYPES,
    SIDES,
    Force,
    OrderType,
    Side,
)
from openweex.engine.amounts import notional
from openweex.engine.trading import OrderAck

MAX_BATCH = 50
CLIENT_OID = Param(
    "clientOrderId",
    description="the caller's id of the order, unique among its open orders",
    pattern=CLIENT_OID_PATTERN,
)
ORDER_PARAMS = (
    Param("side", required=True, description="case-insensitive", enum=tuple(SIDES)),
    Param("orderType", required=True, description="case-insensitive", enum=tuple(ORDER_TYPES)),
    Param(
        "force",
        description="time in force, required for a limit order (case-insensitive; gtc is"
        " normal, postonly is post_only); ignored for a market order",
        enum=tuple(FORCES),
    ),
    Param(
        "price",
        DECIMAL,
        description="required for a limit order, on the symbol's priceScale; ignored for a"
        " market order",
    ),
    Param(
        "quantity",
        DECIMAL,
        required=True,
        description="in the base coin, on the symbol's quantityScale; for a market buy, the"
        " amount of the quote coin to spend",
    ),
    CLIENT_OID,
)
ORDER_ID = id_spec("orderId")
WHICH_ORDER = (
    id_spec("orderId", "the order; or give clientOrderId"),
    Param(
        "clientOrderId",
        description="the order, when orderId is not given",
        pattern=CLIENT_OID_PATTERN,
    ),
)


def parse_order(p: Params, sym: Symbol, uid: int, coins_scale: int) -> PlaceOrder:
    """Turn WEEX order parameters into a :class:`PlaceOrder` (ts is stamped later)."""
    side = SIDES.get(req_str(p, "side").lower())
    if side is None:
        raise fail(errors.PARAM_INVALID, "side must be buy or sell")
    otype = ORDER_TYPES.get(req_str(p, "orderType").lower())
    if otype is None:
        raise fail(errors.PARAM_INVALID, "orderType must be limit or market")
    if otype is OrderType.MARKET:
        # force and price are ignored for market orders: not even read, so a value a client
        # always sends (an empty price, a force this API does not know) cannot fail them
        force, price = Force.NORMAL, 0
    else:
        f = FORCES.get(req_str(p, "force").lower())
        if f is None:
            raise fail(errors.PARAM_INVALID, "force must be normal, post_only, fok or ioc")
        force, price = f, units_param(p, "price", sym.price_scale)
    scale = coins_scale if otype is OrderType.MARKET and side is Side.BUY else sym.quantity_scale
    qty = units_param(p, "quantity", scale)
    coid = client_oid_param(p)
    return PlaceOrder(0, uid, sym.symbol, side, otype, force, price, qty, coid)


def _ack(r: Any) -> dict[str, Any]:
    assert isinstance(r, OrderAck)
    return {"orderId": str(r.order_id), "clientOrderId": r.client_oid}


@route(
    "POST",
    "/api/spot/v1/trade/orders",
    permission=TRADE,
    params=(SYMBOL, *ORDER_PARAMS),
    response=schemas.ORDER_ACK,
)
async def place_order(ctx: Ctx) -> Any:
    """Place one order."""
    sym = symbol_param(ctx.params, ctx.api.markets)
    result, _ = await ctx.api.runtime.submit(_order(ctx, ctx.params, sym))
    return result if isinstance(result, Reject) else _ack(result)


@route(
    "POST",
    "/api/spot/v1/trade/batch-orders",
    permission=TRADE,
    params=(
        SYMBOL,
        Param(
            "orderList",
            ARRAY,
            required=True,
            description="the orders, each with the fields of a single order but symbol",
            fields=ORDER_PARAMS,
            min_items=1,
            max_items=MAX_BATCH,
        ),
    ),
    response=schemas.BATCH_RESULT,
)
async def batch_orders(ctx: Ctx) -> Any:
    """Place up to 50 orders of one symbol; each succeeds or fails on its own.

    An item that does not parse is reported in ``failure`` like an item the engine rejects;
    the others are still placed, in order. ``failure`` lists the failed items in the order
    of the request, whichever refused them.
    """
    m = ctx.api.markets
    sym = symbol_param(ctx.params, m)
    items = opt_list(ctx.params, "orderList")
    assert items is not None
    if len(items) > MAX_BATCH:
        raise fail(errors.BATCH_TOO_LARGE)
    orders: list[PlaceOrder] = []
    at: list[int] = []  # each order's place in the request
    failed: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise fail(errors.WRONG_FORMAT, "orderList items must be objects")
            orders.append(_order(ctx, item, sym))
            at.append(i)
        except Rejected as exc:
            failed[i] = _failure(item, exc.reject)
    ok: list[dict[str, Any]] = []
    if orders:
        result, _ = await ctx.api.runtime.submit(PlaceBatch(0, ctx.uid, tuple(orders)))
        if isinstance(result, Reject):
            return result
        assert isinstance(result, tuple)
        for i, order, r in zip(at, orders, result, strict=True):
            if isinstance(r, OrderAck):
                ok.append(_ack(r))
            else:
                assert isinstance(r, Reject)
                failed[i] = _failure({"clientOrderId": order.client_oid}, r)
    return {"resultList": ok, "failure": [failed[i] for i in sorted(failed)]}


def _order(ctx: Ctx, p: Params, sym: Symbol) -> PlaceOrder:
    """An order from its parameters, with the minimum of a market buy checked.

    A market buy's quantity is the quote amount to spend: it is refused (45110) when, at the
    best ask, it cannot buy the symbol's ``minTradeAmount``, as a sell or a limit order below
    it is. (Checked here against the book of the moment, not in the engine: the engine's
    rules must stay those that applied the journal it replays.) With no ask there is nothing
    to compare with: the order is accepted and cancelled unfilled.
    """
    scale = ctx.api.markets.coins[sym.quote].scale
    cmd = parse_order(p, sym, ctx.uid, scale)
    if cmd.order_type is OrderType.MARKET and cmd.side is Side.BUY:
        ask = ctx.api.runtime.exchange.books[sym.symbol].best_ask()
        least = notional(sym, ask, sym.min_trade)
        if cmd.quantity < least:
            fmt = wire.format_units
            raise fail(
                errors.BELOW_MINIMUM,
                f"a market buy of {fmt(cmd.quantity, scale)} {sym.quote} buys less than"
                f" minTradeAmount {fmt(sym.min_trade, sym.quantity_scale)} at the best ask"
                f" {fmt(ask, sym.price_scale)}: at least {fmt(least, scale)} {sym.quote}",
            )
    return cmd


def _failure(item: Any, rej: Reject) -> dict[str, Any]:
    coid = item.get("clientOrderId") if isinstance(item, dict) else None
    return {
        "orderId": "",
        "clientOrderId": coid if isinstance(coid, str) else "",
        "errorCode": rej.code,
        "errorMsg": rej.msg,
    }


@route(
    "POST",
    "/api/spot/v1/trade/cancel-order",
    permission=TRADE,
    params=(SYMBOL, *WHICH_ORDER),
    response=schemas.ORDER_ID,
)
async def cancel_order(ctx: Ctx) -> Any:
    """Cancel one order by orderId (or clientOrderId); returns the orderId."""
    sym = symbol_param(ctx.params, ctx.api.markets)
    oid = id_param(ctx.params, "orderId")
    coid = client_oid_param(ctx.params)
    if not oid and not coid:
        raise fail(errors.ORDER_ID_REQUIRED)
    result, _ = await ctx.api.runtime.submit(CancelOrder(0, ctx.uid, sym.symbol, oid or 0, coid))
    return result if isinstance(result, Reject) else str(result)


@route(
    "POST",
    "/api/spot/v1/trade/cancel-batch-orders",
    permission=TRADE,
    params=(
        SYMBOL,
        Param(
            "orderIds",
            ARRAY,
            required=True,
            items=ORDER_ID,
            min_items=1,
            max_items=MAX_BATCH,
        ),
    ),
    response=schemas.ORDER_IDS,
)
async def cancel_batch(ctx: Ctx) -> Any:
    """Cancel up to 50 orders; returns the ids that were cancelled."""
    sym = symbol_param(ctx.params, ctx.api.markets)
    ids = opt_list(ctx.params, "orderIds")
    assert ids is not None
    if len(ids) > MAX_BATCH:
        raise fail(errors.BATCH_TOO_LARGE)
    parsed = [id_param({"orderId": i}, "orderId") or 0 for i in ids]
    result, _ = await ctx.api.runtime.submit(CancelBatch(0, ctx.uid, sym.symbol, tuple(parsed)))
    if isinstance(result, Reject):
        return result
    assert isinstance(result, tuple)
    return [str(r) for r in result if isinstance(r, int)]


@route(
    "POST",
    "/api/spot/v1/trade/orderInfo",
    permission=READ,
    params=(SYMBOL_FILTER, *WHICH_ORDER),
    response=schemas.ONE_ORDER,
)
async def order_info(ctx: Ctx) -> Any:
    """One order (open or finished) by orderId or clientOrderId, as a list."""
    m = ctx.api.markets
    sym = symbol_param(ctx.params, m) if opt_str(ctx.params, "symbol") else None
    oid = id_param(ctx.params, "orderId")
    coid = client_oid_param(ctx.params)
    if not oid and not coid:
        raise fail(errors.ORDER_ID_REQUIRED)
    row = ctx.api.runtime.store.get_order(ctx.uid, oid or 0, coid)
    if row is None or (sym is not None and row.symbol != sym.symbol):
        return errors.reject(errors.ORDER_NOT_FOUND)
    return [wire.order_json(m, row)]


@route(
    "POST",
    "/api/spot/v1/trade/open-orders",
    permission=READ,
    params=(SYMBOL_FILTER,),
    response=schemas.ORDERS,
)
async def open_orders(ctx: Ctx) -> Any:
    """Unfilled and partially filled orders, newest first."""
    m = ctx.api.markets
    sym = symbol_param(ctx.params, m) if opt_str(ctx.params, "symbol") else None
    uid = ctx.uid
    out = [
        o
        for o in ctx.api.runtime.exchange.orders.values()
        if o.uid == uid and (sym is None or o.symbol == sym.symbol)
    ]
    out.sort(key=lambda o: o.order_id, reverse=True)
    return [wire.order_json(m, o) for o in out]


@route(
    "POST",
    "/api/spot/v1/trade/history",
    permission=READ,
    params=(SYMBOL, *page_params("orderId")),
    response=schemas.ORDERS,
)
async def history(ctx: Ctx) -> Any:
    """Filled and cancelled orders, newest first (``before`` alone: oldest first), by orderId."""
    m = ctx.api.markets
    sym = symbol_param(ctx.params, m)
    rows = ctx.api.runtime.store.order_history(
        ctx.uid, sym.symbol, id_page(ctx), ctx.now - HISTORY_MS
    )
    return [wire.order_json(m, r) for r in rows]


@route(
    "POST",
    "/api/spot/v1/trade/fills",
    permission=READ,
    params=(SYMBOL, id_spec("orderId", "only the fills of this order"), *page_params("fillId")),
    response=schemas.FILLS,
)
async def fills(ctx: Ctx) -> Any:
    """The user's fills, newest first (``before`` alone: oldest first), paged by fillId."""
    m = ctx.api.markets
    sym = symbol_param(ctx.params, m)
    oid = id_param(ctx.params, "orderId")
    rows = ctx.api.runtime.store.fills(ctx.uid, sym.symbol, oid, id_page(ctx), ctx.now - HISTORY_MS)
    return [wire.fill_json(m, f) for f in rows]
