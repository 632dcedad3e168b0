"""Simulation configuration: defaults per symbol, TOML tables, replay flags, errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from openweex.domain.markets import DEFAULT_CONFIG, parse_markets
from openweex.sim.config import (
    SimConfigError,
    build_sim_config,
    load_sim_config,
    sample_path,
)
from tests.sim.helpers import MARKETS

EXTRA_SYMBOL = """
[[coins]]
id = 9
name = "DOGE"
scale = 8

[[symbols]]
symbol = "DOGEBTC_SPBL"
base = "DOGE"
quote = "BTC"
price_scale = 8
quantity_scale = 0
"""


def test_defaults_cover_every_symbol_with_sensible_prices() -> None:
    cfg = load_sim_config(MARKETS)
    prices = {m.symbol: m.price for m in cfg.makers}
    assert prices == {
        "BTCUSDT_SPBL": 6_000_000,  # 60000.00
        "ETHUSDT_SPBL": 300_000,  # 3000.00
        "SOLUSDT_SPBL": 150_000,  # 150.000
        "ETHBTC_SPBL": 5_000,  # 0.05000
    }
    sizes = {m.symbol: m.size for m in cfg.makers}
    assert sizes == {
        "BTCUSDT_SPBL": 50_000,  # 0.05 BTC
        "ETHUSDT_SPBL": 100_000,  # 1 ETH
        "SOLUSDT_SPBL": 20_000,  # 20 SOL
        "ETHBTC_SPBL": 1_000,  # 1 ETH
    }
    for m in cfg.makers:
        assert m.max_inventory == 5 * m.levels * m.size
        assert m.taker_size == m.size // 2
        assert m.replay is None and m.enabled
    assert cfg.tick_ms == 500
    assert cfg.demo_funds["USDT"] == 100_000 * 10**8 and cfg.demo_funds["BTC"] == 2 * 10**8


def test_unknown_coins_fall_back_to_one_quote_per_base() -> None:
    markets = parse_markets(DEFAULT_CONFIG + EXTRA_SYMBOL)
    doge = load_sim_config(markets).makers[-1]
    assert doge.symbol == "DOGEBTC_SPBL"
    assert doge.price == 10**8 and doge.size == 1
    assert load_sim_config(markets).demo_funds["DOGE"] == 1000 * 10**8


def test_toml_tables_override_defaults(tmp_path: Path) -> None:
    cfg_file = tmp_path / "exchange.toml"
    (tmp_path / "eth.csv").write_text("0,3000,3001,2999,3000,1\n")
    cfg_file.write_text(
        DEFAULT_CONFIG
        + """
[sim]
tick_ms = 250
spread = "0.001"
levels = 5
[sim.demo_funds]
usdt = "5000"
BTC = 0

[[makers]]
symbol = "btcusdt"
price = "65000.5"
size = "0.1"
max_inventory = "3"
volatility = 0.002
taker_probability = "1"
refresh_ms = 2000

[[makers]]
symbol = "ETHUSDT_SPBL"
replay = "eth.csv"
replay_speed = 10
replay_loop = false

[[makers]]
symbol = "SOLUSDT_SPBL"
enabled = false
"""
    )
    markets = parse_markets(cfg_file.read_text())
    cfg = load_sim_config(markets, cfg_file)
    assert cfg.tick_ms == 250
    assert cfg.demo_funds["USDT"] == 5000 * 10**8 and "BTC" not in cfg.demo_funds
    by = {m.symbol: m for m in cfg.makers}
    assert set(by) == {"BTCUSDT_SPBL", "ETHUSDT_SPBL", "ETHBTC_SPBL"}
    btc = by["BTCUSDT_SPBL"]
    assert (btc.price, btc.size, btc.max_inventory) == (6_500_050, 100_000, 3_000_000)
    assert (btc.spread, btc.levels, btc.volatility) == (100_000, 5, 200_000)
    assert (btc.taker_probability, btc.refresh_ms) == (10**8, 2000)
    eth = by["ETHUSDT_SPBL"]
    assert eth.replay is not None
    assert eth.replay.path == tmp_path / "eth.csv"
    assert (eth.replay.speed, eth.replay.loop) == (10, False)
    assert by["ETHBTC_SPBL"].levels == 5  # [sim] keys are defaults for every maker


def test_replay_flags_pick_a_symbol() -> None:
    cfg = load_sim_config(MARKETS, replay="sample", replay_speed=100)
    replays = [(m.symbol, m.replay) for m in cfg.makers if m.replay is not None]
    assert len(replays) == 1
    symbol, spec = replays[0]
    assert symbol == "BTCUSDT_SPBL" and spec is not None
    assert spec.path == sample_path() and spec.speed == 100
    cfg = load_sim_config(MARKETS, replay="sample", replay_symbol="ethbtc")
    assert [m.symbol for m in cfg.makers if m.replay is not None] == ["ETHBTC_SPBL"]
    with pytest.raises(SimConfigError, match="unknown symbol"):
        load_sim_config(MARKETS, replay="sample", replay_symbol="NOPE")
    with pytest.raises(SimConfigError, match="replay-speed"):
        load_sim_config(MARKETS, replay="sample", replay_speed=0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sim": {"tick": 5}}, "unknown key"),
        ({"sim": {"tick_ms": 1}}, "between 10"),
        ({"sim": {"price": "1"}}, "unknown key"),
        ({"sim": {"size": "1"}}, "unknown key"),
        ({"sim": {"demo_funds": {"XRP": "1"}}}, "unknown coin XRP"),
        ({"sim": {"demo_funds": {"BTC": "0.123456789"}}}, "decimal places"),
        ({"sim": {"demo_funds": "lots"}}, "expected a table"),
        ({"makers": [{"price": "1"}]}, "needs a symbol"),
        ({"makers": [{"symbol": "XYZ"}]}, "unknown symbol"),
        ({"makers": [{"symbol": "ETHBTC"}, {"symbol": "ETHBTC_SPBL"}]}, "twice"),
        ({"makers": [{"symbol": "ETHBTC", "sprad": "1"}]}, "unknown maker key"),
        ({"makers": [{"symbol": "ETHBTC", "price": "0.000001"}]}, "decimal places"),
        ({"makers": [{"symbol": "ETHBTC", "price": "0"}]}, "positive"),
        ({"makers": [{"symbol": "ETHBTC", "price": "-1"}]}, "non-negative"),
        ({"makers": [{"symbol": "ETHBTC", "spread": "1.5"}]}, "at most 1"),
        ({"makers": [{"symbol": "ETHBTC", "spread": True}]}, "expected a number"),
        ({"makers": [{"symbol": "ETHBTC", "levels": 26}]}, "between 1 and 25"),
        ({"makers": [{"symbol": "ETHBTC", "levels": "3"}]}, "expected an integer"),
        ({"makers": [{"symbol": "ETHBTC", "size": "0.0001"}]}, "decimal places"),
        ({"makers": [{"symbol": "ETHBTC", "size": "0"}]}, "trade limits"),
        ({"makers": [{"symbol": "ETHBTC", "size": "20000"}]}, "trade limits"),
        ({"makers": [{"symbol": "ETHBTC", "enabled": "no"}]}, "true or false"),
        ({"makers": [{"symbol": "ETHBTC", "replay": "x.csv", "replay_speed": 0}]}, "between"),
        # shapes
        ({"sim": 5}, r"sim: expected a \[sim\] table, got 5"),
        ({"sim": "abc"}, r"sim: expected a \[sim\] table"),
        ({"sim": [{}]}, r"not an array \(\[\[sim\]\]\)"),
        ({"makers": 5}, r"makers: expected \[\[makers\]\] tables, got 5"),
        ({"makers": {"symbol": "ETHBTC"}}, r"not one \[makers\]"),
        ({"makers": [5]}, r"expected \[\[makers\]\] tables"),
        ({"makers": [{"symbol": 5}]}, "needs a symbol"),
        ({"makers": [{"symbol": "ETHBTC", "replay": 5}]}, "expected a file name"),
        ({"makers": [{"symbol": "ETHBTC", "price": [1]}]}, "expected a number"),
        # too large to compute with, or for the engine
        ({"makers": [{"symbol": "ETHBTC", "price": "1e999999"}]}, "too large"),
        ({"makers": [{"symbol": "ETHBTC", "size": "1e999999"}]}, "too large"),
        ({"sim": {"volatility": "1e999999"}}, "too large"),
        ({"sim": {"demo_funds": {"BTC": "1e999999"}}}, "too large"),
        ({"makers": [{"symbol": "BTCUSDT", "price": "1e30"}]}, "too large"),
        ({"makers": [{"symbol": "BTCUSDT", "price": "1e16"}]}, "above the highest price"),
        ({"makers": [{"symbol": "BTCUSDT", "max_inventory": "1e25"}]}, "too large"),
        ({"makers": [{"symbol": "BTCUSDT", "max_inventory": "1e22"}]}, "largest deposit"),
        ({"sim": {"demo_funds": {"USDT": "2e22"}}}, "a deposit is at most"),
        # replay settings are checked whether or not the symbol replays
        ({"sim": {"replay_speed": -5}}, "replay_speed: must be between 1 and 1000000"),
        ({"sim": {"replay_loop": "maybe"}}, "replay_loop: expected true or false"),
        ({"makers": [{"symbol": "ETHBTC", "replay_speed": 0}]}, "replay_speed: must be between"),
        # an explicit 0 is refused where it means nothing, never replaced by the default
        ({"makers": [{"symbol": "ETHBTC", "max_inventory": "0"}]}, "must be positive"),
        ({"makers": [{"symbol": "ETHBTC", "taker_size": "0"}]}, "taker_size: must be within"),
        # never rounded, however many digits
        ({"makers": [{"symbol": "ETHBTC", "size": "1.000000000000000000000000000001"}]}, "places"),
        ({"makers": [{"symbol": "ETHBTC", "price": "1e-999999"}]}, "decimal places"),
    ],
)
def test_bad_configs_are_rejected(data: dict[str, object], message: str) -> None:
    with pytest.raises(SimConfigError, match=message):
        build_sim_config(MARKETS, data)


def test_unreadable_or_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(SimConfigError, match="cannot read"):
        load_sim_config(MARKETS, tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[sim\n")
    with pytest.raises(SimConfigError, match="invalid TOML"):
        load_sim_config(MARKETS, bad)


def test_the_documented_example_parses() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "sandbox.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    markets = parse_markets(example)  # no markets in it: the built-in ones
    assert markets == parse_markets(DEFAULT_CONFIG)
    cfg = build_sim_config(markets, tomllib.loads(example), Path("/etc"))
    by = {m.symbol: m for m in cfg.makers}
    assert "SOLUSDT_SPBL" not in by
    btc = by["BTCUSDT_SPBL"]
    assert (btc.price, btc.size, btc.max_inventory, btc.taker_size) == (
        6_000_000,
        50_000,
        2_500_000,
        25_000,
    )
    assert by["ETHUSDT_SPBL"].replay is None  # the replay lines are commented out
    # uncommented, they name a file relative to the configuration's directory
    replaying = example.replace('# replay = "eth-candles.csv"', 'replay = "eth-candles.csv"')
    cfg = build_sim_config(markets, tomllib.loads(replaying), Path("/etc"))
    eth = {m.symbol: m for m in cfg.makers}["ETHUSDT_SPBL"]
    assert eth.replay is not None and eth.replay.path == Path("/etc/eth-candles.csv")
    # the demo funds as the example says: SOL none, ETH (not listed) its built-in 20
    assert cfg.demo_funds == {"BTC": 2 * 10**8, "ETH": 20 * 10**8, "USDT": 100_000 * 10**8}


def test_an_explicit_zero_slippage_is_used_as_given() -> None:
    data = {"makers": [{"symbol": "ETHBTC", "taker_slippage": "0"}]}
    by = {m.symbol: m for m in build_sim_config(MARKETS, data).makers}
    assert by["ETHBTC_SPBL"].taker_slippage == 0  # takers trade at the reference
    assert by["BTCUSDT_SPBL"].taker_slippage == 200_000  # the default where not given


def test_the_engines_limits_are_the_bounds(tmp_path: Path) -> None:
    """Just inside the limits loads; the random walk's ceiling decides the price bound."""
    cfg = build_sim_config(MARKETS, {"makers": [{"symbol": "BTCUSDT", "price": "1e14"}]})
    assert cfg.makers[0].price == 10**16
    funds = build_sim_config(MARKETS, {"sim": {"demo_funds": {"USDT": "1e22"}}}).demo_funds
    assert funds["USDT"] == 10**30  # the largest deposit the engine accepts


def test_replay_options_keep_the_files_settings(tmp_path: Path) -> None:
    """--replay replaces the symbol's file; speed and loop stay the configuration's unless
    --replay-speed is given."""
    config = tmp_path / "sim.toml"
    config.write_text(
        "[sim]\nreplay_speed = 7\nreplay_loop = false\n"
        '[[makers]]\nsymbol = "ETHBTC"\nreplay_speed = 30\n'
    )
    btc = load_sim_config(MARKETS, config, replay="sample").makers[0]
    assert btc.replay is not None and (btc.replay.speed, btc.replay.loop) == (7, False)
    cfg = load_sim_config(MARKETS, config, replay="sample", replay_symbol="ETHBTC")
    eth = {m.symbol: m for m in cfg.makers}["ETHBTC_SPBL"]
    assert eth.replay is not None and (eth.replay.speed, eth.replay.loop) == (30, False)
    cfg = load_sim_config(MARKETS, config, replay="sample", replay_speed=100)
    assert cfg.makers[0].replay is not None
    assert (cfg.makers[0].replay.speed, cfg.makers[0].replay.loop) == (100, False)
    # without any configuration: speed 1, looping
    plain = load_sim_config(MARKETS, replay="sample").makers[0].replay
    assert plain is not None and (plain.speed, plain.loop) == (1, True)


def test_replay_options_need_a_replay() -> None:
    with pytest.raises(SimConfigError, match="--replay-speed needs --replay"):
        load_sim_config(MARKETS, replay_speed=10)
    with pytest.raises(SimConfigError, match="--replay-speed, --replay-symbol need --replay"):
        load_sim_config(MARKETS, replay_speed=10, replay_symbol="BTCUSDT")


def test_a_config_file_that_is_not_text(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe[sim]\n")
    with pytest.raises(SimConfigError, match="not UTF-8 text"):
        load_sim_config(MARKETS, bad)
