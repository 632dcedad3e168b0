"""Background takers: the order flow that makes trades, tickers and candles move.

Each tick, a symbol's taker acts with probability ``taker_probability``. It sends one
immediate-or-cancel limit order of about ``taker_size`` lots (a seeded 25% to 175%) at the
reference price plus (buy) or minus (sell) ``taker_slippage``: it takes what the book offers
within that bound, from makers or from any user, and never rests.

The side is drawn so that flows balance out: the chance to buy is the share of the taker's
own wealth held in quote (a taker that bought a lot tends to sell), tilted by up to a quarter
towards what the symbol's maker needs to get back to zero inventory, and kept within
5%..95%. When the taker lacks the funds for its order it first deposits what is missing
plus its initial funding of that coin (the sandbox faucet), so the flow never dries up.
"""

from __future__ import annotations

import random

from openweex.domain.commands import Command, Deposit, PlaceOrder
from openweex.domain.markets import Symbol
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import Exchange
from openweex.sim.config import DEC, MakerConfig
from openweex.sim.makers import holdings

FUNDING_ORDERS = 20  # a new taker holds about this many average orders of each coin


class Taker:
    def __init__(self, cfg: MakerConfig, sym: Symbol, uid: int, rng: random.Random) -> None:
        self.cfg = cfg
        self.sym = sym
        self.uid = uid
        self.rng = rng

    def funding(self, ref: int) -> dict[str, int]:
        """Equal values of base and quote, about ``FUNDING_ORDERS`` orders of each."""
        sym = self.sym
        lots = FUNDING_ORDERS * self.cfg.taker_size
        return {sym.base: lots * sym.base_mult, sym.quote: lots * ref * sym.notional_mult}

    def _buy_chance(self, ex: Exchange, ref: int, maker_inventory: int) -> int:
        """Probability (1e-8) of buying: quote share of wealth, tilted towards the maker."""
        sym = self.sym
        base = sum(holdings(ex, self.uid, sym.base)) // sym.base_mult * ref * sym.notional_mult
        quote = sum(holdings(ex, self.uid, sym.quote))
        share = quote * DEC // (base + quote) if base + quote > 0 else DEC // 2
        limit = self.cfg.max_inventory
        inv = min(max(maker_inventory, -limit), limit)
        tilt = inv * (DEC // 4) // limit  # a long maker wants buyers
        return min(max(share + tilt, DEC // 20), DEC - DEC // 20)

    def step(self, ex: Exchange, ref: int, maker_inventory: int) -> list[Command]:
        """Zero, one or two commands (a top-up deposit, then the order) for this tick."""
        cfg, sym, rng = self.cfg, self.sym, self.rng
        if rng.randrange(DEC) >= cfg.taker_probability:
            return []
        buy = rng.randrange(DEC) < self._buy_chance(ex, ref, maker_inventory)
        lots = cfg.taker_size * rng.randint(25, 175) // 100
        lots = min(max(lots, sym.min_trade, 1), sym.max_trade)
        slip = max(1, ref * cfg.taker_slippage // DEC)
        if buy:
            side, price, coin = Side.BUY, ref + slip, sym.quote
            hold = price * lots * sym.notional_mult
        else:
            side, price, coin = Side.SELL, max(1, ref - slip), sym.base
            hold = lots * sym.base_mult
        out: list[Command] = []
        available = holdings(ex, self.uid, coin)[0]
        if available < hold:
            out.append(Deposit(0, self.uid, coin, hold - available + self.funding(ref)[coin]))
        out.append(
            PlaceOrder(0, self.uid, sym.symbol, side, OrderType.LIMIT, Force.IOC, price, lots, "")
        )
        return out
