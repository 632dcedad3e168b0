"""Seeded command streams and runtime helpers for the durability tests.

:func:`make_commands` builds a random but valid-looking stream of engine commands of every
kind (accounts, API keys, deposits, withdrawals, transfers, limit orders of every force,
market orders, batches, cancels by id and by client oid, batch cancels, listen keys, user
freezes), including some that the engine rejects. It drives its own :class:`Exchange` while
generating, so that cancels name orders that really rest on the book. Every command carries
its own timestamp; :class:`KeepTs` is a runtime that keeps it, so a stream gives the same
state however it is split across restarts.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

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
from openweex.domain.markets import default_markets
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import Exchange
from openweex.runtime import Runtime

MARKETS = default_markets()
T0 = 1_700_000_000_000
FIRST_UID = 10001
FUNDS = {"USDT": 10**14, "BTC": 10**10, "ETH": 10**11, "SOL": 10**13}
MIDS = {"BTCUSDT_SPBL": 3_000_000, "ETHUSDT_SPBL": 200_000, "SOLUSDT_SPBL": 100_000}
MIDS["ETHBTC_SPBL"] = 6_667


class KeepTs(Runtime):
    """A runtime that keeps the timestamp already in each command (deterministic tests)."""

    def stamp_at(self, cmd: Command, ts: int) -> Command:
        return cmd


class _Gen:
    def __init__(self, seed: int, users: int) -> None:
        self.rnd = random.Random(seed)
        self.ex = Exchange(MARKETS)
        self.users = [FIRST_UID + i for i in range(users)]
        self.ts = T0
        self.out: list[Command] = []
        self.coid = 0
        self.listen_keys: list[tuple[int, str]] = []

    def emit(self, cmd: Any) -> None:
        self.out.append(cmd)
        self.ex.apply(cmd)

    def tick(self) -> int:
        self.ts += self.rnd.choice((0, 1, 1, 7, 1000))
        return self.ts

    def order(self, uid: int, symbol: str | None = None) -> PlaceOrder:
        rnd = self.rnd
        symbol = symbol or rnd.choice(list(MIDS))
        sym = MARKETS.symbols[symbol]
        side = rnd.choice((Side.BUY, Side.SELL))
        qty = sym.min_trade * rnd.randint(1, 40)
        coid = ""
        if rnd.random() < 0.3:
            self.coid += 1
            coid = f"c{self.coid - rnd.choice((0, 0, 0, 1))}"  # a few duplicates
        if rnd.random() < 0.12:
            if side is Side.BUY:
                qty = MIDS[symbol] * qty * sym.notional_mult
            return PlaceOrder(
                self.ts, uid, symbol, side, OrderType.MARKET, Force.NORMAL, 0, qty, coid
            )
        force = rnd.choice((Force.NORMAL,) * 6 + (Force.POST_ONLY, Force.IOC, Force.FOK))
        off = rnd.randint(-3, 30)
        price = MIDS[symbol] - off if side is Side.BUY else MIDS[symbol] + off
        return PlaceOrder(self.ts, uid, symbol, side, OrderType.LIMIT, force, price, qty, coid)

    def cancel(self, uid: int) -> Command:
        rnd = self.rnd
        mine = [o for o in self.ex.orders.values() if o.uid == uid]
        if not mine or rnd.random() < 0.05:
            return CancelOrder(self.ts, uid, "BTCUSDT_SPBL", 999, "")  # unknown order
        if rnd.random() < 0.15:
            picks = rnd.sample(mine, min(len(mine), rnd.randint(1, 4)))
            ids = tuple(o.order_id for o in picks if o.symbol == picks[0].symbol)
            return CancelBatch(self.ts, uid, picks[0].symbol, ids)
        o = rnd.choice(mine)
        if o.client_oid and rnd.random() < 0.5:
            return CancelOrder(self.ts, uid, o.symbol, 0, o.client_oid)
        return CancelOrder(self.ts, uid, o.symbol, o.order_id, "")

    def funds(self, uid: int) -> Command:
        rnd = self.rnd
        coin = rnd.choice(list(FUNDS))
        amount = FUNDS[coin] // rnd.choice((1000, 100, 10, 1)) + rnd.randint(1, 99)
        kind = rnd.random()
        if kind < 0.4:
            return Deposit(self.ts, uid, coin, amount)
        if kind < 0.7:
            return Withdraw(self.ts, uid, coin, amount)
        if rnd.random() < 0.5:
            return Transfer(self.ts, uid, coin, amount, "SPOT", "FUNDING")
        return Transfer(self.ts, uid, coin, amount, "funding", "spot")

    def listen(self, uid: int) -> Command:
        rnd = self.rnd
        if self.listen_keys and rnd.random() < 0.6:
            owner, key = rnd.choice(self.listen_keys)
            if rnd.random() < 0.5:
                return KeepAliveListenKey(self.ts, owner, key)
            self.listen_keys.remove((owner, key))
            return DeleteListenKey(self.ts, owner, key)
        key = f"lk-{len(self.out)}"
        self.listen_keys.append((uid, key))
        return CreateListenKey(self.ts, uid, key)

    def step(self) -> None:
        rnd = self.rnd
        uid = rnd.choice(self.users)
        self.tick()
        r = rnd.random()
        if r < 0.55:
            self.emit(self.order(uid))
        elif r < 0.80:
            self.emit(self.cancel(uid))
        elif r < 0.86:
            orders = tuple(self.order(uid, "SOLUSDT_SPBL") for _ in range(rnd.randint(1, 5)))
            self.emit(PlaceBatch(self.ts, uid, orders))
        elif r < 0.93:
            self.emit(self.funds(uid))
        elif r < 0.98:
            self.emit(self.listen(uid))
        else:
            self.emit(SetUserFrozen(self.ts, uid, True))
            self.emit(self.order(uid))  # rejected: the user is frozen
            self.emit(SetUserFrozen(self.ts, uid, False))


def make_commands(n: int, seed: int = 1, users: int = 6) -> list[Command]:
    """About ``n`` commands: setup of ``users`` funded accounts, then random traffic."""
    gen = _Gen(seed, users)
    for uid in gen.users:
        gen.emit(CreateAccount(gen.ts))
        gen.emit(CreateApiKey(gen.ts, uid, f"key-{uid}", "s" * 8, "pass", (), ()))
        for coin, amount in FUNDS.items():
            gen.emit(Deposit(gen.ts, uid, coin, amount))
    while len(gen.out) < n:
        gen.step()
    return gen.out[:n]


def expected_hash(cmds: Sequence[Command]) -> str:
    """The state hash of a plain exchange that applied ``cmds`` (the oracle)."""
    ex = Exchange(MARKETS)
    for cmd in cmds:
        ex.apply(cmd)
    ex.check_invariants()
    return ex.state_hash()


async def submit_all(rt: Runtime, cmds: Sequence[Command], seed: int = 0) -> None:
    """Submit ``cmds`` in order, in concurrent groups of random size (group commit)."""
    rnd = random.Random(seed)
    i = 0
    while i < len(cmds):
        size = rnd.choice((1, 1, 2, 5, 20, 64))
        await asyncio.gather(*(rt.submit(cmd) for cmd in cmds[i : i + size]))
        i += size


@asynccontextmanager
async def running(data_dir: Path, **kwargs: Any) -> AsyncIterator[KeepTs]:
    """A running runtime; a clean shutdown (drain + final snapshot) on exit."""
    rt = KeepTs.open(data_dir, MARKETS, **kwargs)
    assert isinstance(rt, KeepTs)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(rt.run())
        try:
            yield rt
        finally:
            await rt.close()
    await rt.finish()


@asynccontextmanager
async def crashing(data_dir: Path, **kwargs: Any) -> AsyncIterator[KeepTs]:
    """A running runtime that stops like a crash after the last acknowledged command:
    the queue is drained but no final snapshot is written."""
    rt = KeepTs.open(data_dir, MARKETS, **kwargs)
    assert isinstance(rt, KeepTs)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(rt.run())
        try:
            yield rt
        finally:
            await rt.close()
    await asyncio.sleep(0)
    if rt._snapshot_task is not None:
        await asyncio.wait([rt._snapshot_task])
    rt.close_files()


def open_closed(data_dir: Path, **kwargs: Any) -> KeepTs:
    """Recover ``data_dir`` (not running); close with :func:`close`."""
    rt = KeepTs.open(data_dir, MARKETS, **kwargs)
    assert isinstance(rt, KeepTs)
    return rt


def close(rt: Runtime) -> None:
    rt.close_files()


def state_of(data_dir: Path, **kwargs: Any) -> tuple[str, dict[str, list[list[Any]]]]:
    """Recover ``data_dir``; return its state hash and read-model rows (invariants checked)."""
    rt = open_closed(data_dir, **kwargs)
    try:
        rt.exchange.check_invariants()
        assert rt.store.applied_seq() == rt.applied_seq
        return rt.exchange.state_hash(), rt.store.export_rows()
    finally:
        close(rt)


def copy_dir(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("LOCK"))
    return dst
