"""Typed WebSocket events and the decoder of push frames.

A push frame is ``{"c": channel, "d": {...}, "s": symbol, "t": event_ms}`` with the short
keys of the contract and the MEXC v3 JSON reference. :func:`parse_message` turns one text
frame into an event, or None for acks (``{"id":0,"code":0,"msg":...}``) and PONGs
(:func:`decode_message` returns those as :class:`Ack`).
A frame of an unknown channel, or one that cannot be decoded, becomes an
:class:`UnknownEvent` carrying the raw JSON, so one odd frame never kills a stream.
Timestamps are int ms (kline times, given in seconds, are scaled); amounts are Decimal.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Self

from ._wire import dec, integer, loads, millis, obj, opt_dec, opt_text, text
from .enums import (
    STREAM_SIDES,
    Force,
    OrderStatus,
    OrderType,
    Side,
    StreamOrderStatus,
    StreamOrderType,
)
from .errors import InvalidResponseError, OpenWeexError
from .models import PriceLevel, levels

PRIVATE_ORDERS = "spot@private.orders.v3.api"
PRIVATE_DEALS = "spot@private.deals.v3.api"
PRIVATE_ACCOUNT = "spot@private.account.v3.api"
PUBLIC_DEALS = "spot@public.deals.v3.api"
PUBLIC_KLINE = "spot@public.kline.v3.api"
PUBLIC_INCREASE_DEPTH = "spot@public.increase.depth.v3.api"
PUBLIC_LIMIT_DEPTH = "spot@public.limit.depth.v3.api"
PUBLIC_BOOK_TICKER = "spot@public.bookTicker.v3.api"

_STOP_STATES = {
    "NEW": StreamOrderStatus.NEW,
    "EXECUTED": StreamOrderStatus.FILLED,
    "CANCELED": StreamOrderStatus.CANCELED,
    "FAILED": StreamOrderStatus.CANCELED,
}
_REST_STATUS = {
    StreamOrderStatus.NEW: OrderStatus.NEW,
    StreamOrderStatus.FILLED: OrderStatus.FULL_FILL,
    StreamOrderStatus.PARTIALLY_FILLED: OrderStatus.PARTIAL_FILL,
    StreamOrderStatus.CANCELED: OrderStatus.CANCELLED,
    StreamOrderStatus.PARTIALLY_CANCELED: OrderStatus.CANCELLED,
}
_FORCES = {
    StreamOrderType.POST_ONLY: Force.POST_ONLY,
    StreamOrderType.IOC: Force.IOC,
    StreamOrderType.FOK: Force.FOK,
}


def _side(value: object) -> Side:
    if isinstance(value, str) and not value.strip().isdigit():
        return Side.parse(value)
    side = STREAM_SIDES.get(integer(value))
    if side is None:
        raise InvalidResponseError(f"unknown side {value!r}")
    return side


def _stream_status(value: object) -> StreamOrderStatus:
    if isinstance(value, str) and value.strip().upper() in _STOP_STATES:
        return _STOP_STATES[value.strip().upper()]
    return StreamOrderStatus(integer(value))


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """``spot@private.orders.v3.api``: an order changed (short keys in the comments)."""

    symbol: str  # s
    event_time: int  # t
    order_id: str  # i
    client_order_id: str | None  # c
    side: Side  # S
    kind: StreamOrderType  # o
    status: StreamOrderStatus  # s
    price: Decimal  # p
    quantity: Decimal  # v
    amount: Decimal  # a
    remain_quantity: Decimal  # V
    remain_amount: Decimal  # A
    avg_price: Decimal  # ap
    cumulative_quantity: Decimal  # cv
    cumulative_amount: Decimal  # ca
    is_maker: bool  # m
    create_time: int  # O
    trigger_price: Decimal | None = None  # P (stop-limit only)

    @property
    def order_type(self) -> OrderType:
        """The REST order type (market for kind 5, limit otherwise)."""
        return OrderType.MARKET if self.kind is StreamOrderType.MARKET else OrderType.LIMIT

    @property
    def force(self) -> Force:
        """The REST time in force implied by ``kind``."""
        return _FORCES.get(self.kind, Force.NORMAL)

    @property
    def order_status(self) -> OrderStatus:
        """The REST status for ``status`` (both cancel flavours are ``cancelled``)."""
        return _REST_STATUS[self.status]

    @classmethod
    def from_frame(cls, symbol: str, event_time: int, data: dict[str, object]) -> Self:
        return cls(
            symbol=symbol,
            event_time=event_time,
            order_id=text(data.get("i")),
            client_order_id=opt_text(data.get("c")),
            side=_side(data.get("S")),
            kind=StreamOrderType(integer(data.get("o"))),
            status=_stream_status(data.get("s")),
            price=dec(data.get("p")),
            quantity=dec(data.get("v")),
            amount=dec(data.get("a")),
            remain_quantity=dec(data.get("V")),
            remain_amount=dec(data.get("A")),
            avg_price=dec(data.get("ap")),
            cumulative_quantity=dec(data.get("cv")),
            cumulative_amount=dec(data.get("ca")),
            is_maker=integer(data.get("m")) != 0,
            create_time=millis(data.get("O")),
            trigger_price=opt_dec(data.get("P")),
        )


@dataclass(frozen=True, slots=True)
class DealEvent:
    """``spot@private.deals.v3.api``: one of the user's orders traded."""

    symbol: str  # s
    event_time: int  # t
    trade_id: str  # t (in d)
    order_id: str  # i
    client_order_id: str | None  # c
    side: Side  # S
    price: Decimal  # p
    quantity: Decimal  # v
    amount: Decimal  # a
    trade_time: int  # T
    is_maker: bool  # m
    is_self_trade: bool  # st
    fee: Decimal  # n
    fee_asset: str  # N

    @classmethod
    def from_frame(cls, symbol: str, event_time: int, data: dict[str, object]) -> Self:
        return cls(
            symbol=symbol,
            event_time=event_time,
            trade_id=text(data.get("t")),
            order_id=text(data.get("i")),
            client_order_id=opt_text(data.get("c")),
            side=_side(data.get("S")),
            price=dec(data.get("p")),
            quantity=dec(data.get("v")),
            amount=dec(data.get("a")),
            trade_time=millis(data.get("T")),
            is_maker=integer(data.get("m")) != 0,
            is_self_trade=integer(data.get("st")) != 0,
            fee=dec(data.get("n")),
            fee_asset=text(data.get("N")),
        )


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """``spot@private.account.v3.api``: a balance changed (``change_type`` e.g. ENTRUST_PLACE)."""

    event_time: int  # t
    asset: str  # a
    change_time: int  # c
    free: Decimal  # f
    free_change: Decimal  # fd
    frozen: Decimal  # l
    frozen_change: Decimal  # ld
    change_type: str  # o

    @classmethod
    def from_frame(cls, symbol: str, event_time: int, data: dict[str, object]) -> Self:
        return cls(
            event_time=event_time,
            asset=text(data.get("a")),
            change_time=millis(data.get("c")),
            free=dec(data.get("f")),
            free_change=dec(data.get("fd")),
            frozen=dec(data.get("l")),
            frozen_change=dec(data.get("ld")),
            change_type=text(data.get("o")),
        )


@dataclass(frozen=True, slots=True)
class PublicDeal:
    """One public trade of ``deals[]``: side is the taker's (``S``)."""

    price: Decimal  # p
    quantity: Decimal  # v
    side: Side  # S
    deal_time: int  # t

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            price=dec(d.get("p")),
            quantity=dec(d.get("v")),
            side=_side(d.get("S")),
            deal_time=millis(d.get("t")),
        )


@dataclass(frozen=True, slots=True)
class PublicDealsEvent:
    """``spot@public.deals.v3.api@<symbol>``: trades on the symbol."""

    symbol: str
    event_time: int
    deals: tuple[PublicDeal, ...]

    @classmethod
    def from_frame(cls, symbol: str, event_time: int, data: dict[str, object]) -> Self:
        raw = data.get("deals") or []
        items = raw if isinstance(raw, list) else [raw]
        return cls(symbol, event_time, tuple(PublicDeal.from_wire(item) for item in items))


@dataclass(frozen=True, slots=True)
class KlineEvent:
    """``spot@public.kline.v3.api@<symbol>@<interval>``: the current candle.

    ``volume`` is the quote amount (``a``), ``quantity`` the base quantity (``v``).
    """

    symbol: str
    event_time: int
    interval: str  # i
    start_time: int  # t
    end_time: int  # T
    open: Decimal  # o
    high: Decimal  # h
    low: Decimal  # l
    close: Decimal  # c
    volume: Decimal  # a
    quantity: Decimal  # v

    @classmethod
    def from_frame(cls, symbol: str, event_time: int, data: dict[str, object]) -> Self:
        k = obj(data.get("k", data))
        return cls(
            symbol=symbol,
            event_time=event_time,
            interval=text(k.get("i")),
            start_time=millis(k.get("t")),
            end_time=millis(k.get("T")),
            open=dec(k.get("o")),
            high=dec(k.get("h")),
            low=dec(k.get("l")),
            close=dec(k.get("c")),
            volume=dec(k.get("a")),
            quantity=dec(k.get("v")),
        )


@dataclass(frozen=True, slots=True)
class DepthEvent:
    """``increase.depth`` (``snapshot`` False: levels to apply, quantity 0 removes a level) or
    ``limit.depth`` (``snapshot`` True: the top N levels). ``version`` is ``r``."""

    symbol: str
    event_time: int
    snapshot: bool
    asks: tuple[PriceLevel, ...]
    bids: tuple[PriceLevel, ...]
    version: str

    @classmethod
    def from_frame(
        cls, symbol: str, event_time: int, data: dict[str, object], snapshot: bool
    ) -> Self:
        return cls(
            symbol=symbol,
            event_time=event_time,
            snapshot=snapshot,
            asks=levels(data.get("asks")),
            bids=levels(data.get("bids")),
            version=text(data.get("r")),
        )


@dataclass(frozen=True, slots=True)
class BookTickerEvent:
    """``spot@public.bookTicker.v3.api@<symbol>``: best bid and ask."""

    symbol: str
    event_time: int
    bid_price: Decimal  # b
    bid_quantity: Decimal  # B
    ask_price: Decimal  # a
    ask_quantity: Decimal  # A

    @classmethod
    def from_frame(cls, symbol: str, event_time: int, data: dict[str, object]) -> Self:
        return cls(
            symbol=symbol,
            event_time=event_time,
            bid_price=dec(data.get("b")),
            bid_quantity=dec(data.get("B")),
            ask_price=dec(data.get("a")),
            ask_quantity=dec(data.get("A")),
        )


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A push frame of a channel the SDK does not decode (or could not decode); ``raw`` is
    the whole frame."""

    channel: str
    symbol: str
    event_time: int
    raw: dict[str, object]


StreamEvent = (
    OrderEvent
    | DealEvent
    | AccountEvent
    | PublicDealsEvent
    | KlineEvent
    | DepthEvent
    | BookTickerEvent
    | UnknownEvent
)
"""Everything a stream yields."""


def _decode_text(message: str | bytes) -> str:
    if isinstance(message, str):
        return message
    if message[:2] == b"\x1f\x8b":
        message = gzip.decompress(message)
    elif message[:1] == b"\x78":
        message = zlib.decompress(message)
    return message.decode("utf-8")


def _event(
    channel: str, symbol: str, event_time: int, data: dict[str, object]
) -> StreamEvent | None:
    base = "@".join(channel.split("@")[:2])
    if base == PRIVATE_ORDERS:
        return OrderEvent.from_frame(symbol, event_time, data)
    if base == PRIVATE_DEALS:
        return DealEvent.from_frame(symbol, event_time, data)
    if base == PRIVATE_ACCOUNT:
        return AccountEvent.from_frame(symbol, event_time, data)
    if base == PUBLIC_DEALS:
        return PublicDealsEvent.from_frame(symbol, event_time, data)
    if base == PUBLIC_KLINE:
        return KlineEvent.from_frame(symbol, event_time, data)
    if base in (PUBLIC_INCREASE_DEPTH, PUBLIC_LIMIT_DEPTH):
        return DepthEvent.from_frame(symbol, event_time, data, base == PUBLIC_LIMIT_DEPTH)
    if base == PUBLIC_BOOK_TICKER:
        return BookTickerEvent.from_frame(symbol, event_time, data)
    return None


@dataclass(frozen=True, slots=True)
class Ack:
    """A reply to a request (SUBSCRIPTION, PING...): ``{"id":0,"code":0,"msg":...}``."""

    code: int
    msg: str

    @property
    def ok(self) -> bool:
        return self.code == 0


def decode_message(message: str | bytes) -> StreamEvent | Ack | None:
    """Decode one WebSocket message: an event, an :class:`Ack`, or None (not JSON)."""
    try:
        frame = loads(_decode_text(message))
    except (ValueError, OSError, zlib.error):
        return None
    if not isinstance(frame, dict):
        return None
    frame = obj(frame)
    if "c" not in frame or "d" not in frame:
        try:
            code = integer(frame.get("code"), 0)
        except InvalidResponseError:
            code = -1
        return Ack(code, text(frame.get("msg")))
    channel, symbol = text(frame.get("c")), text(frame.get("s"))
    try:
        event_time = millis(frame.get("t"))
    except InvalidResponseError:
        event_time = 0
    try:
        event = _event(channel, symbol, event_time, obj(frame.get("d")))
    except (OpenWeexError, ValueError, ArithmeticError):
        event = None
    return event if event is not None else UnknownEvent(channel, symbol, event_time, frame)


def parse_message(message: str | bytes) -> StreamEvent | None:
    """Decode one WebSocket message into an event; None for acks, PONGs and plain text."""
    decoded = decode_message(message)
    return None if isinstance(decoded, Ack) else decoded
