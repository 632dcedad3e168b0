"""Model-based test: random command streams against the engine and the naive reference.

A Hypothesis state machine opens three accounts and then sends random deposits,
withdrawals, transfers, freezes, placements (every type and force, prices in a band of a few
ticks so that orders cross often, sometimes invalid values), batches and cancels (of open,
finished, unknown and other users' orders) to both :class:`Exchange` and
:class:`reference.RefExchange`. After EVERY command it compares:

* the result (accepted ids or the rejection code, entry by entry for batches);
* the trades (ids, orders, users, price, quantity, quote, both fees, self-trade flag);
* the final state of every order the command touched;
* every user's available and frozen balance of every coin, the fees collected;
* the open orders (all fields) and the book's priority order per symbol;

and it calls ``Exchange.check_invariants()``, checks that the balance events replay to the
new balances, and that a rejected command produced no events and left ``state_hash()``
unchanged.

Clock: an accepted command advances the clock; a command the reference predicts to be
rejected is sent at the current time, so that "unchanged state" can be asserted with the
full ``state_hash()``. ``test_rejections.py`` covers a rejection that arrives later.

Shrunk failures are kept below as plain regression tests (``test_regression_*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from openweex.domain.commands import (
    CancelBatch,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    PlaceBatch,
    PlaceOrder,
    SetUserFrozen,
    Transfer,
    Withdraw,
)
from openweex.domain.errors import Reject
from openweex.domain.events import (
    BalanceUpdate,
    Event,
    OrderUpdate,
    Trade,
    TransferRecord,
    expand,
)
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import FIRST_ORDER_ID, FIRST_UID, Exchange
from openweex.engine.trading import OrderAck

from .helpers import BTC, ETHBTC, MARKETS, SOL, T0
from .reference import OK, RefExchange

SYMBOLS = (BTC, SOL, ETHBTC)
# Centre price (ticks) and lot range of orders per symbol.
CENTER = {BTC: 1_000_000, SOL: 20_000, ETHBTC: 5_000}
LOTS = {BTC: (100, 3_000), SOL: (10, 300), ETHBTC: (1, 500)}
DEPOSIT = {"USDT": 3 * 10**10, "BTC": 2 * 10**7, "SOL": 3 * 10**8, "ETH": 5 * 10**8}
COINS = tuple(DEPOSIT)
# Weighted: resting orders are needed for anything to trade.
KINDS = (
    (OrderType.LIMIT, Force.NORMAL),
    (OrderType.LIMIT, Force.NORMAL),
    (OrderType.LIMIT, Force.NORMAL),
    (OrderType.LIMIT, Force.NORMAL),
    (OrderType.LIMIT, Force.POST_ONLY),
    (OrderType.LIMIT, Force.IOC),
    (OrderType.LIMIT, Force.FOK),
    (OrderType.MARKET, Force.NORMAL),
    (OrderType.MARKET, Force.IOC),  # force is ignored for market orders
    (OrderType.MARKET, Force.FOK),
    (OrderType.MARKET, Force.POST_ONLY),
)
# Mostly no clientOrderId; a few reusable ones (duplicates happen) and two invalid ones.
COIDS = ("",) * 24 + ("a", "b", "c", "a b", "x" * 41)
TRANSFERS = (
    ("SPOT", "CONTRACT"),
    ("CONTRACT", "SPOT"),
    ("funding", "spot"),
    ("SPOT", "SPOT"),
    ("MARGIN", "CONTRACT"),
    ("FOO", "SPOT"),
)
UNKNOWN_UID = 99

# Ways to spoil an order; drawn for about one order in ten.
FLAWS = (
    "qty zero",
    "qty negative",
    "price zero",
    "price negative",
    "qty above max",
    "qty below min",
    "unknown symbol",
    "tiny budget",
)
OK_SPECS = 72

# One order: side, index into KINDS, price offset from the centre, quantity pick, flaw pick
# (>= OK_SPECS selects one of FLAWS), clientOrderId.
order_spec = st.tuples(
    st.sampled_from((Side.BUY, Side.SELL)),
    st.integers(0, len(KINDS) - 1),
    st.integers(-4, 4),
    st.integers(0, 10**9),
    st.integers(0, OK_SPECS + len(FLAWS) - 1),
    st.sampled_from(COIDS),
)
users = st.integers(0, 3)  # 3 is an unknown account
traders = st.sampled_from((0, 1, 2) * 3 + (3,))
symbols = st.sampled_from((BTC, BTC, BTC, SOL, ETHBTC))

# Weighted action mix and the arguments of each action.
ACTIONS = (
    ("place",) * 6
    + ("cancel",) * 3
    + (
        "place_batch",
        "cancel_batch",
        "deposit",
        "withdraw",
        "transfer",
        "set_frozen",
    )
)
ACTION_ARGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "place": st.fixed_dictionaries({"user": traders, "symbol": symbols, "spec": order_spec}),
    "place_batch": st.fixed_dictionaries(
        {
            "user": st.integers(0, 2),
            "entries": st.lists(st.tuples(symbols, order_spec, st.integers(0, 9)), max_size=5),
            "oversize": st.integers(0, 9),
        }
    ),
    "cancel": st.fixed_dictionaries(
        {
            "user": users,
            "pick": st.integers(0, 10**6),
            "how": st.integers(0, 9),
            "symbol": st.sampled_from((*SYMBOLS, "")),
            "coid": st.sampled_from(COIDS),
        }
    ),
    "cancel_batch": st.fixed_dictionaries(
        {
            "user": users,
            "picks": st.lists(st.integers(0, 10**6), max_size=6),
            "symbol": st.sampled_from((*SYMBOLS, "")),
            "oversize": st.integers(0, 9),
        }
    ),
    "deposit": st.fixed_dictionaries(
        {
            "user": users,
            "coin": st.sampled_from(COINS),
            "pick": st.integers(1, 10**12),
            "bad": st.integers(0, 19),
        }
    ),
    "withdraw": st.fixed_dictionaries(
        {"user": users, "coin": st.sampled_from(COINS), "percent": st.integers(0, 130)}
    ),
    "transfer": st.fixed_dictionaries(
        {
            "user": users,
            "coin": st.sampled_from(COINS),
            "percent": st.integers(1, 130),
            "way": st.sampled_from(TRANSFERS),
        }
    ),
    "set_frozen": st.fixed_dictionaries({"user": users, "freeze": st.integers(0, 3)}),
}


def norm(result: Any) -> Any:
    """The engine's result in the reference's shape."""
    if isinstance(result, BalanceUpdate | TransferRecord):
        return (OK, None)
    if type(result) is tuple:
        return tuple(norm(r) for r in result)
    if isinstance(result, Reject):
        return ("reject", result.code)
    if isinstance(result, OrderAck):
        return (OK, result.order_id)
    if isinstance(result, bool):
        return (OK, result)
    if isinstance(result, int):
        return (OK, result)
    raise AssertionError(f"unexpected result {result!r}")


def is_reject(outcome: Any) -> bool:
    return isinstance(outcome, tuple) and outcome[:1] == ("reject",)


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ex = Exchange(MARKETS)
        self.ref = RefExchange(MARKETS, FIRST_UID, FIRST_ORDER_ID)
        self.ts = T0
        self.uids: list[int] = []
        self.order_ids: list[int] = []  # every accepted order id
        for _ in range(3):
            outcome = self.step(CreateAccount(0))
            assert isinstance(outcome, tuple)
            uid = outcome[1]
            assert isinstance(uid, int)
            self.uids.append(uid)

    # -- the comparison ----------------------------------------------------------------
    def step(self, cmd: Command) -> Any:
        """Apply ``cmd`` to both sides and compare everything."""
        expected = self.ref.apply(cmd)
        ts = self.ts if is_reject(expected) else self.ts + 1
        cmd = _stamp(cmd, ts)
        before_hash = self.ex.state_hash()
        before = _engine_balances(self.ex)
        result, events = self.ex.apply(cmd)
        got = norm(result)
        assert got == expected, f"{cmd}: engine {result!r}, reference {expected!r}"
        self.ts = ts
        self.ex.check_invariants()
        assert all(getattr(e, "ts", ts) == ts for e in events)
        if is_reject(got):
            assert events == [], events
            assert self.ex.state_hash() == before_hash
        trades = [e for e in events if isinstance(e, Trade)]
        assert [_trade_key(t) for t in trades] == [
            (
                f.trade_id,
                f.taker_order_id,
                f.taker_uid,
                f.maker_order_id,
                f.maker_uid,
                f.price,
                f.qty,
                f.quote,
                f.taker_fee,
                f.maker_fee,
                f.self_trade,
            )
            for f in self.ref.fills
        ]
        finals: dict[int, tuple[Any, ...]] = {}
        maker_updates = []
        for e in events:
            if isinstance(e, OrderUpdate):
                finals[e.order_id] = (e.status, e.filled_qty, e.filled_quote)
                if e.maker:
                    maker_updates.append(e.order_id)
        assert finals == self.ref.touched
        assert maker_updates == [t.maker_order_id for t in trades]  # one per fill, in order
        next_bill = self.ex.ledger.next_bill_id
        legs = list(expand(events))
        _check_balance_events(before, legs, _engine_balances(self.ex))
        bill_ids = [e.bill_id for e in legs if isinstance(e, BalanceUpdate) and e.bill_id]
        # Bills are numbered by the ledger's counter, one after the other, none skipped.
        assert bill_ids == list(range(next_bill - len(bill_ids), next_bill))
        self.compare_state()
        _label(cmd, got, events)
        if isinstance(cmd, PlaceOrder):
            placed = [got]
        elif isinstance(cmd, PlaceBatch) and not is_reject(got):
            placed = list(got)
        else:
            placed = []
        self.order_ids.extend(r[1] for r in placed if r[0] == OK)
        return got

    def compare_state(self) -> None:
        ex, ref = self.ex, self.ref
        assert _engine_balances(ex) == ref.balances()
        assert {c: v for c, v in ex.ledger.fees.items() if v} == {
            c: v for c, v in ref.fees.items() if v
        }
        engine_open = sorted(
            (
                o.order_id,
                o.uid,
                o.symbol,
                o.side,
                o.price,
                o.quantity,
                o.remaining,
                o.hold,
                o.filled_qty,
                o.filled_quote,
                o.status,
                o.client_oid,
            )
            for o in ex.orders.values()
        )
        assert engine_open == ref.open_orders()
        for symbol in SYMBOLS:
            live = [o.order_id for o in ex.books[symbol].live_orders()]
            assert live == ref.book_order_ids(symbol), symbol

    # -- building commands -------------------------------------------------------------
    def uid(self, pick: int) -> int:
        return self.uids[pick] if pick < len(self.uids) else UNKNOWN_UID

    def order(self, uid: int, symbol: str, spec: tuple[Any, ...]) -> PlaceOrder:
        side, kind, off, qpick, bad, coid = spec
        otype, force = KINDS[kind]
        sym = MARKETS.symbols[symbol]
        lo, hi = LOTS[symbol]
        qty = lo + qpick % (hi - lo + 1)
        if qpick % 4 == 1:
            qty *= 4  # a big one, to sweep several levels
        price = CENTER[symbol] + off if otype is OrderType.LIMIT else 0
        one_lot = CENTER[symbol] * sym.notional_mult
        if otype is OrderType.MARKET and side is Side.BUY:
            # A quote budget of about ``qty`` lots plus some dust; sometimes exactly what the
            # whole ask side costs, or one unit more (book exhausted: full_fill / cancelled).
            qty = qty * one_lot + qpick % one_lot
            if qpick % 5 == 2:
                asks = self.ref.side_sorted(symbol, Side.SELL)
                qty = sum(self.ref.quote_of(sym, m.price, m.remaining) for m in asks)
                qty += (qpick // 5) % 2
        elif force is Force.FOK and qpick % 3 == 0:
            # Exactly the liquidity within the limit, or one lot more.
            makers = self.ref.side_sorted(symbol, Side.SELL if side is Side.BUY else Side.BUY)
            price_ok = (lambda p: p <= price) if side is Side.BUY else (lambda p: p >= price)
            qty = sum(m.remaining for m in makers if price_ok(m.price)) + (qpick // 3) % 2
        flaw = FLAWS[bad - OK_SPECS] if bad >= OK_SPECS else ""
        if flaw == "qty zero":
            qty = 0
        elif flaw == "qty negative":
            qty = -qty
        elif flaw == "price zero" and otype is OrderType.LIMIT:
            price = 0
        elif flaw == "price negative":
            price = -price
        elif flaw == "qty above max":
            qty = sym.max_trade + 1
        elif flaw == "qty below min":
            qty = sym.min_trade - 1 if sym.min_trade > 1 else 0
        elif flaw == "unknown symbol":
            symbol = "NOPE_SPBL"
        elif flaw == "tiny budget":
            qty = 1 + qpick % one_lot if side is Side.BUY else qty
        return PlaceOrder(0, uid, symbol, side, otype, force, price, qty, coid)

    # -- actions (plain methods: the regression tests call them directly) ---------------
    @initialize(
        picks=st.lists(st.integers(0, 10**12), min_size=12, max_size=12),
        ladder=st.lists(st.integers(0, 10**6), min_size=18, max_size=18),
    )
    def fund(self, picks: list[int], ladder: list[int]) -> None:
        """Every user starts with 0.5 to 1.5 times the usual deposit of every coin, and each
        book with three bid and three ask levels around its centre price."""
        it = iter(picks)
        for uid in self.uids:
            for coin, size in DEPOSIT.items():
                self.step(Deposit(0, uid, coin, size // 2 + next(it) % size))
        sizes = iter(ladder)
        for symbol in SYMBOLS:
            for level in (1, 2, 3):
                for side, off in ((Side.BUY, -level), (Side.SELL, level)):
                    spec = (side, 0, off, next(sizes), 0, "")
                    self.place(level % 3, symbol, spec)

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """One weighted random action. (A single rule, so that Hypothesis' per-example rule
        selection cannot switch placements off.)"""
        name = data.draw(st.sampled_from(ACTIONS), label="action")
        kwargs = data.draw(ACTION_ARGS[name], label=name)
        getattr(self, name)(**kwargs)

    def deposit(self, user: int, coin: str, pick: int, bad: int) -> None:
        amount = 1 + pick % DEPOSIT[coin]
        if bad == 18:
            amount = 0
        elif bad == 19:
            coin = "DOGE"
        self.step(Deposit(0, self.uid(user), coin, amount))

    def withdraw(self, user: int, coin: str, percent: int) -> None:
        uid = self.uid(user)
        avail = self.ref.avail.get((uid, coin), 0)
        self.step(Withdraw(0, uid, coin, avail * percent // 100))

    def transfer(self, user: int, coin: str, percent: int, way: tuple[str, str]) -> None:
        uid = self.uid(user)
        avail = self.ref.avail.get((uid, coin), 0)
        amount = max(avail * percent // 100, 1)
        self.step(Transfer(0, uid, coin, amount, way[0], way[1]))

    def set_frozen(self, user: int, freeze: int) -> None:
        self.step(SetUserFrozen(0, self.uid(user), freeze == 3))

    def place(self, user: int, symbol: str, spec: tuple[Any, ...]) -> None:
        self.step(self.order(self.uid(user), symbol, spec))

    def place_batch(self, user: int, entries: Sequence[tuple[Any, ...]], oversize: int) -> None:
        """Entries are (symbol, spec, foreign); foreign == 9 claims another user's order."""
        uid = self.uid(user)
        orders = [
            self.order(self.uid((user + 1) % 3) if foreign == 9 else uid, symbol, spec)
            for symbol, spec, foreign in entries
        ]
        if oversize == 9 and orders:
            orders = (orders * 51)[:51]
        self.step(PlaceBatch(0, uid, tuple(orders)))

    def cancel(self, user: int, pick: int, how: int, symbol: str, coid: str) -> None:
        """how: 0-1 any known order as given, 2-6 an open order by its owner with its symbol,
        7 an id that never existed, 8-9 by clientOrderId (or neither id when it is "")."""
        uid = self.uid(user)
        oid = self.pick_order(pick)
        if 2 <= how <= 6 and oid in self.ex.orders:
            uid, symbol = self.ex.orders[oid].uid, self.ex.orders[oid].symbol
        elif how == 7:
            oid = 12345
        elif how >= 8:
            oid = 0
        self.step(CancelOrder(0, uid, symbol, oid, coid if how >= 8 else ""))

    def cancel_batch(self, user: int, picks: list[int], symbol: str, oversize: int) -> None:
        ids = [self.pick_order(t) for t in picks]
        if oversize == 9:
            ids = [*ids, 1] * 51
        self.step(CancelBatch(0, self.uid(user), symbol, tuple(ids)))

    def pick_order(self, target: int) -> int:
        """An order id: mostly an open one, else any accepted one (finished ones too)."""
        open_ids = sorted(self.ex.orders)
        if open_ids and target % 4:
            return open_ids[target % len(open_ids)]
        if self.order_ids:
            return self.order_ids[target % len(self.order_ids)]
        return 0

    @invariant()
    def invariants_hold(self) -> None:
        self.ex.check_invariants()


def _label(cmd: Command, got: Any, events: Sequence[Event]) -> None:
    """Coverage labels (see ``pytest --hypothesis-show-statistics``)."""
    if not currently_in_test_context():
        return
    outcomes = got if isinstance(cmd, PlaceBatch | CancelBatch) and not is_reject(got) else [got]
    for r in outcomes:
        if is_reject(r):
            event(f"{type(cmd).__name__} rejected {r[1]}")
    if isinstance(cmd, PlaceOrder) and not is_reject(got):
        final = [e for e in events if isinstance(e, OrderUpdate) and e.order_id == got[1]][-1]
        kind = "market" if cmd.order_type is OrderType.MARKET else cmd.force.wire
        n = sum(isinstance(e, Trade) for e in events)
        event(f"{kind} {cmd.side.wire} -> {final.status.wire}, fills {min(n, 3)}")


def _stamp(cmd: Command, ts: int) -> Command:
    if isinstance(cmd, PlaceBatch):
        return cmd._replace(ts=ts, orders=tuple(o._replace(ts=ts) for o in cmd.orders))
    return cmd._replace(ts=ts)  # type: ignore[return-value]


def _trade_key(t: Trade) -> tuple[Any, ...]:
    return (
        t.trade_id,
        t.taker_order_id,
        t.taker_uid,
        t.maker_order_id,
        t.maker_uid,
        t.price,
        t.qty,
        t.quote,
        t.taker_fee,
        t.maker_fee,
        t.self_trade,
    )


def _engine_balances(ex: Exchange) -> dict[tuple[int, str], tuple[int, int]]:
    out: dict[tuple[int, str], tuple[int, int]] = {}
    for uid, acct in ex.accounts.items():
        for coin, b in acct.balances.items():
            assert b.locked == 0
            if (b.available, b.frozen) != (0, 0):
                out[(uid, coin)] = (b.available, b.frozen)
    return out


def _check_balance_events(
    before: dict[tuple[int, str], tuple[int, int]],
    events: Sequence[Event],
    after: dict[tuple[int, str], tuple[int, int]],
) -> None:
    """Balance events, replayed over the old balances, give the new ones; bills add up."""
    running = dict(before)
    for e in events:
        if not isinstance(e, BalanceUpdate):
            continue
        key = (e.uid, e.coin)
        avail, frozen = running.get(key, (0, 0))
        assert (e.available, e.frozen) == (avail + e.d_available, frozen + e.d_frozen), e
        if e.bill_id:
            assert e.bill_qty == e.d_available + e.d_frozen, e
            assert e.balance_before == avail + frozen, e
        else:
            assert e.d_available == -e.d_frozen, e  # freeze and release only move money
        running[key] = (e.available, e.frozen)
    assert {k: v for k, v in running.items() if v != (0, 0)} == after


ExchangeMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
TestExchangeModel = ExchangeMachine.TestCase


# -- regression tests: shrunk failures, replayed step by step -----------------------------


def run_steps(steps: Sequence[tuple[str, dict[str, Any]]]) -> ExchangeMachine:
    """Replay rule calls (name, kwargs) on a fresh machine, checking after each."""
    m = ExchangeMachine()
    for name, kwargs in steps:
        getattr(m, name)(**kwargs)
        m.invariants_hold()
    return m


def _spec(
    side: Side, kind: int, off: int = 0, qpick: int = 0, bad: int = 0, coid: str = ""
) -> tuple[Any, ...]:
    return (side, kind, off, qpick, bad, coid)


def test_model_replay_detects_a_broken_reference() -> None:
    """The comparison is not a tautology: a reference that charges no fees is caught."""
    m = ExchangeMachine()
    m.deposit(user=0, coin="BTC", pick=10**6, bad=0)
    m.deposit(user=1, coin="USDT", pick=10**10, bad=0)
    m.place(user=0, symbol=BTC, spec=_spec(Side.SELL, 0, qpick=100))
    m.ref.fee = lambda amount, rate: 0  # type: ignore[method-assign]
    try:
        m.place(user=1, symbol=BTC, spec=_spec(Side.BUY, 0, off=1, qpick=100))
    except AssertionError:
        return
    raise AssertionError("a reference without fees went unnoticed")


def test_regression_market_buy_ends_full_fill_when_budget_stops_it() -> None:
    run_steps(
        [
            ("deposit", {"user": 0, "coin": "BTC", "pick": 10**6, "bad": 0}),
            ("deposit", {"user": 1, "coin": "USDT", "pick": 10**9, "bad": 0}),
            ("place", {"user": 0, "symbol": BTC, "spec": _spec(Side.SELL, 0, qpick=500)}),
            ("place", {"user": 0, "symbol": BTC, "spec": _spec(Side.SELL, 0, off=2, qpick=500)}),
            ("place", {"user": 1, "symbol": BTC, "spec": _spec(Side.BUY, 4, qpick=9 * 10**8)}),
        ]
    )


def test_regression_cancel_partial_then_refill_same_level() -> None:
    run_steps(
        [
            ("deposit", {"user": 0, "coin": "BTC", "pick": 10**6, "bad": 0}),
            ("deposit", {"user": 1, "coin": "USDT", "pick": 10**10, "bad": 0}),
            ("place", {"user": 0, "symbol": BTC, "spec": _spec(Side.SELL, 0, qpick=100)}),
            ("place", {"user": 0, "symbol": BTC, "spec": _spec(Side.SELL, 0, qpick=200)}),
            ("place", {"user": 1, "symbol": BTC, "spec": _spec(Side.BUY, 2, qpick=50)}),
            ("cancel", {"user": 0, "pick": 0, "how": 2, "symbol": "", "coid": ""}),
            ("place", {"user": 0, "symbol": BTC, "spec": _spec(Side.SELL, 0, qpick=10)}),
            ("place", {"user": 1, "symbol": BTC, "spec": _spec(Side.BUY, 0, qpick=2000)}),
        ]
    )


def test_regression_batch_reuses_client_oid_of_a_rejected_entry() -> None:
    """Shrunk from the model: the first entry (clientOrderId "a") is rejected, so the second
    one with "a" must be placed, as two separate placements would be."""
    run_steps(
        [
            ("fund", {"picks": [0] * 12, "ladder": [0] * 18}),
            (
                "place_batch",
                {
                    "user": 0,
                    "entries": [
                        (BTC, _spec(Side.BUY, 0, bad=OK_SPECS, coid="a"), 0),
                        (BTC, _spec(Side.BUY, 0, coid="a"), 0),
                    ],
                    "oversize": 0,
                },
            ),
        ]
    )


def test_deep_level_keeps_time_priority_through_partial_sweeps() -> None:
    """One ask level with 120 orders, some cancelled, consumed by buys that each take a few
    of them and leave the level standing, then refilled and swept: exercises a level queue
    whose head moves far and is compacted, against the reference at every step."""
    m = ExchangeMachine()
    for _ in range(3):
        for user, coin in ((0, "BTC"), (1, "USDT"), (2, "BTC")):
            m.deposit(user=user, coin=coin, pick=DEPOSIT[coin] - 1, bad=0)
    for i in range(120):
        m.place(user=0 if i % 3 else 2, symbol=BTC, spec=_spec(Side.SELL, 0, off=1, qpick=i * 8))
    for pick in (3, 10, 11, 40, 77, 100):
        m.cancel(user=0, pick=pick, how=2, symbol="", coid="")
    level = m.ex.books[BTC].asks[CENTER[BTC] + 1]
    heads = []
    for _ in range(16):
        m.place(user=1, symbol=BTC, spec=_spec(Side.BUY, 0, off=1, qpick=2_800))
        m.invariants_hold()
        heads.append(level.head)
    assert max(heads) > 32 and min(heads[heads.index(max(heads)) :]) < max(heads)  # compacted
    for i in range(10):
        m.place(user=0, symbol=BTC, spec=_spec(Side.SELL, 0, off=1, qpick=i * 4))
    m.place(user=1, symbol=BTC, spec=_spec(Side.BUY, 0, off=3, qpick=2_900 + 4 * 500))
    m.invariants_hold()
