"""Configuration of the market simulation: defaults per symbol, TOML tables, replay flags.

The simulation reads two optional tables from the same TOML file as the markets:

* ``[sim]``: ``tick_ms`` (how often the simulation steps), ``[sim.demo_funds]`` (what the
  demo trader gets on creation, ``COIN = "amount"``) and any maker key below, which then
  becomes the default for every symbol;
* ``[[makers]]``: one table per symbol (``symbol = "BTCUSDT_SPBL"``) overriding those keys.

Every symbol gets a maker and a taker unless its table says ``enabled = false``. Relative
values (spread, level step, volatility, reversion, probabilities, slippage) are decimals and
are kept as ints of ``10**-8``; base quantities are decimals on the symbol's quantity scale,
kept in lots; prices are decimals on the price scale, kept in ticks. A value off its scale
or an unknown key is an error, never silently rounded or ignored; a value given is used as
given (an explicit ``0`` included), a default only fills a key left out. Values the engine
would refuse (prices above its highest price, deposits above its largest amount, with the
reference anywhere in the random walk's range or the replayed file's) are errors too, so a
configuration that loads gives every enabled symbol its liquidity.

Without any configuration, reference prices and sizes come from a small table of USD prices
(BTC 60000, ETH 3000, SOL 150, USDT and USDC 1): BTCUSDT starts at 60000, ETHBTC at 0.05,
and a level holds about 3000 USD of base coin. Symbols whose coins are not in the table
start at 1 quote per base with one base unit per level: set ``price`` and ``size`` for them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from openweex.domain.markets import Markets, Symbol
from openweex.domain.values import MAX_UNITS, format_units
from openweex.engine.trading import MAX_PRICE

DEC = 10**8  # relative values are ints of 1e-8
MAX_LEVELS = 25  # both sides of a ladder fit one 50-order batch
SAMPLE_NAME = "sample"
SAMPLE_FILE = "btcusdt-1m-sample.csv"
USD_PRICES = {"BTC": 60000, "ETH": 3000, "SOL": 150, "USDT": 1, "USDC": 1}
LEVEL_USD = 3000
DEMO_FUNDS = {"USDT": "100000", "USDC": "100000", "BTC": "2", "ETH": "20", "SOL": "500"}
DEMO_FUNDS_OTHER = "1000"
MAX_REPLAY_SPEED = 1_000_000
WALK_RANGE = 20  # a random walk stays within [price / 20, price x 20]
# A value with this many digits before the point, in its smallest unit, exceeds every limit
# of the engine (prices, quantities, amounts): refused before any arithmetic.
MAX_DIGITS = 31

MAKER_KEYS = frozenset(
    {
        "enabled",
        "price",
        "volatility",
        "reversion",
        "spread",
        "level_step",
        "levels",
        "size",
        "refresh_ms",
        "max_inventory",
        "taker_probability",
        "taker_size",
        "taker_slippage",
        "replay",
        "replay_speed",
        "replay_loop",
    }
)
# Keys in base-coin or price units only make sense per symbol.
PER_SYMBOL_KEYS = frozenset({"price", "size", "max_inventory", "taker_size", "replay"})
SIM_KEYS = frozenset({"tick_ms", "demo_funds"}) | (MAKER_KEYS - PER_SYMBOL_KEYS)


class SimConfigError(ValueError):
    """A simulation configuration that cannot be used."""


@dataclass(frozen=True)
class ReplaySpec:
    """Drive a symbol's reference price from a CSV file (see :mod:`openweex.sim.prices`)."""

    path: Path
    speed: int = 1
    loop: bool = True


@dataclass(frozen=True)
class MakerConfig:
    """One symbol's maker and taker. Prices in ticks, sizes in lots, rates in 1e-8."""

    symbol: str
    price: int
    volatility: int = 100_000  # 0.001: relative std dev of the reference over one minute
    reversion: int = 100_000  # 0.001: share of the gap to ``price`` closed per minute
    spread: int = 60_000  # 0.0006: best ask / best bid distance, relative to the reference
    level_step: int = 30_000  # 0.0003: distance between two levels of a side
    levels: int = 10
    size: int = 1  # lots per level
    refresh_ms: int = 1000
    max_inventory: int = 0  # lots away from the funding target (loaded: 5 x ladder)
    taker_probability: int = 20_000_000  # 0.2: chance per tick of one taker order
    taker_size: int = 0  # lots, average (loaded: half a level)
    taker_slippage: int = 0  # worst price, relative to the reference (loaded: derived)
    replay: ReplaySpec | None = None
    enabled: bool = True
    # How a replay of this symbol runs (the file's settings, also for --replay).
    replay_speed: int = 1
    replay_loop: bool = True

    @property
    def ladder_lots(self) -> int:
        """Lots on one side of a full ladder."""
        return self.levels * self.size


@dataclass(frozen=True)
class SimConfig:
    tick_ms: int = 500
    makers: tuple[MakerConfig, ...] = ()
    demo_funds: dict[str, int] = field(default_factory=dict)  # coin -> units


def sample_path() -> Path:
    """The bundled sample replay file (one day of BTCUSDT-like one-minute candles)."""
    return Path(str(resources.files("openweex.data").joinpath(SAMPLE_FILE)))


def resolve_replay(text: str, base: Path | None) -> Path:
    """``sample`` means the bundled file; relative paths are relative to ``base``."""
    if text == SAMPLE_NAME:
        return sample_path()
    path = Path(text).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return path


# -- value conversion ------------------------------------------------------------------------
def _dec(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SimConfigError(f"{what}: expected a number, got {value!r}")
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise SimConfigError(f"{what}: not a number: {value!r}") from exc
    if not d.is_finite() or d < 0:
        raise SimConfigError(f"{what}: must be a non-negative number")
    return d


def _scaled(value: Any, scale: int, what: str) -> int:
    """``value`` in units of ``10**-scale``, exactly (never rounded)."""
    d = _dec(value, what)
    if d == 0:
        return 0
    digits = d.adjusted() + scale  # of the integer part in units, less one
    if digits >= MAX_DIGITS:
        raise SimConfigError(f"{what}: {value} is too large for the engine")
    exact = Fraction(d) * 10**scale if digits >= 0 else None  # below one unit: not exact
    if exact is None or exact.denominator != 1:
        raise SimConfigError(f"{what}: {value} has more than {scale} decimal places")
    return int(exact)


def _rate(value: Any, what: str, most: int | None = DEC) -> int:
    r = _scaled(value, 8, what)
    if most is not None and r > most:
        raise SimConfigError(f"{what}: must be at most {most / DEC:g}")
    return r


def _int(value: Any, what: str, least: int, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SimConfigError(f"{what}: expected an integer, got {value!r}")
    if not least <= value <= most:
        raise SimConfigError(f"{what}: must be between {least} and {most}")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise SimConfigError(f"{what}: expected true or false, got {value!r}")
    return value


def _table(value: Any, what: str) -> dict[str, Any]:
    """``value`` when it is a TOML table (``[what]``), else a message saying what it is."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        raise SimConfigError(f"{what}: expected one [{what}] table, not an array ([[{what}]])")
    raise SimConfigError(f"{what}: expected a [{what}] table, got {value!r}")


# -- defaults ------------------------------------------------------------------------------
def default_price(sym: Symbol) -> int:
    """Reference price in ticks from the USD table; 1 quote per base when unknown."""
    one: int = 10**sym.price_scale
    base, quote = USD_PRICES.get(sym.base), USD_PRICES.get(sym.quote)
    if base is None or quote is None:
        return one
    return max(1, base * one // quote)


def default_size(sym: Symbol) -> int:
    """Lots per level: about ``LEVEL_USD`` worth of base, within the symbol's limits."""
    one: int = 10**sym.quantity_scale
    base = USD_PRICES.get(sym.base)
    lots = one if base is None else LEVEL_USD * one // base
    return min(max(lots, sym.min_trade, 1), sym.max_trade)


# -- parsing -------------------------------------------------------------------------------
def _maker_values(sym: Symbol, raw: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """The keys given for ``sym`` (merged ``[sim]`` and ``[[makers]]``) as field values."""
    name = sym.symbol
    unknown = set(raw) - MAKER_KEYS - {"symbol"}
    if unknown:
        raise SimConfigError(f"{name}: unknown maker key(s): {', '.join(sorted(unknown))}")
    kw: dict[str, Any] = {"symbol": name}
    if "price" in raw:
        kw["price"] = _scaled(raw["price"], sym.price_scale, f"{name}.price")
        if kw["price"] <= 0:
            raise SimConfigError(f"{name}.price: must be positive")
    for key in ("volatility", "reversion", "spread", "level_step", "taker_slippage"):
        if key in raw:
            kw[key] = _rate(raw[key], f"{name}.{key}")
    if "taker_probability" in raw:
        kw["taker_probability"] = _rate(raw["taker_probability"], f"{name}.taker_probability")
    for key in ("size", "max_inventory", "taker_size"):
        if key in raw:
            kw[key] = _scaled(raw[key], sym.quantity_scale, f"{name}.{key}")
    if "levels" in raw:
        kw["levels"] = _int(raw["levels"], f"{name}.levels", 1, MAX_LEVELS)
    if "refresh_ms" in raw:
        kw["refresh_ms"] = _int(raw["refresh_ms"], f"{name}.refresh_ms", 1, 3_600_000)
    if "enabled" in raw:
        kw["enabled"] = _bool(raw["enabled"], f"{name}.enabled")
    # Checked whether or not this symbol replays: the command line's --replay uses them.
    speed = _int(raw.get("replay_speed", 1), f"{name}.replay_speed", 1, MAX_REPLAY_SPEED)
    loop = _bool(raw.get("replay_loop", True), f"{name}.replay_loop")
    kw["replay_speed"], kw["replay_loop"] = speed, loop
    if "replay" in raw:
        text = raw["replay"]
        if not isinstance(text, str) or not text:
            raise SimConfigError(f"{name}.replay: expected a file name, got {text!r}")
        kw["replay"] = ReplaySpec(resolve_replay(text, base_dir), speed, loop)
    return kw


def _maker(
    markets: Markets, sym: Symbol, raw: dict[str, Any], base_dir: Path | None
) -> MakerConfig:
    kw = _maker_values(sym, raw, base_dir)
    defaults = {"price": default_price(sym), "size": default_size(sym)}
    m = _complete(sym, MakerConfig(**{**defaults, **kw}), given=set(kw))
    if m.enabled and m.replay is None:
        check_engine_limits(markets, sym, m, m.price * WALK_RANGE, "the random walk (20 x price)")
    return m


def _complete(sym: Symbol, m: MakerConfig, given: set[str]) -> MakerConfig:
    """Fill the derived defaults of the keys not ``given`` (inventory, taker size and
    slippage) and check; a value given is used as it is, ``0`` included."""
    name, size = sym.symbol, m.size
    least = max(sym.min_trade, 1)
    if size < least or size > sym.max_trade:
        raise SimConfigError(f"{name}.size: must be within the symbol's trade limits")
    max_inv = m.max_inventory if "max_inventory" in given else 5 * m.levels * size
    if max_inv <= 0:
        raise SimConfigError(
            f"{name}.max_inventory: must be positive (leave it out for 5 x levels x size)"
        )
    taker = m.taker_size if "taker_size" in given else max(size // 2, least)
    if taker < least or taker > sym.max_trade:
        raise SimConfigError(f"{name}.taker_size: must be within the symbol's trade limits")
    slip = m.taker_slippage
    if "taker_slippage" not in given:
        slip = max(200_000, 2 * m.spread + 2 * m.level_step)
    return replace(m, max_inventory=max_inv, taker_size=taker, taker_slippage=slip)


# -- what the engine accepts ---------------------------------------------------------------
def _largest_deposits(sym: Symbol, m: MakerConfig, ref: int, top: int) -> dict[str, int]:
    """Per coin, the largest deposit the maker or the taker of ``m`` makes with the reference
    at most ``ref`` and no order priced above ``top`` (see :mod:`openweex.sim.makers` and
    :mod:`openweex.sim.takers`: a funding, or a top-up of what an order needs plus a share of
    the funding)."""
    bm, nm, least = sym.base_mult, sym.notional_mult, max(sym.min_trade, 1)
    target = m.max_inventory + 2 * m.levels * m.size
    maker_lots = m.levels * min(max(m.size * 125 // 100, least), sym.max_trade)
    taker_lots = min(max(m.taker_size * 175 // 100, least), sym.max_trade)
    taker_funding = 20 * m.taker_size
    base = max(target * bm + maker_lots * bm, (taker_lots + taker_funding) * bm)
    quote = max(
        2 * target * ref * nm + maker_lots * top * nm,
        (taker_lots * top + taker_funding * ref) * nm,
    )
    return {sym.base: base, sym.quote: quote}


def check_engine_limits(
    markets: Markets, sym: Symbol, m: MakerConfig, highest: int, source: str
) -> None:
    """Refuse ``m`` when the engine would reject its orders or deposits while the reference
    price stays at or below ``highest`` ticks (``source`` names what sets that bound): no
    quote above the engine's highest price, no deposit above its largest amount."""
    name = sym.symbol
    half = max(1, highest * m.spread // (2 * DEC))
    step = max(1, highest * m.level_step // DEC)
    top = max(
        highest + 3 * half + m.levels * step,  # the highest ask, inventory skew included
        highest + max(1, highest * m.taker_slippage // DEC),  # a taker's buy limit
    )
    if top > MAX_PRICE:

        def price(ticks: int) -> str:
            return f"{format_units(ticks, sym.price_scale)} {sym.quote}"

        raise SimConfigError(
            f"{name}: too large for the engine: {source} reaches a reference of"
            f" {price(highest)}, with quotes up to {price(top)}, above the highest price the"
            f" engine accepts ({price(MAX_PRICE)})"
        )
    for coin, amount in _largest_deposits(sym, m, highest, top).items():
        if amount > MAX_UNITS:
            scale = markets.coins[coin].scale
            raise SimConfigError(
                f"{name}: too large for the engine: the simulation would deposit up to"
                f" {format_units(amount, scale)} {coin} at once, above the largest deposit"
                f" it accepts ({format_units(MAX_UNITS, scale)} {coin}); lower size, levels,"
                " max_inventory or taker_size (or the price)"
            )


def _demo_funds(markets: Markets, raw: Any) -> dict[str, int]:
    if raw is not None and not isinstance(raw, dict):
        raise SimConfigError('sim.demo_funds: expected a table of COIN = "amount"')
    given = {str(k).upper(): v for k, v in (raw or {}).items()}
    for name in given:
        if name not in markets.coins:
            raise SimConfigError(f"sim.demo_funds: unknown coin {name}")
    out: dict[str, int] = {}
    for name, coin in markets.coins.items():
        amount = given.get(name, DEMO_FUNDS.get(name, DEMO_FUNDS_OTHER))
        what = f"sim.demo_funds.{name}"
        units = _scaled(amount, coin.scale, what)
        if units > MAX_UNITS:
            raise SimConfigError(
                f"{what}: {amount} is too large for the engine (a deposit is at most"
                f" {format_units(MAX_UNITS, coin.scale)} {name})"
            )
        if units > 0:
            out[name] = units
    return out


def _load_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SimConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SimConfigError(f"cannot read {path}: it is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SimConfigError(f"invalid TOML: {exc}") from exc


def _makers_tables(markets: Markets, raw: Any) -> dict[str, dict[str, Any]]:
    """The ``[[makers]]`` tables by symbol name."""
    if isinstance(raw, dict):
        raise SimConfigError("makers: expected [[makers]] tables (an array), not one [makers]")
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise SimConfigError(f"makers: expected [[makers]] tables, got {raw!r}")
    per_symbol: dict[str, dict[str, Any]] = {}
    for table in raw:
        if not isinstance(table.get("symbol"), str):
            raise SimConfigError('makers: every [[makers]] table needs a symbol = "NAME"')
        sym = markets.find_symbol(table["symbol"])
        if sym is None:
            raise SimConfigError(f"makers: unknown symbol {table['symbol']}")
        if sym.symbol in per_symbol:
            raise SimConfigError(f"makers: {sym.symbol} is configured twice")
        per_symbol[sym.symbol] = table
    return per_symbol


def build_sim_config(
    markets: Markets, data: dict[str, Any], base_dir: Path | None = None
) -> SimConfig:
    """The simulation of ``markets`` from a parsed TOML mapping (``sim`` and ``makers``)."""
    sim = dict(_table(data.get("sim", {}), "sim"))
    unknown = set(sim) - SIM_KEYS
    if unknown:
        raise SimConfigError(f"sim: unknown key(s): {', '.join(sorted(unknown))}")
    tick_ms = _int(sim.pop("tick_ms", 500), "sim.tick_ms", 10, 60_000)
    funds = _demo_funds(markets, sim.pop("demo_funds", None))
    per_symbol = _makers_tables(markets, data.get("makers", []))
    makers = []
    for sym in markets.symbols.values():
        m = _maker(markets, sym, {**sim, **per_symbol.get(sym.symbol, {})}, base_dir)
        if m.enabled:
            makers.append(m)
    return SimConfig(tick_ms=tick_ms, makers=tuple(makers), demo_funds=funds)


def load_sim_config(
    markets: Markets,
    path: Path | None = None,
    *,
    replay: str | None = None,
    replay_speed: int | None = None,
    replay_symbol: str | None = None,
) -> SimConfig:
    """Read the simulation tables of the TOML file at ``path`` (if any) and apply the
    command-line replay options: ``replay`` (a CSV path or ``sample``) drives
    ``replay_symbol`` (default: the first configured symbol) at ``replay_speed`` when given,
    else at the ``replay_speed`` the file sets for that symbol; ``replay_loop`` always comes
    from the file. ``replay_speed`` and ``replay_symbol`` need ``replay``."""
    base_dir = path.parent if path is not None else None
    cfg = build_sim_config(markets, _load_toml(path), base_dir)
    if replay is None:
        given = [
            option
            for option, value in (
                ("--replay-speed", replay_speed),
                ("--replay-symbol", replay_symbol),
            )
            if value is not None
        ]
        if given:
            verb = "needs" if len(given) == 1 else "need"
            raise SimConfigError(f"{', '.join(given)} {verb} --replay")
        return cfg
    if replay_speed is not None:
        _int(replay_speed, "--replay-speed", 1, MAX_REPLAY_SPEED)
    name = next(iter(markets.symbols)) if replay_symbol is None else replay_symbol
    sym = markets.find_symbol(name)
    if sym is None:
        raise SimConfigError(f"--replay-symbol: unknown symbol {name}")
    maker = next((m for m in cfg.makers if m.symbol == sym.symbol), None)
    if maker is None:
        raise SimConfigError(f"--replay-symbol: {sym.symbol} has no maker (enabled = false)")
    speed = maker.replay_speed if replay_speed is None else replay_speed
    spec = ReplaySpec(resolve_replay(replay, Path.cwd()), speed, maker.replay_loop)
    makers = tuple(replace(m, replay=spec) if m is maker else m for m in cfg.makers)
    return replace(cfg, makers=makers)
