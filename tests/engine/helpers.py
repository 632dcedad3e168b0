"""Concise builders for engine tests: named users, decimal strings in, ints out.

A :class:`Harness` wraps one :class:`Exchange` on the default markets. Users are referred to
by name; prices, quantities and balances are written as decimal strings on the symbol's or
coin's scale ("100.01", "0.000123") and converted exactly (an off-scale string is a bug in
the test and raises). Every applied command is followed by ``check_invariants()``.

Time: every successful action advances the clock by one millisecond. :meth:`Harness.reject`
builds its command with the CURRENT time (no tick), so that it can demand an unchanged
``state_hash``; a dedicated test in ``test_rejections.py`` covers a rejected command that
arrives with a newer timestamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openweex.domain.commands import (
    CancelBatch,
    CancelOrder,
    Command,
    CreateAccount,
    Deposit,
    PlaceBatch,
    PlaceOrder,
    SetUserFrozen,
    Withdraw,
)
from openweex.domain.errors import Reject
from openweex.domain.events import BalanceUpdate, Event, OrderUpdate, Trade
from openweex.domain.markets import Markets, default_markets
from openweex.domain.values import Force, OrderType, Side, format_units, parse_units
from openweex.engine.exchange import Exchange
from openweex.engine.trading import OrderAck

MARKETS = default_markets()
BTC = "BTCUSDT_SPBL"
ETH = "ETHUSDT_SPBL"
SOL = "SOLUSDT_SPBL"
ETHBTC = "ETHBTC_SPBL"
T0 = 1_700_000_000_000

SIDE = {"buy": Side.BUY, "sell": Side.SELL}
FORCE = {
    "normal": Force.NORMAL,
    "post_only": Force.POST_ONLY,
    "ioc": Force.IOC,
    "fok": Force.FOK,
}


def units(text: str, scale: int) -> int:
    """Exact int of ``10**-scale`` units; raises on anything off-scale (a test bug)."""
    neg = text.startswith("-")
    value = parse_units(text.removeprefix("-"), scale, "test value")
    if isinstance(value, Reject):
        raise ValueError(f"{text!r} is not on scale {scale}: {value.msg}")
    return -value if neg else value


def coin_units(coin: str, text: str, markets: Markets = MARKETS) -> int:
    return units(text, markets.coins[coin].scale)


def ticks(symbol: str, text: str, markets: Markets = MARKETS) -> int:
    return units(text, markets.symbols[symbol].price_scale)


def lots(symbol: str, text: str, markets: Markets = MARKETS) -> int:
    return units(text, markets.symbols[symbol].quantity_scale)


def fmt_coin(coin: str, value: int, markets: Markets = MARKETS) -> str:
    return format_units(value, markets.coins[coin].scale)


def trades_of(events: Sequence[Event]) -> list[Trade]:
    return [e for e in events if isinstance(e, Trade)]


def final_updates(events: Sequence[Event]) -> dict[int, OrderUpdate]:
    """The last OrderUpdate of every order that appears in ``events``."""
    out: dict[int, OrderUpdate] = {}
    for e in events:
        if isinstance(e, OrderUpdate):
            out[e.order_id] = e
    return out


class Harness:
    """One exchange, named users, exact decimal-string helpers."""

    def __init__(self, markets: Markets = MARKETS) -> None:
        self.markets = markets
        self.ex = Exchange(markets)
        self.ts = T0
        self.uids: dict[str, int] = {}

    # -- plumbing ------------------------------------------------------------------------
    def tick(self) -> int:
        self.ts += 1
        return self.ts

    def run(self, cmd: Command) -> tuple[Any, list[Event]]:
        result, events = self.ex.apply(cmd)
        self.ex.check_invariants()
        return result, events

    def uid(self, name: str) -> int:
        return self.uids[name]

    # -- accounts and funds --------------------------------------------------------------
    def user(self, name: str, **funds: str) -> int:
        uid, _ = self.run(CreateAccount(self.tick()))
        assert isinstance(uid, int)
        self.uids[name] = uid
        for coin, amount in funds.items():
            self.deposit(name, coin, amount)
        return uid

    def deposit(self, name: str, coin: str, amount: str) -> None:
        cmd = Deposit(self.tick(), self.uid(name), coin, coin_units(coin, amount, self.markets))
        result, _ = self.run(cmd)
        assert isinstance(result, BalanceUpdate), result

    def withdraw_cmd(self, name: str, coin: str, amount: int) -> Withdraw:
        return Withdraw(self.ts, self.uid(name), coin, amount)

    def freeze_user(self, name: str, frozen: bool = True) -> None:
        result, _ = self.run(SetUserFrozen(self.tick(), self.uid(name), frozen))
        assert result is frozen

    def balance(self, name: str, coin: str) -> tuple[int, int]:
        """(available, frozen) in coin units; (0, 0) for a coin never touched."""
        b = self.ex.accounts[self.uid(name)].balances.get(coin)
        return (b.available, b.frozen) if b is not None else (0, 0)

    # -- orders --------------------------------------------------------------------------
    def order_cmd(
        self,
        name: str,
        side: str,
        price: str | None,
        qty: str,
        symbol: str = BTC,
        force: str = "normal",
        coid: str = "",
    ) -> PlaceOrder:
        """A PlaceOrder at the current time. ``price=None`` makes a market order; then
        ``qty`` is in quote-coin units for a buy and in lots for a sell."""
        sym = self.markets.symbols[symbol]
        if price is None:
            amount = (
                coin_units(sym.quote, qty, self.markets)
                if side == "buy"
                else lots(symbol, qty, self.markets)
            )
            return PlaceOrder(
                self.ts,
                self.uid(name),
                symbol,
                SIDE[side],
                OrderType.MARKET,
                Force.NORMAL,
                0,
                amount,
                coid,
            )
        return PlaceOrder(
            self.ts,
            self.uid(name),
            symbol,
            SIDE[side],
            OrderType.LIMIT,
            FORCE[force],
            ticks(symbol, price, self.markets),
            lots(symbol, qty, self.markets),
            coid,
        )

    def place(
        self,
        name: str,
        side: str,
        price: str | None,
        qty: str,
        symbol: str = BTC,
        force: str = "normal",
        coid: str = "",
    ) -> tuple[OrderAck, list[Event]]:
        """Place an order that must be accepted; returns its ack and events."""
        self.tick()
        result, events = self.run(self.order_cmd(name, side, price, qty, symbol, force, coid))
        assert isinstance(result, OrderAck), result
        return result, events

    def limit(
        self,
        name: str,
        side: str,
        price: str,
        qty: str,
        symbol: str = BTC,
        force: str = "normal",
        coid: str = "",
    ) -> int:
        """Place an accepted limit order; returns its order id."""
        ack, _ = self.place(name, side, price, qty, symbol, force, coid)
        return ack.order_id

    def cancel(
        self, name: str, order_id: int = 0, coid: str = "", symbol: str = BTC
    ) -> tuple[Any, list[Event]]:
        return self.run(CancelOrder(self.tick(), self.uid(name), symbol, order_id, coid))

    def cancel_cmd(
        self, name: str, order_id: int = 0, coid: str = "", symbol: str = BTC
    ) -> CancelOrder:
        """A CancelOrder at the current time (for :meth:`reject`)."""
        return CancelOrder(self.ts, self.uid(name), symbol, order_id, coid)

    def batch(self, name: str, orders: Sequence[PlaceOrder]) -> tuple[Any, list[Event]]:
        return self.run(PlaceBatch(self.tick(), self.uid(name), tuple(orders)))

    def cancel_batch(
        self, name: str, order_ids: Sequence[int], symbol: str = BTC
    ) -> tuple[Any, list[Event]]:
        return self.run(CancelBatch(self.tick(), self.uid(name), symbol, tuple(order_ids)))

    def status(self, order_id: int) -> str | None:
        """REST status of an OPEN order, None when it is not open."""
        o = self.ex.orders.get(order_id)
        return o.status.wire if o is not None else None

    def book(self, symbol: str = BTC) -> dict[str, list[tuple[int, int]]]:
        b = self.ex.books[symbol]
        return {"bids": b.levels(Side.BUY, 1000), "asks": b.levels(Side.SELL, 1000)}

    def book_of(
        self, symbol: str, bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]]
    ) -> dict[str, list[tuple[int, int]]]:
        """An expected book written in decimal strings, in the shape of :meth:`book`."""

        def conv(levels: Sequence[tuple[str, str]]) -> list[tuple[int, int]]:
            return [
                (ticks(symbol, p, self.markets), lots(symbol, q, self.markets)) for p, q in levels
            ]

        return {"bids": conv(bids), "asks": conv(asks)}

    # -- rejections ----------------------------------------------------------------------
    def reject(self, cmd: Command, code: str) -> Reject:
        """Apply ``cmd`` (stamped with the current time) and demand a rejection with
        ``code`` that changes nothing and emits nothing."""
        assert cmd.ts <= self.ex.last_ts, "reject() wants a command at the current time"
        before_hash = self.ex.state_hash()
        before_orders = {oid: _order_tuple(o) for oid, o in self.ex.orders.items()}
        result, events = self.run(cmd)
        assert isinstance(result, Reject), f"expected {code}, got {result!r}"
        assert result.code == code, f"expected {code}, got {result!r}"
        assert events == [], events
        assert {oid: _order_tuple(o) for oid, o in self.ex.orders.items()} == before_orders
        assert self.ex.state_hash() == before_hash, "a rejected command changed the state"
        return result


def _order_tuple(o: Any) -> tuple[Any, ...]:
    return (o.status, o.remaining, o.hold, o.filled_qty, o.filled_quote, o.price)
