"""The ``--demo`` starter in-process: credentials, reuse on restart, ending with the runtime."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from openweex.api.app import Api, Settings
from openweex.engine.exchange import Exchange
from openweex.runtime import Runtime
from openweex.sim.config import SimConfigError
from openweex.sim.demo import (
    DEMO_KEY_PREFIX,
    DemoError,
    build_simulation,
    demo_starter,
    ensure_demo_trader,
    find_demo_trader,
)
from openweex.sim.prices import ReplayError
from openweex.sim.simulation import exchange_submitter
from tests.sim.helpers import MARKETS, T0


def _credentials(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.startswith("demo ") and ": " in line:
            key, value = line.split(": ", 1)
            out[key.removeprefix("demo ")] = value
    return out


async def _serve_demo(
    data_dir: Path,
    seconds: float,
    seed: int = 1,
    replay: str | None = None,
    speed: int | None = None,
) -> tuple[str, Runtime]:
    """Run the starter with a live runtime for ``seconds``, then close like the server."""
    out = io.StringIO()
    start = demo_starter(MARKETS, seed=seed, replay=replay, replay_speed=speed, out=out)
    rt = Runtime.open(data_dir, MARKETS)
    api = Api(rt, Settings())
    async with asyncio.TaskGroup() as tg:
        tg.create_task(rt.run())
        await start(api, tg)
        await asyncio.sleep(seconds)
        await rt.close()
        closed_at = asyncio.get_running_loop().time()
    # The group only exits once the simulation task has seen the runtime close.
    assert asyncio.get_running_loop().time() - closed_at < 2
    await rt.finish()
    return out.getvalue(), rt


async def test_demo_trader_is_created_once_and_reused(tmp_path: Path) -> None:
    text, rt = await _serve_demo(tmp_path / "d", 1.5, seed=3)
    creds = _credentials(text)
    assert set(creds) == {"uid", "api key", "secret key", "passphrase"}
    assert creds["api key"].startswith(DEMO_KEY_PREFIX)
    assert "created and funded" in text and "market simulation: 4 symbol(s), seed 3" in text
    ex = rt.exchange
    ex.check_invariants()
    trader = find_demo_trader(ex)
    assert trader is not None and str(trader.uid) == creds["uid"]
    usdt = ex.accounts[trader.uid].balances["USDT"]
    assert usdt.available == 100_000 * 10**8
    assert all(book.bid_prices and book.ask_keys for book in ex.books.values())
    accounts = len(ex.accounts)
    text2, rt2 = await _serve_demo(tmp_path / "d", 0.5, seed=3)
    assert _credentials(text2) == creds and "existing account" in text2
    assert len(rt2.exchange.accounts) == accounts


async def test_demo_with_replay_flags(tmp_path: Path) -> None:
    text, rt = await _serve_demo(tmp_path / "d", 1.0, replay="sample", speed=100)
    assert "replaying BTCUSDT_SPBL" in text
    book = rt.exchange.books["BTCUSDT_SPBL"]
    assert 5_900_000 < book.best_bid() < book.best_ask() < 6_100_000


def test_bad_configuration_is_refused_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "x.toml"
    bad.write_text("[sim]\ntick_ms = 1\n")
    with pytest.raises(SimConfigError, match="tick_ms"):
        demo_starter(MARKETS, config=bad)
    with pytest.raises(ReplayError, match="cannot read"):
        demo_starter(MARKETS, replay=str(tmp_path / "missing.csv"))


async def test_a_refused_deposit_fails_loudly_and_leaves_no_demo_trader() -> None:
    ex = Exchange(MARKETS)
    submit = exchange_submitter(ex, lambda: T0)
    funds = {"BTC": 2 * 10**8, "USDT": 10**30 + 1}  # above the engine's largest deposit
    with pytest.raises(DemoError, match=r"deposit of 10000000000000000000000\.00000001 USDT"):
        await ensure_demo_trader(ex, submit, funds)
    assert find_demo_trader(ex) is None  # a restart does not take it for a funded trader
    trader, created = await ensure_demo_trader(ex, submit, {"USDT": 10**30})
    assert created and ex.accounts[trader.uid].balances["USDT"].available == 10**30
    assert find_demo_trader(ex) == trader


def test_the_demo_replays_with_the_configurations_speed(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text('[[makers]]\nsymbol = "BTCUSDT"\nreplay_speed = 60\nreplay_loop = false\n')
    _, sim = build_simulation(MARKETS, config=config, replay="sample")
    spec = sim.symbols[0].cfg.replay
    assert spec is not None and (spec.speed, spec.loop) == (60, False)
    _, sim = build_simulation(MARKETS, config=config, replay="sample", replay_speed=5)
    spec = sim.symbols[0].cfg.replay
    assert spec is not None and (spec.speed, spec.loop) == (5, False)
