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
or an unknown key is an error, never silently rounded or ignored.

Without any configuration, reference prices and sizes come from a small table of USD prices
(BTC 60000, ETH 3000, SOL 150, USDT and USDC 1): BTCUSDT starts at 60000, ETHBTC at 0.05,
and a level holds about 3000 USD of base coin. Symbols whose coins are not in the table
start at 1 quote per base with one base unit per level: set ``price`` and ``size`` for them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from openweex.domain.markets import Markets, Symbol

DEC = 10**8  # relative values are ints of 1e-8
MAX_LEVELS = 25  # both sides of a ladder fit one 50-order batch
SAMPLE_NAME = "sample"
SAMPLE_FILE = "btcusdt-1m-sample.csv"
USD_PRICES = {"BTC": 60000, "ETH": 3000, "SOL": 150, "USDT": 1, "USDC": 1}
LEVEL_USD = 3000
DEMO_FUNDS = {"USDT": "100000", "USDC": "100000", "BTC": "2", "ETH": "20", "SOL": "500"}
DEMO_FUNDS_OTHER = "1000"

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
    max_inventory: int = 0  # lots away from the funding target; 0: 5 x ladder
    taker_probability: int = 20_000_000  # 0.2: chance per tick of one taker order
    taker_size: int = 0  # lots, average; 0: half a level
    taker_slippage: int = 0  # worst price, relative to the reference; 0: derived
    replay: ReplaySpec | None = None
    enabled: bool = True

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
    if isinstance(value, bool):
        raise SimConfigError(f"{what}: expected a number, got {value!r}")
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise SimConfigError(f"{what}: not a number: {value!r}") from exc
    if not d.is_finite() or d < 0:
        raise SimConfigError(f"{what}: must be a non-negative number")
    return d


def _scaled(value: Any, scale: int, what: str) -> int:
    d = _dec(value, what).scaleb(scale)
    if d != d.to_integral_value():
        raise SimConfigError(f"{what}: {value} has more than {scale} decimal places")
    return int(d)


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
def _maker(sym: Symbol, raw: dict[str, Any], base_dir: Path | None) -> MakerConfig:
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
    if "replay" in raw:
        speed = _int(raw.get("replay_speed", 1), f"{name}.replay_speed", 1, 1_000_000)
        loop = _bool(raw.get("replay_loop", True), f"{name}.replay_loop")
        kw["replay"] = ReplaySpec(resolve_replay(str(raw["replay"]), base_dir), speed, loop)
    defaults = {"price": default_price(sym), "size": default_size(sym)}
    return _complete(sym, MakerConfig(**{**defaults, **kw}))


def _complete(sym: Symbol, m: MakerConfig) -> MakerConfig:
    """Fill the derived defaults (size, inventory, taker size and slippage) and check."""
    size = m.size
    if size < max(sym.min_trade, 1) or size > sym.max_trade:
        raise SimConfigError(f"{sym.symbol}.size: must be within the symbol's trade limits")
    max_inv = m.max_inventory or 5 * m.levels * size
    taker = m.taker_size or max(size // 2, sym.min_trade, 1)
    slip = m.taker_slippage or max(200_000, 2 * m.spread + 2 * m.level_step)
    if taker < max(sym.min_trade, 1) or taker > sym.max_trade:
        raise SimConfigError(f"{sym.symbol}.taker_size: must be within the symbol's limits")
    return replace(m, max_inventory=max_inv, taker_size=taker, taker_slippage=slip)


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
        units = _scaled(amount, coin.scale, f"sim.demo_funds.{name}")
        if units > 0:
            out[name] = units
    return out


def _load_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text())
    except OSError as exc:
        raise SimConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SimConfigError(f"invalid TOML: {exc}") from exc


def build_sim_config(
    markets: Markets, data: dict[str, Any], base_dir: Path | None = None
) -> SimConfig:
    """The simulation of ``markets`` from a parsed TOML mapping (``sim`` and ``makers``)."""
    sim = dict(data.get("sim", {}))
    unknown = set(sim) - SIM_KEYS
    if unknown:
        raise SimConfigError(f"sim: unknown key(s): {', '.join(sorted(unknown))}")
    tick_ms = _int(sim.pop("tick_ms", 500), "sim.tick_ms", 10, 60_000)
    funds = _demo_funds(markets, sim.pop("demo_funds", None))
    per_symbol: dict[str, dict[str, Any]] = {}
    for raw in data.get("makers", []):
        if not isinstance(raw, dict) or "symbol" not in raw:
            raise SimConfigError("makers: every [[makers]] table needs a symbol")
        sym = markets.find_symbol(str(raw["symbol"]))
        if sym is None:
            raise SimConfigError(f"makers: unknown symbol {raw['symbol']}")
        if sym.symbol in per_symbol:
            raise SimConfigError(f"makers: {sym.symbol} is configured twice")
        per_symbol[sym.symbol] = raw
    makers = []
    for sym in markets.symbols.values():
        m = _maker(sym, {**sim, **per_symbol.get(sym.symbol, {})}, base_dir)
        if m.enabled:
            makers.append(m)
    return SimConfig(tick_ms=tick_ms, makers=tuple(makers), demo_funds=funds)


def load_sim_config(
    markets: Markets,
    path: Path | None = None,
    *,
    replay: str | None = None,
    replay_speed: int = 1,
    replay_symbol: str | None = None,
) -> SimConfig:
    """Read the simulation tables of the TOML file at ``path`` (if any) and apply the
    command-line replay flags: ``replay`` (a CSV path or ``sample``) drives
    ``replay_symbol`` (default: the first configured symbol) at ``replay_speed``."""
    base_dir = path.parent if path is not None else None
    cfg = build_sim_config(markets, _load_toml(path), base_dir)
    if replay is None:
        return cfg
    _int(replay_speed, "--replay-speed", 1, 1_000_000)
    name = replay_symbol or next(iter(markets.symbols))
    sym = markets.find_symbol(name)
    if sym is None:
        raise SimConfigError(f"--replay-symbol: unknown symbol {name}")
    spec = ReplaySpec(resolve_replay(replay, Path.cwd()), replay_speed)
    makers = tuple(replace(m, replay=spec) if m.symbol == sym.symbol else m for m in cfg.makers)
    if all(m.symbol != sym.symbol for m in makers):
        raise SimConfigError(f"--replay-symbol: {sym.symbol} has no maker (enabled = false)")
    return SimConfig(tick_ms=cfg.tick_ms, makers=makers, demo_funds=cfg.demo_funds)
