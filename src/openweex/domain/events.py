"""Events: immutable outputs of the engine, in the order it produced them.

Read models, market data and the WebSocket hub are all derived from these.
"""

from __future__ import annotations

from typing import NamedTuple

from openweex.domain.orders import Status
from openweex.domain.values import Force, OrderType, Side


class OrderUpdate(NamedTuple):
    """The full state of an order right after a change (created, filled, cancelled)."""

    ts: int
    uid: int
    symbol: str
    order_id: int
    client_oid: str
    side: Side
    order_type: OrderType
    force: Force
    price: int  # ticks; 0 for market orders
    quantity: int  # lots, or quote units for a market buy
    status: Status
    filled_qty: int  # lots
    filled_quote: int  # quote-coin units
    ctime: int
    maker: bool  # the change was a fill in which this order was the maker


class Trade(NamedTuple):
    """One fill between a taker and a resting maker order."""

    ts: int
    symbol: str
    trade_id: int
    price: int  # ticks
    qty: int  # lots
    quote: int  # quote-coin units
    taker_side: Side
    taker_uid: int
    taker_order_id: int
    taker_client_oid: str
    maker_uid: int
    maker_order_id: int
    maker_client_oid: str
    taker_fee: int  # in the coin the taker receives
    maker_fee: int  # in the coin the maker receives
    self_trade: bool


class BalanceUpdate(NamedTuple):
    """A change of one user's balance of one coin, with the resulting values.

    ``reason`` is the account-stream change type (``ENTRUST_PLACE``, ``DEPOSIT``, ...).
    When the change moved money (not just froze or released it) ``bill_id`` is non-zero and
    the bill fields describe it; ``balance_before`` is available + frozen + locked before.
    """

    ts: int
    uid: int
    coin: str
    available: int
    frozen: int
    d_available: int
    d_frozen: int
    reason: str
    bill_id: int
    group_type: str
    biz_type: str
    bill_qty: int
    balance_before: int
    fee: int


class TransferRecord(NamedTuple):
    ts: int
    transfer_id: int
    uid: int
    coin: str
    amount: int
    from_type: str
    to_type: str


class AccountCreated(NamedTuple):
    ts: int
    uid: int


class ListenKeyClosed(NamedTuple):
    """A listen key was deleted; its connections must close."""

    ts: int
    uid: int
    key: str


Event = OrderUpdate | Trade | BalanceUpdate | TransferRecord | AccountCreated | ListenKeyClosed
