"""Commands: immutable inputs of the engine.

Every command carries ``ts``, the time in milliseconds stamped by the single writer.
Amounts are already ints in the symbol's or coin's units (see :mod:`openweex.domain.values`).
The engine assigns order, trade, bill and account ids from counters of its own state, so a
command stream always replays to the same ids.
"""

from __future__ import annotations

from typing import NamedTuple

from openweex.domain.values import Force, OrderType, Side


class CreateAccount(NamedTuple):
    ts: int


class CreateApiKey(NamedTuple):
    ts: int
    uid: int
    api_key: str
    secret: str
    passphrase: str
    permissions: tuple[str, ...]
    ip_whitelist: tuple[str, ...]


class SetUserFrozen(NamedTuple):
    ts: int
    uid: int
    frozen: bool


class Deposit(NamedTuple):
    ts: int
    uid: int
    coin: str
    amount: int


class Withdraw(NamedTuple):
    ts: int
    uid: int
    coin: str
    amount: int


class Transfer(NamedTuple):
    """Move funds between the spot account and another account type (one side is SPOT)."""

    ts: int
    uid: int
    coin: str
    amount: int
    from_type: str
    to_type: str


class PlaceOrder(NamedTuple):
    """Place one order.

    ``quantity`` is in lots of the symbol, except for a market BUY where it is the QUOTE
    amount to spend, in quote-coin units. ``price`` is in ticks (0 for market orders).
    """

    ts: int
    uid: int
    symbol: str
    side: Side
    order_type: OrderType
    force: Force
    price: int
    quantity: int
    client_oid: str


class PlaceBatch(NamedTuple):
    """Up to 50 orders of one user; each is placed (or rejected) on its own, in order."""

    ts: int
    uid: int
    orders: tuple[PlaceOrder, ...]


class CancelOrder(NamedTuple):
    """Cancel by ``order_id`` (non-zero) or else by ``client_oid``."""

    ts: int
    uid: int
    symbol: str
    order_id: int
    client_oid: str


class CancelBatch(NamedTuple):
    ts: int
    uid: int
    symbol: str
    order_ids: tuple[int, ...]


class CreateListenKey(NamedTuple):
    ts: int
    uid: int
    key: str


class KeepAliveListenKey(NamedTuple):
    ts: int
    uid: int
    key: str


class DeleteListenKey(NamedTuple):
    ts: int
    uid: int
    key: str


Command = (
    CreateAccount
    | CreateApiKey
    | SetUserFrozen
    | Deposit
    | Withdraw
    | Transfer
    | PlaceOrder
    | PlaceBatch
    | CancelOrder
    | CancelBatch
    | CreateListenKey
    | KeepAliveListenKey
    | DeleteListenKey
)

# Stable tags for the journal codec. Never renumber: journals on disk depend on them.
COMMAND_TAGS: dict[type[Command], int] = {
    CreateAccount: 1,
    CreateApiKey: 2,
    SetUserFrozen: 3,
    Deposit: 4,
    Withdraw: 5,
    Transfer: 6,
    PlaceOrder: 7,
    PlaceBatch: 8,
    CancelOrder: 9,
    CancelBatch: 10,
    CreateListenKey: 11,
    KeepAliveListenKey: 12,
    DeleteListenKey: 13,
}
