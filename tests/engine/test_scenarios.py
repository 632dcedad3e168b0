"""Scenario tables (see scenarios.py) and hand-written multi-step stories.

Each table row: fund the users, rest the makers, send one order, then compare the fills,
the book, the taker's status, every listed balance and the fees collected.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from openweex.domain.errors import Reject
from openweex.domain.events import BalanceUpdate, Event, OrderUpdate, expand
from openweex.domain.orders import Status, ws_status
from openweex.engine.trading import OrderAck

from .helpers import (
    BTC,
    ETH,
    Harness,
    coin_units,
    final_updates,
    fmt_coin,
    lots,
    ticks,
    trades_of,
)
from .scenarios import SCENARIOS, Scenario


def _run(sc: Scenario) -> None:
    h = Harness()
    for name, funds in sc.funds.items():
        h.user(name, **funds)
    refs: dict[int, str] = {}
    for r in sc.resting:
        ack, events = h.place(r.user, r.side, r.price, r.qty, sc.symbol)
        assert not trades_of(events), f"resting order {r.ref} traded on arrival"
        refs[ack.order_id] = r.ref
    inc = sc.incoming
    cmd = h.order_cmd(inc.user, inc.side, inc.price, inc.qty, sc.symbol, inc.force)
    if sc.status == "rejected":
        h.reject(cmd, sc.reject)
        events = []
    else:
        h.tick()
        result, events = h.run(cmd._replace(ts=h.ts))
        assert isinstance(result, OrderAck), result
        final = final_updates(events)[result.order_id]
        assert final.status.wire == sc.status
        if sc.status in ("new", "partial_fill"):
            assert h.status(result.order_id) == sc.status
        else:
            assert result.order_id not in h.ex.orders
    trades = trades_of(events)
    got_fills = [(refs[t.maker_order_id], t.price, t.qty) for t in trades]
    want_fills = [(ref, ticks(sc.symbol, p), lots(sc.symbol, q)) for ref, p, q in sc.fills]
    assert got_fills == want_fills
    assert [t.self_trade for t in trades] == [sc.self_trade] * len(trades)
    assert h.book(sc.symbol) == h.book_of(sc.symbol, sc.bids, sc.asks)
    for name, coins in sc.balances.items():
        for coin, (avail, frozen) in coins.items():
            want = (coin_units(coin, avail), coin_units(coin, frozen))
            got = h.balance(name, coin)
            assert got == want, (
                f"{name} {coin}: got ({fmt_coin(coin, got[0])}, {fmt_coin(coin, got[1])})"
                f", want ({avail}, {frozen})"
            )
    fees = {c: v for c, v in h.ex.ledger.fees.items() if v}
    assert fees == {c: coin_units(c, v) for c, v in sc.fees.items()}


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(sc: Scenario) -> None:
    _run(sc)


def test_scenario_names_are_unique() -> None:
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)


def test_scenario_runner_can_fail() -> None:
    """A row with a wrong expectation must fail: the runner is not a tautology."""
    good = SCENARIOS[0]
    for bad in (
        good.__class__(**{**good.__dict__, "fills": (("a1", "100.00", "0.009"),)}),
        good.__class__(**{**good.__dict__, "status": "partial_fill"}),
        good.__class__(**{**good.__dict__, "asks": (("100.00", "0.01"),)}),
        good.__class__(**{**good.__dict__, "fees": {"USDT": "0.001", "BTC": "0.00002"}}),
        good.__class__(
            **{**good.__dict__, "balances": {"bob": {"BTC": ("0.01", "0")}}},
        ),
    ):
        with pytest.raises(AssertionError):
            _run(bad)


# -- event order and order updates --------------------------------------------------------


def test_placement_event_order() -> None:
    """freeze, new, then per fill: trade, maker update, the settlement (taker legs, maker
    legs); then the release of unused freeze and the taker's final state."""
    h = Harness()
    h.user("alice", BTC="1")
    h.user("bob", USDT="1000")
    a1 = h.limit("alice", "sell", "100.00", "0.01")
    a2 = h.limit("alice", "sell", "101.00", "0.01")
    ack, events = h.place("bob", "buy", "102.00", "0.015")

    def kinds(evs: Iterable[Event]) -> list[str]:
        out = []
        for e in evs:
            if isinstance(e, BalanceUpdate):
                out.append(f"bal:{e.uid}:{e.coin}:{e.reason}")
            elif isinstance(e, OrderUpdate):
                out.append(f"order:{e.order_id}:{e.status.wire}")
            else:
                out.append(type(e).__name__)
        return out

    bob, alice = h.uid("bob"), h.uid("alice")
    fill_legs = [
        f"bal:{bob}:USDT:ENTRUST",
        f"bal:{bob}:BTC:ENTRUST",
        f"bal:{bob}:BTC:TRADE_FEE",
        f"bal:{alice}:BTC:ENTRUST",
        f"bal:{alice}:USDT:ENTRUST",
        f"bal:{alice}:USDT:TRADE_FEE",
    ]

    def expected(settlement: list[str]) -> list[str]:
        return [
            f"bal:{bob}:USDT:ENTRUST_PLACE",
            f"order:{ack.order_id}:new",
            "Trade",
            f"order:{a1}:full_fill",
            *settlement,
            "Trade",
            f"order:{a2}:partial_fill",
            *settlement,
            f"bal:{bob}:USDT:ENTRUST_UNFROZEN",
            f"order:{ack.order_id}:full_fill",
        ]

    assert kinds(events) == expected(["Settlement"])
    assert kinds(expand(events)) == expected(fill_legs)
    # Freeze 1.53, paid 1 + 0.505: 0.025 released.
    release = events[-2]
    assert isinstance(release, BalanceUpdate)
    assert (release.d_available, release.d_frozen) == (2_500_000, -2_500_000)
    maker_updates = [e for e in events if isinstance(e, OrderUpdate) and e.maker]
    assert [(e.order_id, e.filled_qty) for e in maker_updates] == [(a1, 10_000), (a2, 5_000)]


def test_trade_event_fields() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    h.user("bob", USDT="1000")
    a1 = h.limit("alice", "sell", "100.01", "0.000123", coid="ask-1")
    ack, events = h.place("bob", "buy", "100.01", "0.000123", coid="bid-1")
    (t,) = trades_of(events)
    assert t.trade_id == 1
    assert (t.price, t.qty, t.quote) == (10001, 123, 1_230_123)
    assert (t.taker_uid, t.taker_order_id, t.taker_client_oid) == (
        h.uid("bob"),
        ack.order_id,
        "bid-1",
    )
    assert (t.maker_uid, t.maker_order_id, t.maker_client_oid) == (h.uid("alice"), a1, "ask-1")
    assert (t.taker_fee, t.maker_fee, t.self_trade) == (13, 1231, False)
    fee_bills = [
        e for e in expand(events) if isinstance(e, BalanceUpdate) and e.reason == "TRADE_FEE"
    ]
    assert sorted((e.coin, e.fee, e.d_available) for e in fee_bills) == [
        ("BTC", 13, -13),
        ("USDT", 1231, -1231),
    ]


def test_trade_ids_and_order_ids_count_up() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    h.user("bob", USDT="1000")
    ids = [h.limit("alice", "sell", "100.00", "0.01") for _ in range(3)]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    _, events = h.place("bob", "buy", "100.00", "0.03")
    assert [t.trade_id for t in trades_of(events)] == [1, 2, 3]
    _, events = h.place("bob", "buy", "100.00", "0.01")
    assert not trades_of(events)
    h.limit("alice", "sell", "100.00", "0.01")
    assert not h.ex.orders  # the last ask filled the resting bid


# -- cancels --------------------------------------------------------------------------------


def test_cancel_partly_filled_order_releases_exactly_the_rest() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    h.user("bob", USDT="1000")
    h.limit("alice", "sell", "100.00", "0.01")
    # Fills 0.01 at 100.00 (0.005 improvement released); 0.02 rest at 100.50 = 2.01 frozen.
    ack, _ = h.place("bob", "buy", "100.50", "0.03")
    assert h.status(ack.order_id) == "partial_fill"
    assert h.balance("bob", "USDT") == (coin_units("USDT", "996.99"), coin_units("USDT", "2.01"))
    result, events = h.cancel("bob", ack.order_id)
    assert result == ack.order_id
    release, update = events
    assert isinstance(release, BalanceUpdate) and isinstance(update, OrderUpdate)
    assert release.reason == "ENTRUST_CANCEL"
    assert (release.d_available, release.d_frozen) == (201_000_000, -201_000_000)
    assert update.status is Status.CANCELLED
    assert (update.filled_qty, update.filled_quote) == (10_000, 100_000_000)
    assert ws_status(update.status, update.filled_qty) == 5
    assert h.balance("bob", "USDT") == (coin_units("USDT", "999"), 0)
    assert h.book(BTC) == {"bids": [], "asks": []}
    # Finished: a second cancel finds nothing.
    h.reject(h.cancel_cmd("bob", ack.order_id), "43001")


def test_cancel_resting_sell_releases_base() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    oid = h.limit("alice", "sell", "100.00", "0.25")
    assert h.balance("alice", "BTC") == (75_000_000, 25_000_000)
    result, events = h.cancel("alice", oid)
    assert result == oid
    assert h.balance("alice", "BTC") == (100_000_000, 0)
    assert final_updates(events)[oid].status is Status.CANCELLED
    assert ws_status(Status.CANCELLED, 0) == 4


def test_cancel_by_client_order_id() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    h.user("bob", BTC="1")
    a = h.limit("alice", "sell", "100.00", "0.01", coid="mine-1")
    b = h.limit("bob", "sell", "100.00", "0.01", coid="mine-1")  # same id, other user: fine
    h.reject(h.cancel_cmd("alice", coid="nope"), "43001")
    result, events = h.cancel("alice", coid="mine-1")
    assert result == a
    assert final_updates(events)[a].status is Status.CANCELLED
    assert h.status(b) == "new"  # bob's order with the same clientOrderId is untouched
    h.reject(h.cancel_cmd("alice", coid="mine-1"), "43001")
    # The symbol must match when given.
    h.reject(h.cancel_cmd("bob", coid="mine-1", symbol=ETH), "43001")
    result, _ = h.cancel("bob", coid="mine-1", symbol="")
    assert result == b


def test_order_id_wins_over_client_order_id() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    a = h.limit("alice", "sell", "100.00", "0.01", coid="first")
    b = h.limit("alice", "sell", "100.00", "0.01", coid="second")
    result, _ = h.cancel("alice", order_id=b, coid="first")
    assert result == b
    assert h.status(a) == "new"


# -- batches ------------------------------------------------------------------------------


def test_batch_place_with_some_invalid_entries() -> None:
    h = Harness()
    h.user("alice", BTC="1", USDT="1000")
    h.user("bob", USDT="1000")
    good1 = h.order_cmd("alice", "sell", "101.00", "0.01", coid="b-1")
    zero_qty = good1._replace(quantity=0, client_oid="")
    unknown = good1._replace(symbol="FOO_SPBL", client_oid="")
    bad_coid = good1._replace(client_oid="no spaces")
    dup_coid = good1._replace(price=10200)  # client_oid "b-1" again
    foreign = h.order_cmd("bob", "buy", "100.00", "0.01")
    too_big = h.order_cmd("alice", "buy", "100.00", "100")  # 10000 USDT > 1000
    good2 = h.order_cmd("alice", "buy", "100.00", "0.02", coid="b-2")
    result, events = h.batch(
        "alice", [good1, zero_qty, unknown, bad_coid, dup_coid, foreign, too_big, good2]
    )
    assert isinstance(result, tuple) and len(result) == 8
    codes = [r.code if isinstance(r, Reject) else "ok" for r in result]
    assert codes == ["ok", "40017", "40102", "40305", "43118", "40017", "43012", "ok"]
    ack1, ack2 = result[0], result[7]
    assert isinstance(ack1, OrderAck) and isinstance(ack2, OrderAck)
    assert (ack1.client_oid, ack2.client_oid) == ("b-1", "b-2")
    assert ack2.order_id == ack1.order_id + 1  # rejected entries take no ids
    assert h.book(BTC) == h.book_of(BTC, [("100.00", "0.02")], [("101.00", "0.01")])
    assert {e.order_id for e in events if isinstance(e, OrderUpdate)} == {
        ack1.order_id,
        ack2.order_id,
    }
    assert h.balance("bob", "USDT") == (coin_units("USDT", "1000"), 0)


def test_batch_place_entries_see_earlier_entries() -> None:
    """Entries are applied in order: a later entry can trade with an earlier one."""
    h = Harness()
    h.user("alice", BTC="1", USDT="1000")
    ask = h.order_cmd("alice", "sell", "100.00", "0.01")
    bid = h.order_cmd("alice", "buy", "100.00", "0.01")
    result, events = h.batch("alice", [ask, bid])
    assert all(isinstance(r, OrderAck) for r in result)
    (t,) = trades_of(events)
    assert t.self_trade and t.maker_order_id == result[0].order_id


def test_batch_duplicate_client_oid_after_rejected_entry_is_placed() -> None:
    """Each batch entry is placed or rejected on its own (PlaceBatch docstring). When the
    first entry with clientOrderId X is rejected no order carries X, so a later entry with
    X must be placed, exactly as two separate PlaceOrder commands would be."""
    h = Harness()
    h.user("alice", BTC="1")
    rejected = h.order_cmd("alice", "sell", "100.00", "0.00001", coid="x")  # below minimum
    valid = h.order_cmd("alice", "sell", "100.00", "0.01", coid="x")
    result, _ = h.batch("alice", [rejected, valid])
    assert isinstance(result[0], Reject) and result[0].code == "45110"
    assert isinstance(result[1], OrderAck), result[1]


def test_batch_cancel() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    h.user("bob", BTC="1")
    a1 = h.limit("alice", "sell", "100.00", "0.01")
    a2 = h.limit("alice", "sell", "101.00", "0.01")
    b1 = h.limit("bob", "sell", "102.00", "0.01")
    result, events = h.cancel_batch("alice", [a1, 999, a1, b1, 0, a2])
    codes = [r.code if isinstance(r, Reject) else r for r in result]
    assert codes == [a1, "43001", "43001", "43001", "40913", a2]
    assert [e.order_id for e in events if isinstance(e, OrderUpdate)] == [a1, a2]
    assert h.book(BTC) == h.book_of(BTC, [], [("102.00", "0.01")])
    assert h.balance("alice", "BTC") == (100_000_000, 0)
    assert h.status(b1) == "new"


def test_client_order_id_stays_taken_after_the_order_finishes() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    oid = h.limit("alice", "sell", "100.00", "0.01", coid="once")
    h.cancel("alice", oid)
    h.reject(h.order_cmd("alice", "sell", "100.00", "0.01", coid="once"), "43118")


def test_market_buy_order_records_quote_amount() -> None:
    h = Harness()
    h.user("alice", BTC="1")
    h.user("bob", USDT="1000")
    h.limit("alice", "sell", "100.00", "0.01")
    ack, events = h.place("bob", "buy", None, "1.5")
    final = final_updates(events)[ack.order_id]
    assert final.quantity == coin_units("USDT", "1.5")
    assert (final.filled_qty, final.filled_quote) == (10_000, 100_000_000)
    assert final.status is Status.CANCELLED  # the book ran out
    assert ws_status(final.status, final.filled_qty) == 5
    assert events[-1] == final
    assert len(trades_of(events)) == 1
