"""Read-model rows from engine events: the hot half of every read-model transaction.

Events are first *packed* (:func:`pack_events`): only those that make rows, each as a plain
``(code, *fields)`` array, which is also what goes to the writer process as JSON. The rows
are then made from packed arrays by position (:func:`packed_rows`), whether they came
through JSON (enum fields are plain ints then) or straight from :func:`pack_events`. One
function makes the rows in both places, so the writer process and an in-process store
(recovery's rebuild, tests) cannot disagree.

This module is compiled with mypyc in the built package (see ``setup.py``): at 50,000
commands/s the rows are made for about 125,000 events/s, and position-based code compiled
costs about half of rebuilding the event tuples and reading their attributes interpreted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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

# The events that make rows, by their code in a packed array: ``[code, *fields]``. Other
# events (and balance changes without a bill: freezes and releases) are not packed.
ROW_EVENTS: tuple[type[tuple[Any, ...]], ...] = (
    OrderUpdate,
    Trade,
    BalanceUpdate,
    Settlement,
    TransferRecord,
)
ORDER, TRADE, BALANCE, SETTLEMENT, TRANSFER = range(5)
_CODES: dict[type, int] = {cls: code for code, cls in enumerate(ROW_EVENTS)}
_BILL_ID = BalanceUpdate._fields.index("bill_id")
_LIMIT = int(OrderType.LIMIT)
_BUY, _SELL = int(Side.BUY), int(Side.SELL)


def pack_events(events: Iterable[object]) -> list[tuple[Any, ...]]:
    """The events that make rows, as ``(code, *fields)`` tuples (enums become ints in JSON)."""
    codes = _CODES
    packed: list[tuple[Any, ...]] = []
    for e in events:
        code = codes.get(type(e))
        if code is not None:
            assert isinstance(e, tuple)
            if code != BALANCE or e[_BILL_ID]:
                packed.append((code,) + e)  # noqa: RUF005 (one copy; unpacking makes two)
    return packed


def packed_rows(
    packed: Iterable[Sequence[Any]], coins: Coins
) -> tuple[dict[int, Row], Rows, Rows, Rows]:
    """Table rows for packed events: orders (latest state per id), fills, bills, transfers.

    Field positions are those of the event classes, one further for the code in front.
    A taker's order update comes before its fills (same command), so a fill takes the
    taker's order type from there (a limit order if it is missing).
    """
    orders: dict[int, Row] = {}
    fills: Rows = []
    bills: Rows = []
    transfers: Rows = []
    for p in packed:
        code: int = p[0]
        if code == ORDER:
            # ts uid symbol order_id client_oid side type force price qty status
            # filled_qty filled_quote ctime maker
            order_id: int = p[4]
            orders[order_id] = (
                order_id,
                p[2],
                p[3],
                p[5],
                int(p[6]),
                int(p[7]),
                int(p[8]),
                str(p[9]),
                str(p[10]),
                int(p[11]),
                str(p[12]),
                str(p[13]),
                p[14],
                p[1],
            )
        elif code == BALANCE:
            bills.append(_bill_row(p))
        elif code == TRADE:
            _add_fills(fills, p, orders, coins)
        elif code == SETTLEMENT:
            _add_settlement_bills(bills, p)
        elif code == TRANSFER:
            # ts transfer_id uid coin amount from_type to_type
            transfers.append((p[2], p[3], p[4], str(p[5]), p[6], p[7], p[1]))
    return orders, fills, bills, transfers


def _bill_row(p: Sequence[Any]) -> Row:
    """The bill of a packed balance update."""
    # code, then: ts uid coin available frozen d_available d_frozen reason bill_id group_type
    # biz_type bill_qty balance_before fee
    return (p[9], p[2], p[3], p[10], p[11], str(p[12]), str(p[13]), str(p[14]), p[1])


def _add_settlement_bills(bills: Rows, p: Sequence[Any]) -> None:
    """The bill rows of a packed settlement: what
    :func:`~openweex.domain.events.settlement_legs` gives, made by position (a fill's legs
    are a third of a busy writer's row-making when made as events first)."""
    # ts taker_uid maker_uid pay_coin get_coin paid got taker_fee maker_fee taker_biz
    # first_bill_id, then (available, frozen, locked) after the fill of the taker's pay
    # coin, the taker's get coin, the maker's get coin and the maker's pay coin
    ts = p[1]
    taker: int = p[2]
    maker: int = p[3]
    pay: str = p[4]
    get: str = p[5]
    paid: int = p[6]
    got: int = p[7]
    taker_fee: int = p[8]
    maker_fee: int = p[9]
    taker_biz: str = p[10]
    bill_id: int = p[11]
    # The balances' totals after the fill. A self-trade's taker and maker share their two
    # balances (given twice, the maker's last, as settlement_legs reads them).
    totals = [
        p[12] + p[13] + p[14],
        p[15] + p[16] + p[17],
        p[18] + p[19] + p[20],
        p[21] + p[22] + p[23],
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
            (bill_id, uid, coin, GROUP_TRANSACTION, biz, str(change), str(before), str(fee), ts)
        )
        bill_id += 1


def _add_fills(fills: Rows, p: Sequence[Any], orders: dict[int, Row], coins: Coins) -> None:
    """The taker's and the maker's fill rows of a packed trade."""
    # ts symbol trade_id price qty quote taker_side taker_uid taker_order_id
    # taker_client_oid maker_uid maker_order_id maker_client_oid taker_fee maker_fee
    # self_trade
    symbol: str = p[2]
    trade_id: int = p[3]
    taker = orders.get(p[9])
    taker_type = taker[5] if taker is not None else _LIMIT
    base, quote = coins[symbol]
    taker_buys = int(p[7]) == _BUY
    price, qty, amount = str(p[4]), str(p[5]), str(p[6])
    self_trade = int(p[16])
    ts = p[1]
    fills.append(
        (
            trade_id * 2,
            p[8],
            symbol,
            p[9],
            trade_id,
            int(p[7]),
            taker_type,
            price,
            qty,
            amount,
            str(p[14]),
            base if taker_buys else quote,
            0,
            self_trade,
            p[10],
            ts,
        )
    )
    fills.append(
        (
            trade_id * 2 + 1,
            p[11],
            symbol,
            p[12],
            trade_id,
            _SELL if taker_buys else _BUY,
            _LIMIT,
            price,
            qty,
            amount,
            str(p[15]),
            quote if taker_buys else base,
            1,
            self_trade,
            p[13],
            ts,
        )
    )
