"""State export and import, and determinism of the state hash.

* export_state -> Exchange.from_state gives the same state_hash (and passes the invariants);
* continuing the same command stream on the original and on the copy gives identical
  results, events and hashes after every command;
* the exported data survives a JSON round trip (snapshots are written as JSON);
* two fresh runs of the same commands give the same events and state_hash.

Command streams come from a seeded generator: accounts, deposits, withdrawals, transfers,
freezes, API and listen keys, placements of every kind (some invalid), batches and cancels,
with timestamps spread over hours so that market data rolls over candles.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from openweex.domain.commands import (
    CancelBatch,
    CancelOrder,
    Command,
    CreateAccount,
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
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import FIRST_ORDER_ID, FIRST_UID, Exchange
from openweex.engine.ledger import ApiKeyRecord

from .helpers import BTC, ETH, ETHBTC, MARKETS, SOL, T0

CENTER = {BTC: 1_000_000, ETH: 200_000, SOL: 20_000, ETHBTC: 5_000}
LOTS = {BTC: (100, 5_000), ETH: (100, 5_000), SOL: (10, 500), ETHBTC: (1, 500)}
FUNDS = {"USDT": 10**11, "BTC": 10**8, "ETH": 10**9, "SOL": 10**9}
USERS = 4


class Stream:
    """A seeded random command stream."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ts = T0
        self.orders = 0  # placements so far: an upper bound for order ids

    def uid(self) -> int:
        return FIRST_UID + self.rng.randrange(USERS)

    def next_ts(self) -> int:
        self.ts += self.rng.choice((0, 1, 7, 1_000, 45_000, 3_600_000))
        return self.ts

    def order(self, ts: int, uid: int) -> PlaceOrder:
        rng = self.rng
        self.orders += 1
        symbol = rng.choice((BTC, BTC, ETH, SOL, ETHBTC))
        side = rng.choice((Side.BUY, Side.SELL))
        otype = OrderType.MARKET if rng.random() < 0.2 else OrderType.LIMIT
        force = rng.choice((Force.NORMAL, Force.NORMAL, Force.POST_ONLY, Force.IOC, Force.FOK))
        lo, hi = LOTS[symbol]
        qty = rng.randint(lo, hi)
        price = CENTER[symbol] + rng.randint(-5, 5)
        if otype is OrderType.MARKET:
            price = 0
            if side is Side.BUY:
                qty = qty * CENTER[symbol] * MARKETS.symbols[symbol].notional_mult
        if rng.random() < 0.05:
            qty = 0  # invalid
        coid = rng.choice(("",) * 6 + ("c1", "c2", "c3", "bad id"))
        return PlaceOrder(ts, uid, symbol, side, otype, force, price, qty, coid)

    def command(self) -> Command:
        rng = self.rng
        ts = self.next_ts()
        uid = self.uid()
        roll = rng.random()
        if roll < 0.55:
            return self.order(ts, uid)
        if roll < 0.70:
            oid = FIRST_ORDER_ID + rng.randrange(self.orders + 1)
            coid = rng.choice(("", "c1", "c2"))
            return CancelOrder(ts, uid, rng.choice((BTC, "")), oid if not coid else 0, coid)
        if roll < 0.75:
            return PlaceBatch(ts, uid, tuple(self.order(ts, uid) for _ in range(rng.randint(0, 4))))
        if roll < 0.78:
            ids = tuple(FIRST_ORDER_ID + rng.randrange(self.orders + 1) for _ in range(3))
            return CancelBatch(ts, uid, "", ids)
        coin = rng.choice(tuple(FUNDS))
        amount = rng.randint(1, FUNDS[coin] // 10)
        if roll < 0.84:
            return Deposit(ts, uid, coin, amount)
        if roll < 0.88:
            return Withdraw(ts, uid, coin, amount)
        if roll < 0.91:
            way = rng.choice((("SPOT", "CONTRACT"), ("FUNDING", "SPOT"), ("SPOT", "SPOT")))
            return Transfer(ts, uid, coin, amount, *way)
        if roll < 0.93:
            return SetUserFrozen(ts, uid, rng.random() < 0.3)
        if roll < 0.95:
            key = f"key{rng.randrange(6)}"
            return CreateApiKey(ts, uid, key, "secret", "pass", ("SPOT_TRADE",), ("127.0.0.1",))
        key = f"lk{rng.randrange(4)}"
        maker = rng.choice((CreateListenKey, KeepAliveListenKey, DeleteListenKey))
        return maker(ts, uid, key)

    def commands(self, n: int) -> list[Command]:
        out: list[Command] = [CreateAccount(self.next_ts()) for _ in range(USERS)]
        for i in range(USERS):
            for coin, amount in FUNDS.items():
                out.append(Deposit(self.next_ts(), FIRST_UID + i, coin, amount))
        out.extend(self.command() for _ in range(n))
        return out


# Spelled out: a compiled (mypyc) ApiKeyRecord has no __slots__ to read them from.
KEY_FIELDS = ("api_key", "uid", "secret", "passphrase", "permissions", "ip_whitelist", "ctime")


def plain(outcome: tuple[Any, list[Any]]) -> tuple[Any, list[Any]]:
    """An apply() outcome in comparable form (API key records have no equality)."""
    result, events = outcome
    if isinstance(result, ApiKeyRecord):
        result = ("api-key", *(getattr(result, name) for name in KEY_FIELDS))
    return result, events


def apply(ex: Exchange, cmd: Command) -> tuple[Any, list[Any]]:
    return plain(ex.apply(cmd))


def run(commands: list[Command], ex: Exchange | None = None) -> tuple[Exchange, list[Any]]:
    ex = ex or Exchange(MARKETS)
    log = [apply(ex, cmd) for cmd in commands]
    ex.check_invariants()
    return ex, log


SEEDS = range(8)


def test_streams_do_trade() -> None:
    """The generator is not idle: its streams fill, cancel and reject."""
    _, log = run(Stream(0).commands(600))
    kinds = [type(e).__name__ for _, events in log for e in events]
    assert kinds.count("Trade") > 50
    assert kinds.count("TransferRecord") > 0
    assert sum(1 for r, _ in log if type(r).__name__ == "Reject") > 20


@pytest.mark.parametrize("seed", SEEDS)
def test_export_import_then_continue_identically(seed: int) -> None:
    stream = Stream(seed)
    commands = stream.commands(500)
    cut = 100 + seed * 40
    ex, _ = run(commands[:cut])
    data = ex.export_state()
    copy = Exchange.from_state(MARKETS, data)
    copy.check_invariants()
    assert copy.export_state() == data
    assert copy.state_hash() == ex.state_hash()
    for cmd in commands[cut:]:
        a, b = apply(ex, cmd), apply(copy, cmd)
        assert a == b, cmd
        assert ex.state_hash() == copy.state_hash(), cmd
    ex.check_invariants()
    copy.check_invariants()


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_export_survives_json_round_trip(seed: int) -> None:
    ex, _ = run(Stream(seed).commands(400))
    data = ex.export_state()
    text = json.dumps(data, sort_keys=True)
    copy = Exchange.from_state(MARKETS, json.loads(text))
    assert copy.state_hash() == ex.state_hash()
    tail = Stream(seed + 100)
    tail.ts = ex.last_ts
    tail.orders = ex.next_order_id - FIRST_ORDER_ID
    for cmd in [tail.command() for _ in range(200)]:
        assert apply(ex, cmd) == apply(copy, cmd)
    assert copy.state_hash() == ex.state_hash()


def test_import_rebuilds_queues_in_time_priority() -> None:
    """Two orders at one price: after a restore the older one still fills first."""
    ex = Exchange(MARKETS)
    a, _ = ex.apply(CreateAccount(1))
    b, _ = ex.apply(CreateAccount(2))
    assert isinstance(a, int) and isinstance(b, int)
    ex.apply(Deposit(3, a, "BTC", 10**8))
    ex.apply(Deposit(4, b, "USDT", 10**11))
    first, _ = ex.apply(
        PlaceOrder(5, a, BTC, Side.SELL, OrderType.LIMIT, Force.NORMAL, 100, 500, "")
    )
    second, _ = ex.apply(
        PlaceOrder(6, a, BTC, Side.SELL, OrderType.LIMIT, Force.NORMAL, 100, 500, "")
    )
    # Partly fill the first one, then cancel nothing: its remaining keeps its place.
    ex.apply(PlaceOrder(7, b, BTC, Side.BUY, OrderType.LIMIT, Force.IOC, 100, 200, ""))
    copy = Exchange.from_state(MARKETS, ex.export_state())
    cmd = PlaceOrder(8, b, BTC, Side.BUY, OrderType.LIMIT, Force.IOC, 100, 400, "")
    (_, events_a), (_, events_b) = ex.apply(cmd), copy.apply(cmd)
    assert events_a == events_b
    makers = [e.maker_order_id for e in events_b if type(e).__name__ == "Trade"]
    assert makers == [first.order_id, second.order_id]  # type: ignore[union-attr]


def test_state_hash_is_deterministic_across_fresh_runs() -> None:
    commands = Stream(42).commands(800)
    ex1, log1 = run(commands)
    ex2, log2 = run(commands)
    assert log1 == log2
    assert ex1.state_hash() == ex2.state_hash()
    assert ex1.export_state() == ex2.export_state()


def test_state_hash_moves_with_every_change() -> None:
    """The hash is not constant: every command that emits events moves it."""
    ex = Exchange(MARKETS)
    last = ex.state_hash()
    moved = 0
    for cmd in Stream(3).commands(300):
        _, events = ex.apply(cmd)
        now = ex.state_hash()
        if events:
            assert now != last, cmd
            moved += 1
        last = now
    assert moved > 150


def test_different_streams_give_different_hashes() -> None:
    ex1, _ = run(Stream(1).commands(300))
    ex2, _ = run(Stream(2).commands(300))
    assert ex1.state_hash() != ex2.state_hash()


def test_import_refuses_unknown_version() -> None:
    data = Exchange(MARKETS).export_state()
    data["version"] = 999
    with pytest.raises(ValueError):
        Exchange.from_state(MARKETS, data)
