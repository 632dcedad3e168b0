"""WEEX wire shapes: the envelope and every object the REST API returns.

Numbers that the contract shows as strings are strings, formatted exactly from the engine's
ints (trailing zeros dropped). Times are millisecond strings inside objects and a
millisecond int in ``requestTime``. Symbols in order, fill and product objects follow the
contract's examples: products and market fills use ``BTCUSDT_SPBL``, tickers use the symbol
name ``BTCUSDT``, order and fill records use the lower-case ``btcusdt_spbl``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any, TypeVar

import orjson

from openweex.domain.errors import SUCCESS, Reject
from openweex.domain.markets import FEE_SCALE, Coin, Markets, Symbol
from openweex.domain.orders import Status
from openweex.domain.values import OrderType, Side
from openweex.domain.values import format_units as _format_units
from openweex.engine.marketdata import Candle, TapeEntry, Ticker
from openweex.storage.readmodels import BillRow, FillRow, OrderRow, TransferRow

_B = TypeVar("_B")

# Memoised formatting, one table per scale: prices and sizes repeat from request to request.
_FORMATTED: dict[int, dict[int, str]] = {}
_MAX_FORMATTED = 1 << 15


def _table(scale: int) -> dict[int, str]:
    table = _FORMATTED.get(scale)
    if table is None:
        table = _FORMATTED[scale] = {}
    elif len(table) >= _MAX_FORMATTED:
        table.clear()
    return table


def format_units(value: int, scale: int) -> str:
    """:func:`openweex.domain.values.format_units`, memoised."""
    table = _FORMATTED.get(scale)
    if table is None:
        table = _table(scale)
    text = table.get(value)
    if text is None:
        if len(table) >= _MAX_FORMATTED:
            table.clear()
        text = table[value] = _format_units(value, scale)
    return text


def ok_body(data: Any, now: int) -> bytes:
    return orjson.dumps({"code": SUCCESS, "msg": "success", "requestTime": now, "data": data})


def error_body(rej: Reject, now: int) -> bytes:
    msg = rej.msg
    if not msg.isascii():  # a detail may quote client input: escaped, messages are ASCII
        msg = msg.encode("ascii", "backslashreplace").decode("ascii")
    return orjson.dumps({"code": rej.code, "msg": msg, "requestTime": now, "data": None})


def _bool(v: bool) -> str:
    return "true" if v else "false"


def avg_price(sym: Symbol, filled_qty: int, filled_quote: int) -> str:
    """Average fill price, exact to the quote coin's scale (rounded down beyond that)."""
    if filled_qty == 0:
        return "0"
    scale = sym.price_scale + len(str(sym.notional_mult)) - 1
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(filled_quote) / (Decimal(filled_qty) * sym.notional_mult)
        value = value.scaleb(-sym.price_scale).quantize(Decimal(1).scaleb(-scale), ROUND_DOWN)
    text = format(value.normalize(), "f")
    return text


def order_quantity(sym: Symbol, coins: dict[str, Coin], o: Any) -> str:
    if o.order_type is OrderType.MARKET and o.side is Side.BUY:
        return format_units(o.quantity, coins[sym.quote].scale)
    return format_units(o.quantity, sym.quantity_scale)


def order_json(markets: Markets, o: OrderRow | Any) -> dict[str, Any]:
    """An order record (orderInfo, open-orders, history); ``o`` has the OrderRow fields."""
    sym = markets.symbols[o.symbol]
    status: Status = o.status
    return {
        "accountId": str(o.uid),
        "symbol": sym.symbol.lower(),
        "orderId": str(o.order_id),
        "clientOrderId": o.client_oid,
        "price": format_units(o.price, sym.price_scale),
        "quantity": order_quantity(sym, markets.coins, o),
        "orderType": o.order_type.wire,
        "side": o.side.wire,
        "status": status.wire,
        "fillPrice": avg_price(sym, o.filled_qty, o.filled_quote),
        "fillQuantity": format_units(o.filled_qty, sym.quantity_scale),
        "fillTotalAmount": format_units(o.filled_quote, markets.coins[sym.quote].scale),
        "cTime": str(o.ctime),
    }


def fill_json(markets: Markets, f: FillRow) -> dict[str, Any]:
    sym = markets.symbols[f.symbol]
    return {
        "accountId": str(f.uid),
        "symbol": sym.symbol.lower(),
        "orderId": str(f.order_id),
        "fillId": str(f.fill_id),
        "orderType": f.order_type.wire,
        "side": f.side.wire,
        "fillPrice": format_units(f.price, sym.price_scale),
        "fillQuantity": format_units(f.qty, sym.quantity_scale),
        "fillTotalAmount": format_units(f.quote, markets.coins[sym.quote].scale),
        "cTime": str(f.ts),
        "feeCcy": f.fee_coin.lower(),
        "fees": format_units(f.fee, markets.coins[f.fee_coin].scale),
    }


def bill_json(markets: Markets, b: BillRow) -> dict[str, Any]:
    coin = markets.coins[b.coin]
    return {
        "cTime": str(b.ts),
        "coinId": str(coin.coin_id),
        "coinName": coin.name.lower(),
        "groupType": b.group_type,
        "bizType": b.biz_type,
        "quantity": format_units(b.qty, coin.scale),
        "balance": format_units(b.balance_before, coin.scale),
        "fees": format_units(-b.fee, coin.scale) if b.fee else "0",
        "billId": str(b.bill_id),
    }


def transfer_json(markets: Markets, t: TransferRow) -> dict[str, Any]:
    coin = markets.coins[t.coin]
    return {
        "coinName": coin.name.lower(),
        "status": "SUCCESS",
        "toType": t.to_type,
        "toSymbol": "",
        "fromType": t.from_type,
        "fromSymbol": "",
        "amount": format_units(t.amount, coin.scale),
        "tradeTime": str(t.ts),
        "transferId": str(t.transfer_id),
    }


def balances_in_order(markets: Markets, balances: Mapping[str, _B]) -> list[tuple[Coin, _B]]:
    """A user's balances with their coins, in coin id order: the same list before and after
    a restart (a snapshot keeps no insertion order)."""
    coins = markets.coins
    return sorted(((coins[name], b) for name, b in balances.items()), key=lambda cb: cb[0].coin_id)


def asset_json(coin: Coin, available: int, frozen: int, locked: int, utime: int) -> dict[str, Any]:
    return {
        "coinId": str(coin.coin_id),
        "coinName": coin.name.lower(),
        "available": format_units(available, coin.scale),
        "frozen": format_units(frozen, coin.scale),
        "lock": format_units(locked, coin.scale),
        "uTime": str(utime),
    }


def product_json(markets: Markets, sym: Symbol) -> dict[str, Any]:
    return {
        "symbol": sym.symbol,
        "symbolName": sym.symbol_name,
        "baseCoin": sym.base,
        "quoteCoin": sym.quote,
        "minTradeAmount": format_units(sym.min_trade, sym.quantity_scale),
        "maxTradeAmount": format_units(sym.max_trade, sym.quantity_scale),
        "takerFeeRate": format_units(sym.taker_fee, FEE_SCALE),
        "makerFeeRate": format_units(sym.maker_fee, FEE_SCALE),
        "priceScale": str(sym.price_scale),
        "quantityScale": str(sym.quantity_scale),
        "status": sym.status,
    }


def currency_json(coin: Coin) -> dict[str, Any]:
    return {
        "coinId": str(coin.coin_id),
        "coinName": coin.name,
        "transfer": _bool(coin.transfer),
        "chains": [
            {
                "chain": c.chain,
                "needTag": _bool(c.need_tag),
                "withdrawAble": _bool(c.withdraw_able),
                "rechargeAble": _bool(c.recharge_able),
                "withdrawFee": c.withdraw_fee,
                "depositConfirm": str(c.deposit_confirm),
                "withdrawConfirm": str(c.withdraw_confirm),
                "minDepositAmount": c.min_deposit_amount,
                "minWithdrawAmount": c.min_withdraw_amount,
                "browserUrl": c.browser_url,
            }
            for c in coin.chains
        ],
    }


CHANGE_SCALE = 6  # decimals of a ticker's change rates


def change_rate(opened: int, now: int) -> str:
    """``(now - opened) / opened`` as a decimal of :data:`CHANGE_SCALE` places, rounded half
    to even, trailing zeros dropped; "0" when there is no open price."""
    if opened <= 0:
        return "0"
    q, r = divmod((now - opened) * 10**CHANGE_SCALE, opened)
    if 2 * r > opened or (2 * r == opened and q % 2):
        q += 1
    return format_units(q, CHANGE_SCALE)


def ticker_json(
    markets: Markets, sym: Symbol, t: Ticker, best: tuple[int, int, int, int], open_utc0: int
) -> dict[str, Any]:
    """The contract's ticker fields, plus Bitget v1's: best bid/ask (``buyOne``/``sellOne``,
    sizes), ``openUtc0``, the price at 00:00 UTC today (ticks), and the change rates of the
    last price against it (``changeUtc``) and against the 24h open (``change``)."""
    ps, qs = sym.price_scale, sym.quantity_scale
    qscale = markets.coins[sym.quote].scale
    bid, bid_sz, ask, ask_sz = best
    return {
        "symbol": sym.symbol_name,
        "high24h": format_units(t.high24h, ps),
        "low24h": format_units(t.low24h, ps),
        "close": format_units(t.close, ps),
        "quoteVol": format_units(t.quote_vol, qscale),
        "baseVol": format_units(t.base_vol, qs),
        "usdtVol": format_units(t.usdt_vol, markets.coins["USDT"].scale)
        if "USDT" in markets.coins
        else "0",
        "ts": str(t.ts),
        "openUtc0": format_units(open_utc0, ps),
        "changeUtc": change_rate(open_utc0, t.close),
        "change": change_rate(t.open24h, t.close),
        "buyOne": format_units(bid, ps),
        "bidSz": format_units(bid_sz, qs),
        "sellOne": format_units(ask, ps),
        "askSz": format_units(ask_sz, qs),
    }


def candle_json(markets: Markets, sym: Symbol, c: Candle, usdt_vol: int) -> dict[str, Any]:
    """A candle; ``usdt_vol`` is its quote volume in USDT units (see MarketData.to_usdt)."""
    ps = sym.price_scale
    qscale = markets.coins[sym.quote].scale
    usdt = markets.coins.get("USDT")
    return {
        "open": format_units(c.open, ps),
        "high": format_units(c.high, ps),
        "low": format_units(c.low, ps),
        "close": format_units(c.close, ps),
        "quoteVol": format_units(c.quote_vol, qscale),
        "baseVol": format_units(c.base_vol, sym.quantity_scale),
        "usdtVol": format_units(usdt_vol, usdt.scale if usdt else qscale),
        "ts": str(c.start),
    }


def trade_json(sym: Symbol, t: TapeEntry) -> dict[str, Any]:
    return {
        "symbol": sym.symbol,
        "tradeId": str(t.trade_id),
        "side": t.taker_side.wire,
        "fillPrice": format_units(t.price, sym.price_scale),
        "fillQuantity": format_units(t.qty, sym.quantity_scale),
        "fillTime": str(t.ts),
    }


_LEVELS: dict[tuple[int, int], dict[tuple[int, int], list[str]]] = {}


def levels_json(sym: Symbol, levels: list[tuple[int, int]]) -> list[list[str]]:
    """``[[price, size], ...]``. The inner lists are memoised and shared: never mutate them."""
    ps, qs = sym.price_scale, sym.quantity_scale
    memo = _LEVELS.get((ps, qs))
    if memo is None or len(memo) >= _MAX_FORMATTED:
        memo = _LEVELS[(ps, qs)] = {}
    out = []
    for level in levels:
        pair = memo.get(level)
        if pair is None:
            pair = memo[level] = [format_units(level[0], ps), format_units(level[1], qs)]
        out.append(pair)
    return out
