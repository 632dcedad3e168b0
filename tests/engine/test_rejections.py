"""Bad input is rejected with the right WEEX code and changes nothing.

Every rejection goes through :meth:`Harness.reject`: the code must match, the command must
produce no events, and ``state_hash()`` and every open order must be unchanged. The parse
helpers of ``domain/values.py`` are covered at the end.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from openweex.domain.commands import (
    CancelBatch,
    Command,
    CreateApiKey,
    CreateListenKey,
    DeleteListenKey,
    Deposit,
    KeepAliveListenKey,
    PlaceBatch,
    PlaceOrder,
    SetUserFrozen,
    Transfer,
    Withdraw,
)
from openweex.domain.errors import MESSAGES, Reject, http_status
from openweex.domain.values import (
    MAX_UNITS,
    Force,
    OrderType,
    Side,
    format_units,
    parse_units,
    valid_client_oid,
)
from openweex.engine.exchange import LISTEN_KEY_TTL_MS, MAX_BATCH, MAX_LISTEN_KEYS
from openweex.engine.trading import OrderAck

from .helpers import BTC, ETH, MARKETS, Harness, coin_units

BTC_SYM = MARKETS.symbols[BTC]


@pytest.fixture
def h() -> Harness:
    """alice: 1 BTC + 1000 USDT with an ask 0.01 @ 101; bob: 1000 USDT + 1 BTC with a bid
    0.01 @ 99; carol: an account with nothing."""
    h = Harness()
    h.user("alice", BTC="1", USDT="1000")
    h.user("bob", USDT="1000", BTC="1")
    h.user("carol")
    h.limit("alice", "sell", "101.00", "0.01", coid="ask-1")
    h.limit("bob", "buy", "99.00", "0.01", coid="bid-1")
    return h


def buy(h: Harness, **changes: object) -> PlaceOrder:
    """bob's limit buy 0.01 @ 100.00 with ``changes``."""
    return h.order_cmd("bob", "buy", "100.00", "0.01")._replace(**changes)


def sell(h: Harness, **changes: object) -> PlaceOrder:
    """alice's limit sell 0.01 @ 102.00 with ``changes``."""
    return h.order_cmd("alice", "sell", "102.00", "0.01")._replace(**changes)


def market(h: Harness, side: str, qty: str, **changes: object) -> PlaceOrder:
    name = "bob" if side == "buy" else "alice"
    return h.order_cmd(name, side, None, qty)._replace(**changes)


PLACE_CASES: list[tuple[str, Callable[[Harness], Command], str]] = [
    ("unknown symbol", lambda h: buy(h, symbol="FOO_SPBL"), "40102"),
    ("empty symbol", lambda h: buy(h, symbol=""), "40102"),
    ("quantity zero", lambda h: buy(h, quantity=0), "40017"),
    ("quantity negative", lambda h: buy(h, quantity=-10_000), "40017"),
    ("price zero", lambda h: buy(h, price=0), "40017"),
    ("price negative", lambda h: buy(h, price=-10_000), "40017"),
    ("price absurd", lambda h: buy(h, price=10**18 + 1), "40017"),
    ("below min", lambda h: buy(h, quantity=BTC_SYM.min_trade - 1), "45110"),
    ("above max", lambda h: sell(h, quantity=BTC_SYM.max_trade + 1), "40017"),
    ("market sell below min", lambda h: market(h, "sell", "0.000099"), "45110"),
    (
        "market sell above max",
        lambda h: market(h, "sell", "1")._replace(quantity=BTC_SYM.max_trade + 1),
        "40017",
    ),
    ("market buy amount zero", lambda h: market(h, "buy", "0"), "40017"),
    ("market buy amount negative", lambda h: market(h, "buy", "1")._replace(quantity=-1), "40017"),
    ("buy beyond available quote", lambda h: buy(h, quantity=10_000_001), "43012"),
    # bob has 1000 USDT of which 0.99 is frozen by his bid: 999.01 available.
    ("market buy beyond available", lambda h: market(h, "buy", "999.02"), "43012"),
    # alice has 1 BTC of which 0.01 is frozen by her ask.
    ("sell beyond available base", lambda h: sell(h, quantity=990_001), "43012"),
    ("market sell beyond available", lambda h: market(h, "sell", "0.990001"), "43012"),
    ("no balance of the coin at all", lambda h: buy(h, uid=h.uid("carol")), "43012"),
    ("unknown account", lambda h: buy(h, uid=424242), "40040"),
    ("duplicate clientOrderId", lambda h: buy(h, client_oid="bid-1"), "43118"),
    ("clientOrderId too long", lambda h: buy(h, client_oid="x" * 41), "40305"),
    ("clientOrderId with a space", lambda h: buy(h, client_oid="a b"), "40305"),
    ("clientOrderId with a slash", lambda h: buy(h, client_oid="a/b"), "40305"),
    ("clientOrderId non-ASCII", lambda h: buy(h, client_oid="caf\u00e9"), "40305"),
    ("clientOrderId trailing newline", lambda h: buy(h, client_oid="abc\n"), "40305"),
    ("post-only that would take", lambda h: buy(h, price=10_100, force=Force.POST_ONLY), "43115"),
    (
        "fok that cannot fill",
        lambda h: buy(h, price=10_100, quantity=20_000, force=Force.FOK),
        "43116",
    ),
]


@pytest.mark.parametrize(
    ("make", "code"), [c[1:] for c in PLACE_CASES], ids=[c[0] for c in PLACE_CASES]
)
def test_place_rejected(h: Harness, make: Callable[[Harness], Command], code: str) -> None:
    h.reject(make(h), code)


def test_rejection_messages_and_statuses_come_from_the_table(h: Harness) -> None:
    reject = h.reject(buy(h, quantity=0), "40017")
    assert reject.msg.startswith(MESSAGES["40017"])
    assert http_status(reject.code) == 400
    assert http_status("429") == 429


def test_duplicate_client_oid_leaves_first_order_untouched(h: Harness) -> None:
    first = h.ex.client_oids[(h.uid("bob"), "bid-1")]
    before = h.ex.orders[first]
    snapshot = (before.price, before.quantity, before.remaining, before.hold, before.status)
    h.reject(buy(h, client_oid="bid-1", price=9_800), "43118")
    after = h.ex.orders[first]
    assert after is before
    assert (after.price, after.quantity, after.remaining, after.hold, after.status) == snapshot
    # The same clientOrderId is free for another user.
    h.place("alice", "sell", "105.00", "0.01", coid="bid-1")


def test_boundaries_are_accepted(h: Harness) -> None:
    """The values right at the limits are fine: the rejections above are not off by one."""
    h.place("bob", "buy", "98.00", "0.0001")  # exactly min_trade
    h.place("alice", "sell", "150.00", "0.01", coid="x" * 40)  # 40 characters
    h.place("alice", "sell", "150.00", "0.01", coid="A-z_0-9")
    # bob: 1000 - 0.99 - 0.0098 available; spend it to the last unit with a limit buy.
    avail = h.balance("bob", "USDT")[0]
    assert avail % 100 == 0  # a whole number of lots at price 1.00
    h.place("bob", "buy", "1.00", format_units(avail // 100, 6))
    assert h.balance("bob", "USDT")[0] == 0
    # alice sells exactly what she has left.
    h.place("alice", "sell", "200.00", format_units(h.balance("alice", "BTC")[0] // 100, 6))
    assert h.balance("alice", "BTC")[0] == 0


def test_frozen_user_cannot_trade_or_cancel(h: Harness) -> None:
    h.freeze_user("alice")
    ask = h.ex.client_oids[(h.uid("alice"), "ask-1")]
    h.reject(sell(h), "40013")
    h.reject(market(h, "sell", "0.01"), "40013")
    h.reject(h.cancel_cmd("alice", ask), "40013")
    h.reject(h.cancel_cmd("alice", coid="ask-1"), "40013")
    result, events = h.run(PlaceBatch(h.ts, h.uid("alice"), (sell(h), sell(h, price=10_300))))
    assert [r.code for r in result if isinstance(r, Reject)] == ["40013", "40013"]
    assert events == []
    # Her resting order still trades: freezing blocks her requests, not the book.
    _, events = h.place("bob", "buy", "101.00", "0.01")
    assert any(getattr(e, "maker_order_id", 0) == ask for e in events)
    h.freeze_user("alice", False)
    h.place("alice", "sell", "102.00", "0.01")


# -- cancels ------------------------------------------------------------------------------


def test_cancel_unknown_foreign_finished_or_wrong_symbol(h: Harness) -> None:
    ask = h.ex.client_oids[(h.uid("alice"), "ask-1")]
    bid = h.ex.client_oids[(h.uid("bob"), "bid-1")]
    h.reject(h.cancel_cmd("alice", 999_999), "43001")  # never existed
    h.reject(h.cancel_cmd("alice", bid), "43001")  # bob's order
    h.reject(h.cancel_cmd("alice", coid="bid-1"), "43001")  # bob's clientOrderId
    h.reject(h.cancel_cmd("alice", coid="nope"), "43001")
    h.reject(h.cancel_cmd("alice", ask, symbol=ETH), "43001")
    h.reject(h.cancel_cmd("alice", ask, symbol="FOO_SPBL"), "43001")
    h.reject(h.cancel_cmd("alice"), "40913")  # neither id
    # Filled and cancelled orders are finished.
    h.place("bob", "buy", "101.00", "0.01")
    h.reject(h.cancel_cmd("alice", ask), "43001")
    h.reject(h.cancel_cmd("alice", coid="ask-1"), "43001")
    h.cancel("bob", bid)
    h.reject(h.cancel_cmd("bob", bid), "43001")


def test_cancel_batch_rejections(h: Harness) -> None:
    ask = h.ex.client_oids[(h.uid("alice"), "ask-1")]
    too_many = CancelBatch(h.ts, h.uid("alice"), BTC, (ask,) * (MAX_BATCH + 1))
    h.reject(too_many, "40912")
    result, events = h.run(CancelBatch(h.ts, h.uid("alice"), BTC, (999, 0)))
    assert [r.code for r in result if isinstance(r, Reject)] == ["43001", "40913"]
    assert events == []
    result, _ = h.cancel_batch("alice", [ask] * MAX_BATCH)  # 50 is allowed
    assert result[0] == ask and all(isinstance(r, Reject) for r in result[1:])


def test_place_batch_rejections(h: Harness) -> None:
    h.reject(PlaceBatch(h.ts, h.uid("alice"), (sell(h),) * (MAX_BATCH + 1)), "40912")
    orders = tuple(sell(h, price=10_200 + i) for i in range(MAX_BATCH))
    result, _ = h.batch("alice", orders)
    assert len(result) == MAX_BATCH and all(isinstance(r, OrderAck) for r in result)
    result, events = h.run(PlaceBatch(h.ts, h.uid("alice"), ()))
    assert result == () and events == []


def test_batch_of_only_rejected_entries_changes_nothing(h: Harness) -> None:
    before = h.ex.state_hash()
    entries = (sell(h, quantity=0), sell(h, symbol="X"), buy(h), sell(h, client_oid="ask-1"))
    result, events = h.run(PlaceBatch(h.ts, h.uid("alice"), entries))
    assert [r.code for r in result if isinstance(r, Reject)] == [
        "40017",
        "40102",
        "40017",  # bob's order inside alice's batch
        "43118",
    ]
    assert events == []
    assert h.ex.state_hash() == before


# -- accounts and funds -------------------------------------------------------------------

FUNDS_CASES: list[tuple[str, Callable[[Harness], Command], str]] = [
    ("deposit unknown account", lambda h: Deposit(h.ts, 424242, "USDT", 1), "40040"),
    ("deposit zero", lambda h: Deposit(h.ts, h.uid("carol"), "USDT", 0), "40017"),
    ("deposit negative", lambda h: Deposit(h.ts, h.uid("carol"), "USDT", -5), "40017"),
    ("deposit unknown coin", lambda h: Deposit(h.ts, h.uid("carol"), "DOGE", 5), "40017"),
    ("deposit huge", lambda h: Deposit(h.ts, h.uid("carol"), "USDT", MAX_UNITS + 1), "40017"),
    ("withdraw unknown account", lambda h: Withdraw(h.ts, 424242, "USDT", 1), "40040"),
    ("withdraw zero", lambda h: Withdraw(h.ts, h.uid("bob"), "USDT", 0), "40017"),
    # bob: 1000 USDT, 0.99 of it frozen by his bid.
    (
        "withdraw more than available",
        lambda h: Withdraw(h.ts, h.uid("bob"), "USDT", coin_units("USDT", "999.01") + 1),
        "43012",
    ),
    ("withdraw from an empty coin", lambda h: Withdraw(h.ts, h.uid("carol"), "BTC", 1), "43012"),
    (
        "transfer spot to spot",
        lambda h: Transfer(h.ts, h.uid("bob"), "USDT", 1, "SPOT", "SPOT"),
        "40017",
    ),
    (
        "transfer unknown type",
        lambda h: Transfer(h.ts, h.uid("bob"), "USDT", 1, "FOO", "SPOT"),
        "40017",
    ),
    ("transfer empty type", lambda h: Transfer(h.ts, h.uid("bob"), "USDT", 1, "", "SPOT"), "40017"),
    (
        "transfer without a spot side",
        lambda h: Transfer(h.ts, h.uid("bob"), "USDT", 1, "CONTRACT", "MARGIN"),
        "40017",
    ),
    (
        "transfer out more than available",
        lambda h: Transfer(
            h.ts, h.uid("bob"), "USDT", coin_units("USDT", "999.01") + 1, "SPOT", "CONTRACT"
        ),
        "43012",
    ),
    (
        "transfer zero",
        lambda h: Transfer(h.ts, h.uid("bob"), "USDT", 0, "CONTRACT", "SPOT"),
        "40017",
    ),
    (
        "transfer unknown account",
        lambda h: Transfer(h.ts, 424242, "USDT", 1, "CONTRACT", "SPOT"),
        "40040",
    ),
    ("freeze unknown account", lambda h: SetUserFrozen(h.ts, 424242, True), "40040"),
]


@pytest.mark.parametrize(
    ("make", "code"), [c[1:] for c in FUNDS_CASES], ids=[c[0] for c in FUNDS_CASES]
)
def test_funds_rejected(h: Harness, make: Callable[[Harness], Command], code: str) -> None:
    h.reject(make(h), code)


def test_withdraw_and_transfer_of_exactly_available_are_accepted(h: Harness) -> None:
    avail = coin_units("USDT", "999.01")
    assert h.balance("bob", "USDT")[0] == avail
    h.tick()
    result, _ = h.run(Transfer(h.ts, h.uid("bob"), "USDT", 10, "spot", "contract"))
    assert not isinstance(result, Reject) and result.from_type == "SPOT"
    h.tick()
    result, _ = h.run(Withdraw(h.ts, h.uid("bob"), "USDT", avail - 10))
    assert not isinstance(result, Reject)
    assert h.balance("bob", "USDT") == (0, coin_units("USDT", "0.99"))


def test_api_key_and_listen_key_rejections(h: Harness) -> None:
    bob = h.uid("bob")
    perms = ("SPOT_ACCOUNT_R", "SPOT_TRADE")
    h.reject(CreateApiKey(h.ts, 424242, "k1", "s", "p", perms, ()), "40040")
    h.reject(CreateApiKey(h.ts, bob, "", "s", "p", perms, ()), "40017")
    h.reject(CreateApiKey(h.ts, bob, "k1", "s", "", perms, ()), "40724")
    h.reject(CreateApiKey(h.ts, bob, "k1", "s", "p", ("WITHDRAW",), ()), "40017")
    h.tick()
    h.run(CreateApiKey(h.ts, bob, "k1", "s", "p", perms, ()))
    h.reject(CreateApiKey(h.ts, h.uid("alice"), "k1", "s", "p", perms, ()), "40017")
    h.reject(CreateListenKey(h.ts, 424242, "lk"), "40040")
    h.reject(KeepAliveListenKey(h.ts, bob, "nope"), "40042")
    h.reject(DeleteListenKey(h.ts, bob, "nope"), "40042")
    for i in range(MAX_LISTEN_KEYS):
        h.run(CreateListenKey(h.ts, bob, f"lk{i}"))
    h.reject(CreateListenKey(h.ts, bob, "one-more"), "40041")
    h.reject(CreateListenKey(h.ts, h.uid("alice"), "lk0"), "40017")  # taken
    h.reject(KeepAliveListenKey(h.ts, h.uid("alice"), "lk0"), "40042")  # not hers
    h.reject(DeleteListenKey(h.ts, h.uid("alice"), "lk0"), "40042")
    # an expired key is gone for DELETE as it is for PUT (and for a connection)
    h.ts += LISTEN_KEY_TTL_MS - 1  # the keys' last live millisecond
    result, _ = h.run(DeleteListenKey(h.ts, bob, "lk1"))
    assert result == "lk1"
    h.run(CreateListenKey(h.tick(), h.uid("alice"), "hers"))  # time moves on
    h.reject(KeepAliveListenKey(h.ts, bob, "lk2"), "40042")
    h.reject(DeleteListenKey(h.ts, bob, "lk2"), "40042")


# -- a rejection that arrives later than the last accepted command ------------------------


def test_rejected_command_with_a_newer_timestamp_keeps_state_hash(h: Harness) -> None:
    """The runtime stamps every command with a fresh time, rejected ones included. A
    rejection "changes nothing" (exchange.py docstring), so the state hash must not move
    either: otherwise a replica that skips rejected commands, or a check like the one in
    Harness.reject, sees a different state."""
    before = h.ex.state_hash()
    result, events = h.run(buy(h, quantity=0, ts=h.ts + 1000))
    assert isinstance(result, Reject) and events == []
    assert h.ex.state_hash() == before


def test_rejected_listen_key_creation_keeps_expired_keys(h: Harness) -> None:
    """CreateListenKey purges the user's expired keys before its checks, so a creation that
    is then rejected (key name taken) has still changed the state."""
    alice, bob = h.uid("alice"), h.uid("bob")
    h.run(CreateListenKey(h.tick(), alice, "old"))
    h.ts += LISTEN_KEY_TTL_MS  # "old" expires exactly now
    h.run(CreateListenKey(h.ts, bob, "taken"))
    h.reject(CreateListenKey(h.ts, alice, "taken"), "40017")


# -- parse helpers (domain/values.py) -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scale", "want"),
    [
        ("1", 2, 100),
        ("1.50", 2, 150),
        (".5", 2, 50),
        ("0.5", 1, 5),
        ("0", 8, 0),
        ("1.", 2, 100),
        ("+2", 0, 2),
        ("  3.25  ", 2, 325),
        ("0001.2000", 1, 12),
        ("0.12300000", 3, 123),  # trailing zeros beyond the scale are fine
        ("123456789.12345678", 8, 12345678912345678),
        ("1" + "0" * 30, 0, MAX_UNITS),  # the largest amount
    ],
)
def test_parse_units_accepts(text: str, scale: int, want: int) -> None:
    assert parse_units(text, scale, "qty") == want


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("0.123", 2),  # off scale: rejected, never rounded
        ("0.001", 0),
        ("1.0000000001", 8),
        ("", 2),
        (" ", 2),
        (".", 2),
        ("abc", 2),
        ("1a", 2),
        ("1.2.3", 2),
        ("1,5", 2),
        ("1_000", 2),
        ("0x10", 2),
        ("-1", 2),
        ("-0.5", 2),
        ("+-1", 2),
        ("1e5", 2),
        ("1E-2", 2),
        ("inf", 2),
        ("NaN", 2),
        ("1" + "0" * 30 + "1", 0),  # MAX_UNITS + 1... as digits
        ("1" * 40, 0),
        ("1" + "0" * 29, 2),  # 10**29 x 100 units > MAX_UNITS
        ("\u0661\u0662", 0),  # Arabic-Indic digits are not plain decimals
        ("\uff11.\uff15", 1),  # full-width digits
    ],
)
def test_parse_units_rejects(text: str, scale: int) -> None:
    result = parse_units(text, scale, "qty")
    assert isinstance(result, Reject), f"{text!r} parsed as {result!r}"
    assert result.code == "40017"
    assert "qty" in result.msg


def test_parse_and_format_round_trip() -> None:
    for value, scale in [(0, 2), (1, 8), (150, 2), (10**12 + 7, 6), (5, 0)]:
        text = format_units(value, scale)
        assert parse_units(text, scale, "x") == value
    assert format_units(150, 2) == "1.5"
    assert format_units(-5, 3) == "-0.005"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("a", True),
        ("A-z_09", True),
        ("x" * 40, True),
        ("", False),
        ("x" * 41, False),
        ("a b", False),
        ("a.b", False),
        ("caf\u00e9", False),
        ("abc\n", False),  # "$" alone would let a trailing newline through
        ("x" * 40 + "\n", False),
    ],
)
def test_valid_client_oid(text: str, ok: bool) -> None:
    assert valid_client_oid(text) is ok


def test_side_type_force_values_are_the_wire_enums() -> None:
    assert (int(Side.BUY), int(Side.SELL)) == (1, 2)
    assert (OrderType.LIMIT.wire, OrderType.MARKET.wire) == ("limit", "market")
    assert [f.wire for f in Force] == ["normal", "post_only", "ioc", "fok"]
