"""Events: immutable outputs of the engine, in the order it produced them.

Read models, market data and the WebSocket hub are all derived from these.

The balance side of a fill comes as one :class:`Settlement` (right after its
:class:`Trade` and the maker's :class:`OrderUpdate`), not as the four to six
:class:`BalanceUpdate` events it stands for: a fill is the engine's most frequent
balance change, and one event per fill instead of six is about half of what a fill costs.
:func:`settlement_legs` (or :func:`expand` over a list of events) gives the
:class:`BalanceUpdate` events, with their bills, exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


class Settlement(NamedTuple):
    """The balance legs of one fill, in this order, each with a bill (group ``transaction``):

    1. the taker pays ``paid`` of ``pay_coin`` from its frozen amount (``ENTRUST``);
    2. the taker receives ``got`` of ``get_coin`` (``ENTRUST``);
    3. if ``taker_fee``: the taker pays it from what it received (``TRADE_FEE``);
    4. the maker pays ``got`` of ``get_coin`` from its frozen amount (``ENTRUST``);
    5. the maker receives ``paid`` of ``pay_coin`` (``ENTRUST``);
    6. if ``maker_fee``: the maker pays it (``TRADE_FEE``).

    Bills are numbered from ``first_bill_id`` in that order. The business type of the
    taker's legs is ``taker_biz`` (``buy``/``sell``), the maker's the other, the fees'
    ``deduction of handling fee``. The four balances are given as they are after the fill
    (taker's pay coin, taker's get coin, maker's get coin, maker's pay coin; on a self-trade
    the same balance appears twice, with the same values).
    """

    ts: int
    taker_uid: int
    maker_uid: int
    pay_coin: str
    get_coin: str
    paid: int
    got: int
    taker_fee: int  # in get_coin
    maker_fee: int  # in pay_coin
    taker_biz: str
    first_bill_id: int
    taker_pay_available: int
    taker_pay_frozen: int
    taker_pay_locked: int
    taker_get_available: int
    taker_get_frozen: int
    taker_get_locked: int
    maker_get_available: int
    maker_get_frozen: int
    maker_get_locked: int
    maker_pay_available: int
    maker_pay_frozen: int
    maker_pay_locked: int


GROUP_TRANSACTION = "transaction"
BIZ_FEE = "deduction of handling fee"
# Every bill's ``group_type`` is one of these, and its ``biz_type`` one of the others
# (``other`` is a group of the contract's that no movement here belongs to yet).
BILL_GROUP_TYPES = frozenset({"deposit", "withdraw", GROUP_TRANSACTION, "transfer", "other"})
BILL_BIZ_TYPES = frozenset(
    {"deposit", "withdraw", "buy", "sell", BIZ_FEE, "transfer-in", "transfer-out"}
)


def settlement_legs(s: Settlement) -> list[BalanceUpdate]:
    """The :class:`BalanceUpdate` events (with bills) that ``s`` stands for, in order."""
    t, m = s.taker_uid, s.maker_uid
    pay, get = s.pay_coin, s.get_coin
    m_biz = "sell" if s.taker_biz == "buy" else "buy"
    # (available, frozen, locked) per balance, as after the fill; a self-trade's taker and
    # maker share two of them.
    state: dict[tuple[int, str], list[int]] = {
        (t, pay): [s.taker_pay_available, s.taker_pay_frozen, s.taker_pay_locked],
        (t, get): [s.taker_get_available, s.taker_get_frozen, s.taker_get_locked],
        (m, get): [s.maker_get_available, s.maker_get_frozen, s.maker_get_locked],
        (m, pay): [s.maker_pay_available, s.maker_pay_frozen, s.maker_pay_locked],
    }
    legs: list[tuple[tuple[int, str], int, int, str, str, int]] = [
        ((t, pay), 0, -s.paid, "ENTRUST", s.taker_biz, 0),
        ((t, get), s.got, 0, "ENTRUST", s.taker_biz, 0),
    ]
    if s.taker_fee:
        legs.append(((t, get), -s.taker_fee, 0, "TRADE_FEE", BIZ_FEE, s.taker_fee))
    legs.append(((m, get), 0, -s.got, "ENTRUST", m_biz, 0))
    legs.append(((m, pay), s.paid, 0, "ENTRUST", m_biz, 0))
    if s.maker_fee:
        legs.append(((m, pay), -s.maker_fee, 0, "TRADE_FEE", BIZ_FEE, s.maker_fee))
    for leg in legs:  # back to the balances before the fill
        b = state[leg[0]]
        b[0] -= leg[1]
        b[1] -= leg[2]
    out = []
    bill_id = s.first_bill_id
    for key, d_available, d_frozen, reason, biz, fee in legs:
        b = state[key]
        before = b[0] + b[1] + b[2]
        b[0] += d_available
        b[1] += d_frozen
        out.append(
            BalanceUpdate(
                s.ts,
                key[0],
                key[1],
                b[0],
                b[1],
                d_available,
                d_frozen,
                reason,
                bill_id,
                GROUP_TRANSACTION,
                biz,
                d_available + d_frozen,
                before,
                fee,
            )
        )
        bill_id += 1
    return out


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


Event = (
    OrderUpdate
    | Trade
    | BalanceUpdate
    | Settlement
    | TransferRecord
    | AccountCreated
    | ListenKeyClosed
)


def expand(events: Iterable[Event]) -> Iterator[Event]:
    """``events`` with every :class:`Settlement` replaced by its :class:`BalanceUpdate` legs."""
    for e in events:
        if type(e) is Settlement:
            yield from settlement_legs(e)
        else:
            yield e
