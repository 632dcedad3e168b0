"""Read-model rows from engine events: the hot half of every read-model transaction.

:func:`event_rows` makes the rows of some commands' events by position: every order's
latest state, the fills, the bills and the transfers. The runtime makes them for each batch
it applies and its store sends them to its writer process as they are (JSON arrays), which
only has to write them; an in-process store (recovery's rebuild, tests) writes them itself,
so the two cannot disagree.

Amounts are written as ints, and as decimal text when beyond SQLite's 64-bit integers
(:func:`amount`): SQLite stores an int in a few bytes and binds it without a conversion, and
the readers take either (``int()``).

This module is compiled with mypyc in the built package (see ``setup.py``): at 100,000
commands/s the rows are made for about 130,000 events/s, and position-based code compiled
costs about half of reading the event tuples' attributes interpreted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

from openweex.domain.events import (
    BIZ_FEE,
    GROUP_TRANSACTION,
    BalanceUpdate,
    OrderUpdate,
    Settlement,
    Trade,
    TransferRecord,
)
from openweex.domain.values import OrderType, Side

Row = tuple[Any, ...]
Rows = list[Row]
Coins = Mapping[str, tuple[str, str]]  # symbol -> (base coin, quote coin)

# The events that make rows (a balance update only when it has a bill: not a freeze or a
# release).
ROW_EVENTS: tuple[type[tuple[Any, ...]], ...] = (
    OrderUpdate,
    Trade,
    BalanceUpdate,
    Settlement,
    TransferRecord,
)
_LIMIT = int(OrderType.LIMIT)
_BUY, _SELL = int(Side.BUY), int(Side.SELL)
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_SHORT_MIN: Final = -(2**62) + 1  # the compiled code's ints held unboxed, compared inline
_SHORT_MAX: Final = 2**62 - 1


def amount(value: int) -> int | str:
    """An amount as a read-model column holds it: the int, or its decimal text beyond 64
    bits (which SQLite cannot store as an integer)."""
    return cast("int | str", _amount(value))


def _amount(value: object) -> object:
    """:func:`amount` of an event's field, by reference: compiled, an int given back as the
    object it came in (not a new one made from the unboxed value), and the common case,
    within the compiled code's short ints, checked without the 64-bit bounds' objects."""
    v = cast(int, value)
    if _SHORT_MIN <= v <= _SHORT_MAX or _INT64_MIN <= v <= _INT64_MAX:
        return value
    return str(v)


def event_rows(events: Iterable[object], coins: Coins) -> tuple[dict[int, Row], Rows, Rows, Rows]:
    """Table rows for events: orders (latest state per id), fills, bills, transfers.

    A taker's order update comes before its fills (same command), so a fill takes the
    taker's order type from there (a limit order if it is missing).
    """
    orders: dict[int, Row] = {}
    fills: Rows = []
    bills: Rows = []
    transfers: Rows = []
    # locals: compiled, a module's global is a dictionary lookup each time it is read
    balance_update, order_update, trade = BalanceUpdate, OrderUpdate, Trade
    settlement, transfer_record = Settlement, TransferRecord
    for e in events:
        cls = type(e)
        if cls is balance_update:
            p = cast(tuple[Any, ...], e)
            # ts uid coin available frozen d_available d_frozen reason bill_id group_type
            # biz_type bill_qty balance_before fee
            if p[8]:
                bills.append(
                    (
                        p[8],
                        p[1],
                        p[2],
                        p[9],
                        p[10],
                        _amount(p[11]),
                        _amount(p[12]),
                        _amount(p[13]),
                        p[0],
                    )
                )
        elif cls is order_update:
            p = cast(tuple[Any, ...], e)
            # ts uid symbol order_id client_oid side type force price qty status
            # filled_qty filled_quote ctime maker
            order_id: int = p[3]
            orders[order_id] = (
                order_id,
                p[1],
                p[2],
                p[4],
                int(p[5]),
                int(p[6]),
                int(p[7]),
                _amount(p[8]),
                _amount(p[9]),
                int(p[10]),
                _amount(p[11]),
                _amount(p[12]),
                p[13],
                p[0],
            )
        elif cls is trade:
            _add_fills(fills, cast(tuple[Any, ...], e), orders, coins)
        elif cls is settlement:
            _add_settlement_bills(bills, cast(tuple[Any, ...], e))
        elif cls is transfer_record:
            p = cast(tuple[Any, ...], e)
            # ts transfer_id uid coin amount from_type to_type
            transfers.append((p[1], p[2], p[3], _amount(p[4]), p[5], p[6], p[0]))
    return orders, fills, bills, transfers


def _add_settlement_bills(bills: Rows, p: tuple[Any, ...]) -> None:
    """The bill rows of a settlement: what :func:`~openweex.domain.events.settlement_legs`
    gives, made by position (a fill's legs are a third of the row-making when made as
    events first)."""
    # ts taker_uid maker_uid pay_coin get_coin paid got taker_fee maker_fee taker_biz
    # first_bill_id, then (available, frozen, locked) after the fill of the taker's pay
    # coin, the taker's get coin, the maker's get coin and the maker's pay coin
    ts = p[0]
    taker: int = p[1]
    maker: int = p[2]
    pay: str = p[3]
    get: str = p[4]
    paid: int = p[5]
    got: int = p[6]
    taker_fee: int = p[7]
    maker_fee: int = p[8]
    taker_biz: str = p[9]
    bill_id: int = p[10]
    # The balances' totals after the fill. A self-trade's taker and maker share their two
    # balances (given twice, the maker's last, as settlement_legs reads them).
    totals = [
        p[11] + p[12] + p[13],
        p[14] + p[15] + p[16],
        p[17] + p[18] + p[19],
        p[20] + p[21] + p[22],
    ]
    t_pay, t_get, m_get, m_pay = 0, 1, 2, 3
    if taker == maker:
        totals[0], totals[1] = totals[3], totals[2]
        m_get, m_pay = 1, 0
    maker_biz = "sell" if taker_biz == "buy" else "buy"
    # (balance, uid, coin, change, business type, fee), in the legs' order
    legs: list[tuple[int, int, str, int, str, int]] = [
        (t_pay, taker, pay, -paid, taker_biz, 0),
        (t_get, taker, get, got, taker_biz, 0),
    ]
    if taker_fee:
        legs.append((t_get, taker, get, -taker_fee, BIZ_FEE, taker_fee))
    legs.append((m_get, maker, get, -got, maker_biz, 0))
    legs.append((m_pay, maker, pay, paid, maker_biz, 0))
    if maker_fee:
        legs.append((m_pay, maker, pay, -maker_fee, BIZ_FEE, maker_fee))
    for leg in legs:  # back to the totals before the fill
        totals[leg[0]] -= leg[3]
    for balance, uid, coin, change, biz, fee in legs:
        before = totals[balance]
        totals[balance] = before + change
        bills.append(
            (
                bill_id,
                uid,
                coin,
                GROUP_TRANSACTION,
                biz,
                _amount(change),
                _amount(before),
                _amount(fee),
                ts,
            )
        )
        bill_id += 1


def _add_fills(fills: Rows, p: tuple[Any, ...], orders: dict[int, Row], coins: Coins) -> None:
    """The taker's and the maker's fill rows of a trade."""
    # ts symbol trade_id price qty quote taker_side taker_uid taker_order_id
    # taker_client_oid maker_uid maker_order_id maker_client_oid taker_fee maker_fee
    # self_trade
    symbol: str = p[1]
    trade_id: int = p[2]
    taker = orders.get(p[8])
    taker_type = taker[5] if taker is not None else _LIMIT
    base, quote = coins[symbol]
    taker_buys = int(p[6]) == _BUY
    price, qty, quote_qty = _amount(p[3]), _amount(p[4]), _amount(p[5])
    self_trade = int(p[15])
    ts = p[0]
    fills.append(
        (
            trade_id * 2,
            p[7],
            symbol,
            p[8],
            trade_id,
            int(p[6]),
            taker_type,
            price,
            qty,
            quote_qty,
            _amount(p[13]),
            base if taker_buys else quote,
            0,
            self_trade,
            p[9],
            ts,
        )
    )
    fills.append(
        (
            trade_id * 2 + 1,
            p[10],
            symbol,
            p[11],
            trade_id,
            _SELL if taker_buys else _BUY,
            _LIMIT,
            price,
            qty,
            quote_qty,
            _amount(p[14]),
            quote if taker_buys else base,
            1,
            self_trade,
            p[12],
            ts,
        )
    )
