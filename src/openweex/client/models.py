"""Typed REST models: frozen dataclasses with Decimal amounts and int ms timestamps.

Each model has ``from_wire(raw)`` which decodes one JSON object of the contract's response
shape tolerantly (see :mod:`openweex.client._wire`): extra fields are ignored, numbers may be
strings or numbers, timestamps given in seconds are scaled to milliseconds. Field names are
the snake_case of the wire names; the docstring of each class names its wire fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Self

from ._wire import (
    Amount,
    amount_param,
    dec,
    flag,
    integer,
    millis,
    obj,
    objs,
    opt_dec,
    opt_text,
    text,
)
from .enums import Force, OrderStatus, OrderType, Side


@dataclass(frozen=True, slots=True)
class Chain:
    """One chain of a currency (``chains[]`` of ``/public/currencies``)."""

    chain: str | None
    need_tag: bool
    withdrawable: bool
    depositable: bool
    withdraw_fee: Decimal
    deposit_confirm: int
    withdraw_confirm: int
    min_deposit_amount: Decimal
    min_withdraw_amount: Decimal
    browser_url: str

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            chain=opt_text(d.get("chain")),
            need_tag=flag(d.get("needTag")),
            withdrawable=flag(d.get("withdrawAble")),
            depositable=flag(d.get("rechargeAble")),
            withdraw_fee=dec(d.get("withdrawFee")),
            deposit_confirm=integer(d.get("depositConfirm")),
            withdraw_confirm=integer(d.get("withdrawConfirm")),
            min_deposit_amount=dec(d.get("minDepositAmount")),
            min_withdraw_amount=dec(d.get("minWithdrawAmount")),
            browser_url=text(d.get("browserUrl")),
        )


@dataclass(frozen=True, slots=True)
class Currency:
    """A coin (``coinId``, ``coinName``, ``transfer``, ``chains``)."""

    coin_id: str
    coin_name: str
    transfer: bool
    chains: tuple[Chain, ...]

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            coin_id=text(d.get("coinId")),
            coin_name=text(d.get("coinName")),
            transfer=flag(d.get("transfer")),
            chains=tuple(Chain.from_wire(c) for c in objs(d.get("chains"))),
        )


@dataclass(frozen=True, slots=True)
class Product:
    """A trading pair's configuration (``/public/products``)."""

    symbol: str
    symbol_name: str
    base_coin: str
    quote_coin: str
    min_trade_amount: Decimal
    max_trade_amount: Decimal
    taker_fee_rate: Decimal
    maker_fee_rate: Decimal
    price_scale: int
    quantity_scale: int
    status: str

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            symbol=text(d.get("symbol")),
            symbol_name=text(d.get("symbolName")),
            base_coin=text(d.get("baseCoin")),
            quote_coin=text(d.get("quoteCoin")),
            min_trade_amount=dec(d.get("minTradeAmount")),
            max_trade_amount=dec(d.get("maxTradeAmount")),
            taker_fee_rate=dec(d.get("takerFeeRate")),
            maker_fee_rate=dec(d.get("makerFeeRate")),
            price_scale=integer(d.get("priceScale")),
            quantity_scale=integer(d.get("quantityScale")),
            status=text(d.get("status")),
        )


@dataclass(frozen=True, slots=True)
class Ticker:
    """24 h ticker (``high24h``, ``low24h``, ``close``, ``quoteVol``, ``baseVol``,
    ``usdtVol``, ``ts``); the best bid and ask with their sizes, the UTC-day open and the
    change rates when the server sends them (Bitget v1's ``buyOne``, ``bidSz``, ``sellOne``,
    ``askSz``, ``openUtc0``, ``changeUtc``, ``change``; openweex does), else None."""

    symbol: str
    high_24h: Decimal
    low_24h: Decimal
    close: Decimal
    quote_vol: Decimal
    base_vol: Decimal
    usdt_vol: Decimal
    ts: int
    best_bid: Decimal | None = None
    bid_size: Decimal | None = None
    best_ask: Decimal | None = None
    ask_size: Decimal | None = None
    open_utc0: Decimal | None = None
    change_utc: Decimal | None = None  # (close - open_utc0) / open_utc0
    change_24h: Decimal | None = None  # (close - the 24 h open) / the 24 h open

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            symbol=text(d.get("symbol")),
            high_24h=dec(d.get("high24h")),
            low_24h=dec(d.get("low24h")),
            close=dec(d.get("close")),
            quote_vol=dec(d.get("quoteVol")),
            base_vol=dec(d.get("baseVol")),
            usdt_vol=dec(d.get("usdtVol")),
            ts=millis(d.get("ts")),
            best_bid=opt_dec(d.get("buyOne")),
            bid_size=opt_dec(d.get("bidSz")),
            best_ask=opt_dec(d.get("sellOne")),
            ask_size=opt_dec(d.get("askSz")),
            open_utc0=opt_dec(d.get("openUtc0")),
            change_utc=opt_dec(d.get("changeUtc")),
            change_24h=opt_dec(d.get("change")),
        )


@dataclass(frozen=True, slots=True)
class MarketTrade:
    """A public trade of ``/market/fills`` (``tradeId``, ``fillPrice``, ``fillQuantity``...)."""

    symbol: str
    trade_id: str
    side: Side
    fill_price: Decimal
    fill_quantity: Decimal
    fill_time: int

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            symbol=text(d.get("symbol")),
            trade_id=text(d.get("tradeId")),
            side=Side.parse(d.get("side")),
            fill_price=dec(d.get("fillPrice")),
            fill_quantity=dec(d.get("fillQuantity")),
            fill_time=millis(d.get("fillTime")),
        )


_CANDLE_KEYS = ("ts", "open", "high", "low", "close", "baseVol", "quoteVol", "usdtVol")


@dataclass(frozen=True, slots=True)
class Candle:
    """One candle; ``ts`` is its start time (oldest candle first in a list)."""

    ts: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    base_vol: Decimal
    quote_vol: Decimal
    usdt_vol: Decimal

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        if isinstance(raw, list | tuple):
            raw = dict(zip(_CANDLE_KEYS, raw, strict=False))
        d = obj(raw)
        return cls(
            ts=millis(d.get("ts")),
            open=dec(d.get("open")),
            high=dec(d.get("high")),
            low=dec(d.get("low")),
            close=dec(d.get("close")),
            base_vol=dec(d.get("baseVol")),
            quote_vol=dec(d.get("quoteVol")),
            usdt_vol=dec(d.get("usdtVol")),
        )


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """One price level of a book: ``[price, quantity]`` on REST, ``{"p","v"}`` on WS."""

    price: Decimal
    quantity: Decimal

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        if isinstance(raw, list | tuple) and len(raw) >= 2:
            return cls(price=dec(raw[0]), quantity=dec(raw[1]))
        d = obj(raw)
        return cls(price=dec(d.get("p", d.get("price"))), quantity=dec(d.get("v", d.get("size"))))


def levels(raw: object) -> tuple[PriceLevel, ...]:
    """Decode a list of price levels (null gives an empty tuple)."""
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raw = [raw]
    return tuple(PriceLevel.from_wire(item) for item in raw)


@dataclass(frozen=True, slots=True)
class OrderBook:
    """``/market/depth``: asks ascending, bids descending, ``timestamp`` in ms; ``version``
    the book's version when the server sends one (openweex does: comparable, as ints, with
    :attr:`DepthEvent.version <openweex.client.events.DepthEvent.version>`, the ``r`` of the
    ``increase.depth`` stream, to line a snapshot up with the diffs), else None."""

    asks: tuple[PriceLevel, ...]
    bids: tuple[PriceLevel, ...]
    timestamp: int
    version: str | None = None

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            asks=levels(d.get("asks")),
            bids=levels(d.get("bids")),
            timestamp=millis(d.get("timestamp", d.get("ts"))),
            version=opt_text(d.get("version")),
        )


@dataclass(frozen=True, slots=True)
class Asset:
    """A balance of ``/account/assets`` (``available``, ``frozen``, ``lock``, ``uTime``)."""

    coin_id: str
    coin_name: str
    available: Decimal
    frozen: Decimal
    lock: Decimal
    u_time: int

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            coin_id=text(d.get("coinId")),
            coin_name=text(d.get("coinName")),
            available=dec(d.get("available")),
            frozen=dec(d.get("frozen")),
            lock=dec(d.get("lock")),
            u_time=millis(d.get("uTime")),
        )


@dataclass(frozen=True, slots=True)
class Bill:
    """A ledger entry of ``/account/bills``; ``balance`` is the balance before the action."""

    bill_id: str
    c_time: int
    coin_id: str
    coin_name: str
    group_type: str
    biz_type: str
    quantity: Decimal
    balance: Decimal
    fees: Decimal

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            bill_id=text(d.get("billId")),
            c_time=millis(d.get("cTime")),
            coin_id=text(d.get("coinId")),
            coin_name=text(d.get("coinName")),
            group_type=text(d.get("groupType")),
            biz_type=text(d.get("bizType")),
            quantity=dec(d.get("quantity")),
            balance=dec(d.get("balance")),
            fees=dec(d.get("fees")),
        )


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A transfer of ``/account/transferRecords``."""

    coin_name: str
    status: str
    to_type: str
    to_symbol: str
    from_type: str
    from_symbol: str
    amount: Decimal
    trade_time: int
    transfer_id: str | None = None  # openweex's ``transferId``

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            coin_name=text(d.get("coinName")),
            status=text(d.get("status")),
            to_type=text(d.get("toType")),
            to_symbol=text(d.get("toSymbol")),
            from_type=text(d.get("fromType")),
            from_symbol=text(d.get("fromSymbol")),
            amount=dec(d.get("amount")),
            trade_time=millis(d.get("tradeTime")),
            transfer_id=opt_text(d.get("transferId")),
        )


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """The answer to a placement: ``orderId`` and ``clientOrderId``."""

    order_id: str
    client_order_id: str | None

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            order_id=text(d.get("orderId")), client_order_id=opt_text(d.get("clientOrderId"))
        )


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """One order of a batch that was not placed (``failure[]``, when the server sends it)."""

    client_order_id: str | None
    error_code: str | None
    error_msg: str

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            client_order_id=opt_text(d.get("clientOrderId")),
            error_code=opt_text(d.get("errorCode", d.get("code"))),
            error_msg=text(d.get("errorMsg", d.get("msg"))),
        )


@dataclass(frozen=True, slots=True)
class BatchPlaceResult:
    """``/trade/batch-orders``: ``resultList`` (placed) and ``failure`` (if any)."""

    placed: tuple[PlacedOrder, ...]
    failed: tuple[BatchFailure, ...] = ()

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        if isinstance(raw, list):
            return cls(placed=tuple(PlacedOrder.from_wire(item) for item in raw))
        d = obj(raw)
        return cls(
            placed=tuple(PlacedOrder.from_wire(item) for item in objs(d.get("resultList"))),
            failed=tuple(BatchFailure.from_wire(item) for item in objs(d.get("failure"))),
        )


@dataclass(frozen=True, slots=True)
class Order:
    """An order of ``orderInfo`` / ``open-orders`` / ``history``.

    ``fill_price`` is the average fill price, ``fill_quantity`` the filled base quantity and
    ``fill_total_amount`` the filled quote amount. ``force`` is None when not reported.
    """

    account_id: str
    symbol: str
    order_id: str
    client_order_id: str | None
    price: Decimal
    quantity: Decimal
    order_type: OrderType
    side: Side
    status: OrderStatus
    fill_price: Decimal
    fill_quantity: Decimal
    fill_total_amount: Decimal
    c_time: int
    force: Force | None = None

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        force = d.get("force")
        return cls(
            account_id=text(d.get("accountId")),
            symbol=text(d.get("symbol")),
            order_id=text(d.get("orderId")),
            client_order_id=opt_text(d.get("clientOrderId")),
            price=dec(d.get("price")),
            quantity=dec(d.get("quantity")),
            order_type=OrderType.parse(d.get("orderType")),
            side=Side.parse(d.get("side")),
            status=OrderStatus.parse(d.get("status")),
            fill_price=dec(d.get("fillPrice")),
            fill_quantity=dec(d.get("fillQuantity")),
            fill_total_amount=dec(d.get("fillTotalAmount")),
            c_time=millis(d.get("cTime")),
            force=Force.parse(force) if force not in (None, "") else None,
        )


@dataclass(frozen=True, slots=True)
class Fill:
    """One of the user's own trades (``/trade/fills``); ``fees`` in ``fee_ccy``."""

    account_id: str
    symbol: str
    order_id: str
    fill_id: str
    order_type: OrderType
    side: Side
    fill_price: Decimal
    fill_quantity: Decimal
    fill_total_amount: Decimal
    c_time: int
    fee_ccy: str
    fees: Decimal

    @classmethod
    def from_wire(cls, raw: object) -> Self:
        d = obj(raw)
        return cls(
            account_id=text(d.get("accountId")),
            symbol=text(d.get("symbol")),
            order_id=text(d.get("orderId")),
            fill_id=text(d.get("fillId")),
            order_type=OrderType.parse(d.get("orderType")),
            side=Side.parse(d.get("side")),
            fill_price=dec(d.get("fillPrice")),
            fill_quantity=dec(d.get("fillQuantity")),
            fill_total_amount=dec(d.get("fillTotalAmount")),
            c_time=millis(d.get("cTime")),
            fee_ccy=text(d.get("feeCcy")),
            fees=dec(d.get("fees")),
        )


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order of a batch placement (request side; ``symbol`` is given once per batch).

    ``quantity`` is the base amount, except for a market BUY where it is the QUOTE amount.
    """

    side: Side | str
    quantity: Amount
    order_type: OrderType | str = OrderType.LIMIT
    price: Amount | None = None
    force: Force | str = Force.NORMAL
    client_order_id: str | None = None

    def to_wire(self) -> dict[str, object]:
        """The ``orderList[]`` item: ``side``, ``orderType``, ``force``, ``price``, ..."""
        item: dict[str, object] = {
            "side": Side.coerce(self.side).value,
            "orderType": OrderType.coerce(self.order_type).value,
            "force": Force.coerce(self.force).value,
        }
        if self.price is not None:
            item["price"] = amount_param(self.price)
        item["quantity"] = amount_param(self.quantity)
        if self.client_order_id is not None:
            item["clientOrderId"] = self.client_order_id
        return item
