"""A fill's Settlement and the BalanceUpdate legs it stands for."""

from __future__ import annotations

import dataclasses

from openweex.domain.events import (
    BIZ_FEE,
    BalanceUpdate,
    Settlement,
    Trade,
    expand,
    settlement_legs,
)
from openweex.domain.markets import Markets

from .helpers import BTC, MARKETS, Harness, coin_units


def test_legs_of_a_self_trade_with_fees_and_locked_amounts() -> None:
    # uid 7 buys from itself: pays 1,000 USDT from frozen, gets 50 BTC, fees 2 BTC / 3 USDT.
    # After the fill: USDT (available 5,997, frozen 0, locked 11), BTC (80, 20, 5).
    s = Settlement(
        9, 7, 7, "USDT", "BTC", 1000, 50, 2, 3, "buy", 40, 5997, 0, 11, 80, 20, 5, 80, 20, 5,
        5997, 0, 11,
    )  # fmt: skip
    legs = settlement_legs(s)
    # Before the fill: USDT available 5,000, frozen 1,000; BTC available 32, frozen 70.
    assert [tuple(leg) for leg in legs] == [
        (9, 7, "USDT", 5000, 0, 0, -1000, "ENTRUST", 40, "transaction", "buy", -1000, 6011, 0),
        (9, 7, "BTC", 82, 70, 50, 0, "ENTRUST", 41, "transaction", "buy", 50, 107, 0),
        (9, 7, "BTC", 80, 70, -2, 0, "TRADE_FEE", 42, "transaction", BIZ_FEE, -2, 157, 2),
        (9, 7, "BTC", 80, 20, 0, -50, "ENTRUST", 43, "transaction", "sell", -50, 155, 0),
        (9, 7, "USDT", 6000, 0, 1000, 0, "ENTRUST", 44, "transaction", "sell", 1000, 5011, 0),
        (9, 7, "USDT", 5997, 0, -3, 0, "TRADE_FEE", 45, "transaction", BIZ_FEE, -3, 6011, 3),
    ]
    assert all(type(leg) is BalanceUpdate for leg in legs)


def test_legs_without_fees_are_four_and_use_four_bills() -> None:
    s = Settlement(1, 2, 3, "BTC", "USDT", 10, 300, 0, 0, "sell", 5, *[0, 0, 0] * 4)
    legs = settlement_legs(s)
    assert [(leg.uid, leg.coin, leg.bill_id, leg.biz_type) for leg in legs] == [
        (2, "BTC", 5, "sell"),
        (2, "USDT", 6, "sell"),
        (3, "USDT", 7, "buy"),
        (3, "BTC", 8, "buy"),
    ]


def _replay(h: Harness, events: list[object]) -> None:
    """The legs replayed in order end at the engine's balances; bills are consecutive and
    end where the ledger's counter is."""
    last: dict[tuple[int, str], tuple[int, int]] = {}
    bills = []
    for e in events:
        if isinstance(e, BalanceUpdate):
            before = last.get((e.uid, e.coin))
            if before is not None:
                assert (e.available, e.frozen) == (
                    before[0] + e.d_available,
                    before[1] + e.d_frozen,
                )
                if e.bill_id:
                    assert e.balance_before == before[0] + before[1]
            last[(e.uid, e.coin)] = (e.available, e.frozen)
            if e.bill_id:
                bills.append(e.bill_id)
    for (uid, coin), amounts in last.items():
        b = h.ex.accounts[uid].balances[coin]
        assert (b.available, b.frozen) == amounts
    assert bills == list(range(bills[0], bills[0] + len(bills)))
    assert bills[-1] == h.ex.ledger.next_bill_id - 1


def test_engine_self_trade_settles_exactly() -> None:
    h = Harness()
    h.user("alice", BTC="1", USDT="1000")
    h.limit("alice", "sell", "100.00", "0.01")
    _, events = h.place("alice", "buy", "100.00", "0.01")
    (trade,) = [e for e in events if isinstance(e, Trade)]
    assert trade.self_trade
    (settlement,) = [e for e in events if isinstance(e, Settlement)]
    assert (settlement.paid, settlement.got) == (
        coin_units("USDT", "1"),
        coin_units("BTC", "0.01"),
    )
    legs = list(expand(events))
    assert [e.reason for e in legs if isinstance(e, BalanceUpdate) and e.bill_id] == [
        "ENTRUST",
        "ENTRUST",
        "TRADE_FEE",
        "ENTRUST",
        "ENTRUST",
        "TRADE_FEE",
    ]
    _replay(h, legs)
    # Fees of 0.1% on both sides, nothing else lost: 1 BTC + 1000 USDT less the two fees.
    assert h.balance("alice", "BTC") == (coin_units("BTC", "0.99999"), 0)
    assert h.balance("alice", "USDT") == (coin_units("USDT", "999.999"), 0)


def test_engine_fee_free_symbol_makes_four_legs_per_fill() -> None:
    sym = dataclasses.replace(MARKETS.symbols[BTC], maker_fee=0, taker_fee=0)
    markets = Markets(dict(MARKETS.coins), {**MARKETS.symbols, BTC: sym})
    h = Harness(markets)
    h.user("alice", BTC="1")
    h.user("bob", USDT="1000")
    h.limit("alice", "sell", "100.00", "0.01")
    h.limit("alice", "sell", "101.00", "0.01")
    _, events = h.place("bob", "buy", "101.00", "0.02")
    legs = [e for e in expand(events) if isinstance(e, BalanceUpdate) and e.bill_id]
    assert len(legs) == 8 and not any(e.fee for e in legs)
    _replay(h, list(expand(events)))
