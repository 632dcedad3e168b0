"""Text frames of ``/ws``: replies, close notices and the push frames of every channel.

Replies answer one request: ``{"id": ID, "code": 0, "msg": ...}`` on success (``msg`` is
``PONG`` for a ping, the request's ``params`` comma-joined for (un)subscriptions) and a
non-zero ``code`` from :data:`REPLY_CODES` with a readable ``msg`` on failure. ``id`` echoes
the request's ``id`` when it is an int or a string, else 0. A close notice is a reply-shaped
frame (``id`` 0, a code from :data:`NOTICE_CODES`) sent right before the server closes.

Push frames are ``{"c": channel, "d": {...}, "s": "BTCUSDT_SPBL", "t": ms}``; ``s`` is the
symbol as the REST API names it (wire-compat.md) and is absent on account updates; ``t`` is
the server time at which the frame was made. Amounts come from the engine's exact ints:
strings where the contract shows strings, JSON numbers (written exactly, never through a
float) where it shows numbers (the order stream and klines). Kline ``t``/``T`` are in
seconds, like MEXC's.

Order stream fields, by order kind (``o``: 1 limit, 2 post-only, 3 IOC, 4 FOK, 5 market):

* limit: ``v`` quantity, ``a = p * v``, ``V = v - cv`` (unfilled base quantity, also after a
  cancel), ``A = p * V``;
* market sell: ``v`` quantity, ``V = v - cv``, ``p``, ``a`` and ``A`` are 0;
* market buy (by quote amount): ``a`` the quote amount, ``A = a - ca`` (unspent), ``p``,
  ``v`` and ``V`` are 0.

``ap`` is the average fill price, ``cv``/``ca`` the filled base quantity and quote amount,
``m`` 1 when the change was a fill in which the order was the maker, ``s`` from
:func:`~openweex.domain.orders.ws_status`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from orjson import Fragment

from openweex.api.wire import avg_price
from openweex.api.ws.channels import (
    PUBLIC_DEALS,
    PUBLIC_INCREASE_DEPTH,
    PUBLIC_KLINE,
    PUBLIC_LIMIT_DEPTH,
)
from openweex.domain.events import BalanceUpdate, OrderUpdate, Trade
from openweex.domain.markets import Markets, Symbol
from openweex.domain.orders import ws_status
from openweex.domain.values import Force, OrderType, Side, format_units
from openweex.engine.marketdata import Candle

# Reply codes.
OK = 0
BAD_REQUEST = 1
UNKNOWN_CHANNEL = 2
NEEDS_LISTEN_KEY = 3
TOO_MANY_SUBSCRIPTIONS = 4
# Close notice codes.
INVALID_LISTEN_KEY = 10
LISTEN_KEY_EXPIRED = 11
LISTEN_KEY_CLOSED = 12
TOO_MANY_CONNECTIONS = 13
CONNECTION_EXPIRED = 14
NO_SUBSCRIPTION = 15
SLOW_CONSUMER = 16
SHUTTING_DOWN = 17
ACCOUNT_FROZEN = 18

REPLY_CODES = {
    OK: "success",
    BAD_REQUEST: "malformed request (not JSON, unknown method or bad params)",
    UNKNOWN_CHANNEL: "unknown or malformed channel",
    NEEDS_LISTEN_KEY: "private channel on a connection without a listen key",
    TOO_MANY_SUBSCRIPTIONS: "more than 30 subscriptions on one connection",
}
NOTICE_CODES = {
    INVALID_LISTEN_KEY: "the listen key does not exist",
    LISTEN_KEY_EXPIRED: "the listen key expired",
    LISTEN_KEY_CLOSED: "the listen key was deleted",
    TOO_MANY_CONNECTIONS: "the listen key already has 5 connections",
    CONNECTION_EXPIRED: "the connection reached its maximum lifetime (24 hours)",
    NO_SUBSCRIPTION: "no subscription within the allowed time",
    SLOW_CONSUMER: "the client did not read fast enough (send queue overflow)",
    SHUTTING_DOWN: "the server is shutting down",
    ACCOUNT_FROZEN: "the account is frozen",
}

_ORDER_KIND = {Force.NORMAL: 1, Force.POST_ONLY: 2, Force.IOC: 3, Force.FOK: 4}
_MARKET = 5
_BUY = Side.BUY
_SELL = Side.SELL


class Frame:
    """One text frame, serialised once and shared by every connection it is sent to.

    ``wire`` is the whole frame as a server puts it on the socket (FIN, text opcode, the
    payload length, no mask, the payload): frames from a server are never masked, so these
    bytes are the same for every connection and can be written to each socket as they are.
    ``message`` is the same frame as an ASGI ``websocket.send`` message, for servers that
    offer no way to write frames directly (made on first use).
    """

    __slots__ = ("_message", "wire")

    def __init__(self, payload: bytes) -> None:
        self.wire = header(len(payload)) + payload
        self._message: dict[str, Any] | None = None

    @property
    def payload(self) -> bytes:
        size = self.wire[1]
        return self.wire[2 if size < 126 else 4 if size == 126 else 10 :]

    @property
    def message(self) -> dict[str, Any]:
        msg = self._message
        if msg is None:
            msg = self._message = {"type": "websocket.send", "text": self.payload.decode()}
        return msg

    def __repr__(self) -> str:
        return f"Frame({self.payload!r})"


def header(size: int) -> bytes:
    """The header of an unmasked, unfragmented text frame of ``size`` payload bytes.

    RSV1 is 0: the payload is not compressed, which is also valid on a connection that
    negotiated permessage-deflate (RFC 7692: the bit tells, message by message, whether the
    payload is compressed).
    """
    if size < 126:
        return bytes((0x81, size))
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big")
    return bytes((0x81, 127)) + size.to_bytes(8, "big")


def _text(payload: Any) -> Frame:
    return Frame(orjson.dumps(payload))


def reply(req_id: Any, code: int, msg: str) -> Frame:
    return _text({"id": req_id, "code": code, "msg": msg})


def notice(code: int, msg: str) -> Frame:
    return reply(0, code, msg)


def push(channel: str, data: Any, symbol: str, t: int) -> Frame:
    """One push frame; ``symbol`` empty for frames without ``s``."""
    if symbol:
        return _text({"c": channel, "d": data, "s": symbol, "t": t})
    return _text({"c": channel, "d": data, "t": t})


class SymbolInfo(NamedTuple):
    sym: Symbol
    name: str  # BTCUSDT_SPBL: the push frames' ``s``
    ps: int  # price scale
    qs: int  # quantity scale
    quote_scale: int
    base: str
    quote: str
    base_scale: int
    mult: int  # ticks x lots -> quote units


def _num(value: int, scale: int) -> Fragment:
    return Fragment(format_units(value, scale))


class Formatter:
    """Builds the ``d`` part of every push frame from engine events and state."""

    def __init__(self, markets: Markets) -> None:
        self.info: dict[str, SymbolInfo] = {}
        for s in markets.symbols.values():
            base, quote = markets.coins[s.base], markets.coins[s.quote]
            self.info[s.symbol] = SymbolInfo(
                s,
                s.symbol,
                s.price_scale,
                s.quantity_scale,
                quote.scale,
                base.name,
                quote.name,
                base.scale,
                s.notional_mult,
            )
        self.coins = {key: c.scale for key, c in markets.coins.items()}

    # -- private -----------------------------------------------------------------------
    def order(self, ev: OrderUpdate) -> dict[str, Any]:
        si = self.info[ev.symbol]
        qsc, cv, ca = si.quote_scale, ev.filled_qty, ev.filled_quote
        if ev.order_type is OrderType.LIMIT:
            kind, price, qty = _ORDER_KIND[ev.force], ev.price, ev.quantity
            amount = price * qty * si.mult
            remain_qty = qty - cv
            remain_amount = price * remain_qty * si.mult
        elif ev.side is _BUY:
            kind, price, qty, amount = _MARKET, 0, 0, ev.quantity
            remain_qty, remain_amount = 0, amount - ca
        else:
            kind, price, qty, amount = _MARKET, 0, ev.quantity, 0
            remain_qty, remain_amount = qty - cv, 0
        return {
            "A": _num(remain_amount, qsc),
            "O": ev.ctime,
            "S": int(ev.side),
            "V": _num(remain_qty, si.qs),
            "a": _num(amount, qsc),
            "c": ev.client_oid,
            "i": str(ev.order_id),
            "m": 1 if ev.maker else 0,
            "o": kind,
            "p": _num(price, si.ps),
            "s": ws_status(ev.status, cv),
            "v": _num(qty, si.qs),
            "ap": Fragment(avg_price(si.sym, cv, ca)),
            "cv": _num(cv, si.qs),
            "ca": _num(ca, qsc),
        }

    def deal(self, tr: Trade, maker: bool) -> dict[str, Any]:
        """The private deal of one side of a trade (the maker's when ``maker``)."""
        si = self.info[tr.symbol]
        side = tr.taker_side
        if maker:
            side = _SELL if side is _BUY else _BUY
        fee_coin = si.base if side is _BUY else si.quote
        return {
            "p": format_units(tr.price, si.ps),
            "v": format_units(tr.qty, si.qs),
            "a": format_units(tr.quote, si.quote_scale),
            "S": int(side),
            "T": tr.ts,
            "t": str(tr.trade_id),
            "c": tr.maker_client_oid if maker else tr.taker_client_oid,
            "i": str(tr.maker_order_id if maker else tr.taker_order_id),
            "m": 1 if maker else 0,
            "st": 1 if tr.self_trade else 0,
            "n": format_units(tr.maker_fee if maker else tr.taker_fee, self.coins[fee_coin]),
            "N": fee_coin,
        }

    def account(self, ev: BalanceUpdate) -> dict[str, Any]:
        scale = self.coins[ev.coin]
        return {
            "a": ev.coin,
            "c": ev.ts,
            "f": format_units(ev.available, scale),
            "fd": format_units(ev.d_available, scale),
            "l": format_units(ev.frozen, scale),
            "ld": format_units(ev.d_frozen, scale),
            "o": ev.reason,
        }

    # -- public ------------------------------------------------------------------------
    def deals(self, symbol: str, trades: list[Trade]) -> dict[str, Any]:
        si = self.info[symbol]
        ps, qs = si.ps, si.qs
        rows = [
            {
                "S": int(tr.taker_side),
                "p": format_units(tr.price, ps),
                "t": tr.ts,
                "v": format_units(tr.qty, qs),
            }
            for tr in trades
        ]
        return {"deals": rows, "e": PUBLIC_DEALS}

    def kline(self, symbol: str, interval: str, c: Candle, end: int) -> dict[str, Any]:
        """The ``d`` of a kline push: candle ``c`` of ``interval``, which ends at ``end`` (ms)."""
        si = self.info[symbol]
        ps = si.ps
        k = {
            "T": end // 1000,
            "a": _num(c.quote_vol, si.quote_scale),
            "c": _num(c.close, ps),
            "h": _num(c.high, ps),
            "i": interval,
            "l": _num(c.low, ps),
            "o": _num(c.open, ps),
            "t": c.start // 1000,
            "v": _num(c.base_vol, si.qs),
        }
        return {"k": k, "e": PUBLIC_KLINE}

    def levels(self, symbol: str, levels: list[tuple[int, int]]) -> list[dict[str, str]]:
        si = self.info[symbol]
        ps, qs = si.ps, si.qs
        return [{"p": format_units(p, ps), "v": format_units(v, qs)} for p, v in levels]

    def depth(
        self,
        symbol: str,
        asks: list[tuple[int, int]],
        bids: list[tuple[int, int]],
        version: int,
        increase: bool,
    ) -> dict[str, Any]:
        return {
            "asks": self.levels(symbol, asks),
            "bids": self.levels(symbol, bids),
            "e": PUBLIC_INCREASE_DEPTH if increase else PUBLIC_LIMIT_DEPTH,
            "r": str(version),
        }

    def book_ticker(self, symbol: str, best: tuple[int, int, int, int]) -> dict[str, str]:
        si = self.info[symbol]
        bid, bid_qty, ask, ask_qty = best
        return {
            "A": format_units(ask_qty, si.qs),
            "B": format_units(bid_qty, si.qs),
            "a": format_units(ask, si.ps),
            "b": format_units(bid, si.ps),
        }
