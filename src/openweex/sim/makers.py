"""Market makers: a post-only ladder on each side around the reference price.

A maker is an ordinary account (funded by deposits) that trades through ordinary commands.
Each refresh it computes the ladder it wants from the reference price and its inventory,
compares it with its resting orders (read from the book) and emits at most three commands,
in this order: a deposit if it lacks the funds for the new orders, one ``CancelBatch`` for
the orders that left the ladder (or were filled below half a level), one ``PlaceBatch`` of
post-only limit orders for the missing levels. So a quiet market costs no commands at all.

The ladder. With ``half = ref x spread / 2`` and ``step = ref x level_step`` (in ticks, at
least one each), the centre is moved against the inventory by ``skew = -2 x half x
inventory / max_inventory`` (a long maker quotes lower, to sell). The best bid is
``centre - half`` rounded DOWN to a multiple of ``step``, the best ask ``centre + half``
rounded UP, so small moves of the reference leave the quotes where they are; further levels
are ``step`` apart. At ``inventory >= max_inventory`` the maker stops bidding, at
``<= -max_inventory`` it stops offering. Sizes are ``size`` lots with a seeded +-25%.

Inventory is measured against the funding target: ``inventory = base held - target`` with
``target = max_inventory + 2 x ladder``, which is also what a new maker is funded with (plus
quote worth twice as much at the start price). Changing ``size``, ``levels`` or
``max_inventory`` of an existing maker therefore moves its inventory.

Safety. Orders are post-only, so a maker never takes liquidity; a quote that would cross
another user's order is rejected by the engine and simply retried at the next refresh. The
maker cancels before it places, so it never crosses its own orders. A rejected command
changes nothing, so every rejection is harmless.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from openweex.domain.commands import CancelBatch, Command, Deposit, PlaceBatch, PlaceOrder
from openweex.domain.markets import Symbol
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.book import Order
from openweex.engine.exchange import Exchange
from openweex.sim.config import DEC, MakerConfig
from openweex.sim.prices import div_round

BUY = Side.BUY
SELL = Side.SELL
LIMIT = OrderType.LIMIT


@dataclass(frozen=True)
class Ladder:
    bids: tuple[int, ...]  # prices in ticks, best first
    asks: tuple[int, ...]


def ladder(cfg: MakerConfig, ref: int, inventory: int) -> Ladder:
    """The quotes wanted at reference ``ref`` (ticks) with ``inventory`` (lots)."""
    half = max(1, ref * cfg.spread // (2 * DEC))
    step = max(1, ref * cfg.level_step // DEC)
    limit = cfg.max_inventory
    inv = min(max(inventory, -limit), limit)
    centre = max(1, ref - div_round(2 * half * inv, limit))
    best_bid = (centre - half) // step * step
    best_ask = -(-(centre + half) // step) * step
    if best_ask <= best_bid:
        best_ask = best_bid + step
    bids: tuple[int, ...] = ()
    asks: tuple[int, ...] = ()
    if inventory < limit:
        bids = tuple(p for i in range(cfg.levels) if (p := best_bid - i * step) > 0)
    if inventory > -limit:
        asks = tuple(best_ask + i * step for i in range(cfg.levels))
    return Ladder(bids, asks)


def holdings(ex: Exchange, uid: int, coin: str) -> tuple[int, int]:
    """``(available, frozen)`` of a user's coin, zeros when it has none."""
    acct = ex.accounts.get(uid)
    bal = acct.balances.get(coin) if acct is not None else None
    return (bal.available, bal.frozen) if bal is not None else (0, 0)


class Maker:
    """The maker of one symbol; :meth:`step` is a pure function of its inputs and its rng."""

    def __init__(self, cfg: MakerConfig, sym: Symbol, uid: int, rng: random.Random) -> None:
        self.cfg = cfg
        self.sym = sym
        self.uid = uid
        self.rng = rng

    @property
    def target_base(self) -> int:
        """The base holding (lots) at which inventory is zero."""
        return self.cfg.max_inventory + 2 * self.cfg.ladder_lots

    def funding(self, ref: int) -> dict[str, int]:
        """What a new maker is given: the base target, and twice its value in quote."""
        sym = self.sym
        base = self.target_base
        return {sym.base: base * sym.base_mult, sym.quote: 2 * base * ref * sym.notional_mult}

    def inventory(self, ex: Exchange) -> int:
        """Base held (available + frozen, in whole lots) less the target."""
        avail, frozen = holdings(ex, self.uid, self.sym.base)
        return (avail + frozen) // self.sym.base_mult - self.target_base

    def _size(self) -> int:
        sym = self.sym
        lots = self.cfg.size * self.rng.randint(75, 125) // 100
        return min(max(lots, sym.min_trade, 1), sym.max_trade)

    def _diff(self, mine: list[Order], want: Ladder) -> tuple[list[int], list[tuple[Side, int]]]:
        """Orders to cancel (ids) and levels to fill ``(side, price)``, best first."""
        wanted = [(BUY, p) for p in want.bids] + [(SELL, p) for p in want.asks]
        wanted_set = set(wanted)
        kept: set[tuple[Side, int]] = set()
        cancel: list[int] = []
        for o in mine:
            key = (o.side, o.price)
            if key in wanted_set and key not in kept and 2 * o.remaining >= self.cfg.size:
                kept.add(key)
            else:
                cancel.append(o.order_id)
        return cancel, [k for k in wanted if k not in kept]

    def step(self, ex: Exchange, ref: int) -> list[Command]:
        """The commands of one refresh at reference price ``ref``."""
        sym = self.sym
        mine = [o for o in ex.books[sym.symbol].live_orders() if o.uid == self.uid]
        cancel, missing = self._diff(mine, ladder(self.cfg, ref, self.inventory(ex)))
        placed: list[PlaceOrder] = []
        for side, price in missing:
            lots = self._size()
            placed.append(
                PlaceOrder(0, self.uid, sym.symbol, side, LIMIT, Force.POST_ONLY, price, lots, "")
            )
        orders = tuple(placed)
        out: list[Command] = self._top_ups(ex, mine, cancel, orders, ref)
        if cancel:
            out.append(CancelBatch(0, self.uid, sym.symbol, tuple(cancel)))
        if orders:
            out.append(PlaceBatch(0, self.uid, orders))
        return out

    def _top_ups(
        self,
        ex: Exchange,
        mine: list[Order],
        cancel: list[int],
        orders: tuple[PlaceOrder, ...],
        ref: int,
    ) -> list[Command]:
        """Deposits that make the new orders affordable once the cancels released funds."""
        sym = self.sym
        gone = set(cancel)
        out: list[Command] = []
        for side, coin in ((BUY, sym.quote), (SELL, sym.base)):
            need = sum(_hold(sym, o) for o in orders if o.side is side)
            if need == 0:
                continue
            freed = sum(o.hold for o in mine if o.side is side and o.order_id in gone)
            short = need - holdings(ex, self.uid, coin)[0] - freed
            if short > 0:
                extra = self.funding(ref)[coin] // 4
                out.append(Deposit(0, self.uid, coin, short + extra))
        return out


def _hold(sym: Symbol, o: PlaceOrder) -> int:
    if o.side is BUY:
        return o.price * o.quantity * sym.notional_mult
    return o.quantity * sym.base_mult
