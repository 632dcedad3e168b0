"""Every money formula of the engine, in one place.

Units: price in ticks, quantity in lots, balances in the coin's smallest unit.

* notional (quote units) = price x lots x ``symbol.notional_mult``; always exact because the
  quote coin's scale covers ``price_scale + quantity_scale``.
* base amount (base units) = lots x ``symbol.base_mult``.
* fee = ceil(amount x rate / 10**8): charged in the coin the user receives and rounded UP to
  that coin's smallest unit, i.e. in the exchange's favour. Since rate <= 1 the fee never
  exceeds the amount received.
* a limit buy freezes price x quantity of quote; a sell freezes its base quantity; a market
  buy freezes the quote amount it may spend.
* a market buy spends its quote budget level by level: at a level of price p it buys
  floor(budget / notional(p, 1)) lots at most. The budget left over when no further whole lot
  can be bought, or the book is empty, is released.
"""

from __future__ import annotations

from openweex.domain.markets import FEE_DEN, Symbol

# How the products are grouped does not change their value; it keeps the factors small and
# non-negative. The compiled build multiplies two ints on its fast path only when both are in
# [0, 2**30), and otherwise goes through Python's generic int arithmetic.


def notional(sym: Symbol, price: int, lots: int) -> int:
    return price * (lots * sym.notional_mult)


def base_amount(sym: Symbol, lots: int) -> int:
    return lots * sym.base_mult


def fee(amount: int, rate: int) -> int:
    # ceil(amount x rate / FEE_DEN), computed as (amount // FEE_DEN) x rate, which is exact,
    # plus the ceiling of (amount % FEE_DEN) x rate / FEE_DEN: two small products.
    rest = (amount % FEE_DEN) * rate
    return (amount // FEE_DEN) * rate - (-rest // FEE_DEN)


def affordable_lots(notional_mult: int, price: int, budget: int) -> int:
    """Whole lots a quote ``budget`` buys at ``price`` (``notional_mult`` of the symbol)."""
    return budget // (price * notional_mult)
