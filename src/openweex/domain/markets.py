"""Coins and symbols: scales, limits, fees, and the built-in default market set.

Scales are decimal places. A symbol's price is an int of ticks (``10**-price_scale``), its
quantity an int of lots (``10**-quantity_scale``). A coin's balances are ints of its smallest
unit (``10**-scale``). For every symbol the quote coin's scale must cover
``price_scale + quantity_scale`` so that any price x quantity is an exact quote amount, and
the base coin's scale must cover ``quantity_scale``; :func:`parse_markets` checks this.

Fee rates are ints of ``10**-8`` (``0.001`` is ``100_000``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

FEE_SCALE: Final = 8
FEE_DEN: Final = 10**FEE_SCALE


@dataclass(frozen=True, slots=True)
class Chain:
    chain: str | None
    need_tag: bool = False
    withdraw_able: bool = True
    recharge_able: bool = True
    withdraw_fee: str = "0"
    deposit_confirm: int = 1
    withdraw_confirm: int = 1
    min_deposit_amount: str = "0"
    min_withdraw_amount: str = "0"
    browser_url: str = ""


@dataclass(frozen=True, slots=True)
class Coin:
    coin_id: int
    name: str
    scale: int
    transfer: bool = True
    chains: tuple[Chain, ...] = ()


@dataclass(frozen=True, slots=True)
class Symbol:
    symbol: str
    base: str
    quote: str
    price_scale: int
    quantity_scale: int
    min_trade: int  # lots
    max_trade: int  # lots
    maker_fee: int  # 1e-8
    taker_fee: int  # 1e-8
    status: str = "online"
    # Multiplier that turns ticks x lots into quote-coin units (set by Markets).
    notional_mult: int = 1
    # Multiplier that turns lots into base-coin units.
    base_mult: int = 1

    @property
    def symbol_name(self) -> str:
        return self.symbol.removesuffix("_SPBL")


@dataclass(frozen=True)
class Markets:
    coins: dict[str, Coin]
    symbols: dict[str, Symbol]
    coins_by_id: dict[int, Coin] = field(init=False)
    _lookup: dict[str, Symbol] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coins_by_id", {c.coin_id: c for c in self.coins.values()})
        lookup: dict[str, Symbol] = {}
        for s in self.symbols.values():
            lookup[s.symbol.upper()] = s
            lookup.setdefault(s.symbol_name.upper(), s)
        object.__setattr__(self, "_lookup", lookup)

    def find_symbol(self, text: str) -> Symbol | None:
        """Case-insensitive lookup; ``btcusdt_spbl`` and ``BTCUSDT`` both work."""
        return self._lookup.get(text.strip().upper())

    def find_coin(self, text: str) -> Coin | None:
        return self.coins.get(text.strip().upper())


class MarketConfigError(ValueError):
    """A market configuration that cannot be used."""


def _dec(value: Any, what: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise MarketConfigError(f"{what}: not a number: {value!r}") from exc
    if not d.is_finite() or d < 0:
        raise MarketConfigError(f"{what}: must be a non-negative number")
    return d


def _units(value: Any, scale: int, what: str) -> int:
    scaled = _dec(value, what).scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise MarketConfigError(f"{what}: {value} has more than {scale} decimal places")
    return int(scaled)


_COIN_KEYS = frozenset({"id", "name", "scale", "transfer", "chains"})
_CHAIN_KEYS = frozenset(
    {
        "chain",
        "need_tag",
        "withdraw_able",
        "recharge_able",
        "withdraw_fee",
        "deposit_confirm",
        "withdraw_confirm",
        "min_deposit_amount",
        "min_withdraw_amount",
        "browser_url",
    }
)
_SYMBOL_KEYS = frozenset(
    {
        "symbol",
        "base",
        "quote",
        "price_scale",
        "quantity_scale",
        "min_trade",
        "max_trade",
        "maker_fee",
        "taker_fee",
        "status",
    }
)


def _known_keys(raw: Any, allowed: frozenset[str], kind: str, name_key: str) -> None:
    """A key the configuration does not know is a typo that would go unnoticed: refused."""
    if not isinstance(raw, dict):
        raise MarketConfigError(f"{kind}: expected a table, got {raw!r}")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise MarketConfigError(f"{kind} {raw.get(name_key)}: unknown key(s): {', '.join(unknown)}")


def _chain(raw: dict[str, Any]) -> Chain:
    _known_keys(raw, _CHAIN_KEYS, "chain", "chain")
    return Chain(
        chain=raw.get("chain"),
        need_tag=bool(raw.get("need_tag", False)),
        withdraw_able=bool(raw.get("withdraw_able", True)),
        recharge_able=bool(raw.get("recharge_able", True)),
        withdraw_fee=str(raw.get("withdraw_fee", "0")),
        deposit_confirm=int(raw.get("deposit_confirm", 1)),
        withdraw_confirm=int(raw.get("withdraw_confirm", 1)),
        min_deposit_amount=str(raw.get("min_deposit_amount", "0")),
        min_withdraw_amount=str(raw.get("min_withdraw_amount", "0")),
        browser_url=str(raw.get("browser_url", "")),
    )


def build_markets(data: dict[str, Any]) -> Markets:
    """Build :class:`Markets` from a parsed config mapping (``coins`` and ``symbols`` lists)."""
    coins: dict[str, Coin] = {}
    try:
        for raw in data.get("coins", []):
            _known_keys(raw, _COIN_KEYS, "coin", "name")
            name = str(raw["name"]).upper()
            coins[name] = Coin(
                coin_id=int(raw["id"]),
                name=name,
                scale=int(raw.get("scale", 8)),
                transfer=bool(raw.get("transfer", True)),
                chains=tuple(_chain(c) for c in raw.get("chains", [{"chain": None}])),
            )
        symbols: dict[str, Symbol] = {}
        for raw in data.get("symbols", []):
            _known_keys(raw, _SYMBOL_KEYS, "symbol", "symbol")
            name = str(raw["symbol"]).upper()
            base, quote = str(raw["base"]).upper(), str(raw["quote"]).upper()
            if base not in coins or quote not in coins:
                raise MarketConfigError(
                    f"{name}: unknown coin {base if base not in coins else quote}"
                )
            ps, qs = int(raw["price_scale"]), int(raw["quantity_scale"])
            if coins[quote].scale < ps + qs:
                raise MarketConfigError(
                    f"{name}: quote coin {quote} scale {coins[quote].scale} is below "
                    f"price_scale + quantity_scale = {ps + qs}"
                )
            if coins[base].scale < qs:
                raise MarketConfigError(f"{name}: base coin {base} scale is below quantity_scale")
            sym = Symbol(
                symbol=name,
                base=base,
                quote=quote,
                price_scale=ps,
                quantity_scale=qs,
                min_trade=_units(raw.get("min_trade", "0"), qs, f"{name}.min_trade"),
                max_trade=_units(raw.get("max_trade", "1000000000"), qs, f"{name}.max_trade"),
                maker_fee=_units(raw.get("maker_fee", "0.001"), FEE_SCALE, f"{name}.maker_fee"),
                taker_fee=_units(raw.get("taker_fee", "0.001"), FEE_SCALE, f"{name}.taker_fee"),
                status=str(raw.get("status", "online")),
                notional_mult=10 ** (coins[quote].scale - ps - qs),
                base_mult=10 ** (coins[base].scale - qs),
            )
            if sym.maker_fee > FEE_DEN or sym.taker_fee > FEE_DEN:
                raise MarketConfigError(f"{name}: fee rate above 1")
            if sym.min_trade > sym.max_trade:
                raise MarketConfigError(f"{name}: min_trade above max_trade")
            symbols[name] = sym
    except (KeyError, TypeError) as exc:
        raise MarketConfigError(f"missing or malformed field: {exc}") from exc
    if not symbols:
        raise MarketConfigError("no symbols configured")
    return Markets(coins=coins, symbols=symbols)


def parse_markets(text: str) -> Markets:
    """Parse a TOML market configuration (see ``docs/admin.md``).

    A configuration with neither ``[[coins]]`` nor ``[[symbols]]`` (one that only sets up
    the simulation, say) stands for the built-in market set.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MarketConfigError(f"invalid TOML: {exc}") from exc
    if "coins" not in data and "symbols" not in data:
        data = tomllib.loads(DEFAULT_CONFIG)
    return build_markets(data)


def market_changes(old: Markets, new: Markets) -> list[str]:
    """What in ``new`` would change the meaning of a state made with ``old``: a coin or a
    symbol gone, a coin with another id or scale (balances are counted in its smallest
    unit), a symbol with other coins or scales (prices in ticks, quantities in lots). Fees,
    limits, status and chains may change, and coins and symbols may be added."""
    out: list[str] = []
    for name, coin in old.coins.items():
        now = new.coins.get(name)
        if now is None:
            out.append(f"coin {name} is missing")
        elif (now.coin_id, now.scale) != (coin.coin_id, coin.scale):
            out.append(
                f"coin {name} has id {now.coin_id} and scale {now.scale},"
                f" not id {coin.coin_id} and scale {coin.scale}"
            )
    for name, sym in old.symbols.items():
        got = new.symbols.get(name)
        if got is None:
            out.append(f"symbol {name} is missing")
            continue
        was = (sym.base, sym.quote, sym.price_scale, sym.quantity_scale)
        is_ = (got.base, got.quote, got.price_scale, got.quantity_scale)
        if is_ != was:
            out.append(
                f"symbol {name} is {got.base}/{got.quote} with price_scale {got.price_scale}"
                f" and quantity_scale {got.quantity_scale}, not {sym.base}/{sym.quote} with"
                f" {sym.price_scale} and {sym.quantity_scale}"
            )
    return out


DEFAULT_CONFIG = """
[[coins]]
id = 1
name = "BTC"
scale = 8
[[coins.chains]]
chain = "BTC"
withdraw_fee = "0.0005"
min_deposit_amount = "0.0001"
min_withdraw_amount = "0.001"

[[coins]]
id = 2
name = "USDT"
scale = 8
[[coins.chains]]
chain = "ERC20"
withdraw_fee = "1"
deposit_confirm = 12
min_deposit_amount = "1"
min_withdraw_amount = "10"

[[coins.chains]]
chain = "TRC20"
withdraw_fee = "1"
deposit_confirm = 20
min_deposit_amount = "1"
min_withdraw_amount = "10"

[[coins]]
id = 3
name = "ETH"
scale = 8
[[coins.chains]]
chain = "ERC20"
withdraw_fee = "0.003"
deposit_confirm = 12
min_deposit_amount = "0.001"
min_withdraw_amount = "0.01"

[[coins]]
id = 4
name = "SOL"
scale = 8
[[coins.chains]]
chain = "SOL"
withdraw_fee = "0.01"
min_deposit_amount = "0.01"
min_withdraw_amount = "0.1"

[[symbols]]
symbol = "BTCUSDT_SPBL"
base = "BTC"
quote = "USDT"
price_scale = 2
quantity_scale = 6
min_trade = "0.0001"
max_trade = "10000"
maker_fee = "0.001"
taker_fee = "0.001"

[[symbols]]
symbol = "ETHUSDT_SPBL"
base = "ETH"
quote = "USDT"
price_scale = 2
quantity_scale = 5
min_trade = "0.001"
max_trade = "100000"
maker_fee = "0.001"
taker_fee = "0.001"

[[symbols]]
symbol = "SOLUSDT_SPBL"
base = "SOL"
quote = "USDT"
price_scale = 3
quantity_scale = 3
min_trade = "0.01"
max_trade = "1000000"
maker_fee = "0.0008"
taker_fee = "0.001"

[[symbols]]
symbol = "ETHBTC_SPBL"
base = "ETH"
quote = "BTC"
price_scale = 5
quantity_scale = 3
min_trade = "0.001"
max_trade = "10000"
maker_fee = "0.001"
taker_fee = "0.001"
"""


def default_markets() -> Markets:
    return parse_markets(DEFAULT_CONFIG)
