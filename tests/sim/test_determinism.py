"""Same seed, same inputs -> same engine commands, through the real runtime (journal + fsync)."""

from __future__ import annotations

from pathlib import Path

from openweex.domain.commands import Command
from openweex.sim.simulation import Simulation, run_ticks, runtime_submitter
from tests.sim.helpers import MARKETS, T0, recorder, running, sim_config

TICKS = 150


async def _run(data_dir: Path, seed: int, fake_clock: bool = False) -> tuple[list[Command], str]:
    config = sim_config(taker_probability=60_000_000, volatility=500_000)
    sim = Simulation(MARKETS, config, seed)
    kwargs = {"clock": lambda: T0 + sim.now_ms} if fake_clock else {}
    async with running(data_dir, **kwargs) as rt:
        seen = recorder(rt)
        submit = runtime_submitter(rt)
        await sim.setup(rt.exchange, submit)
        await run_ticks(sim, rt.exchange, submit, TICKS)
        rt.exchange.check_invariants()
        return seen, rt.exchange.state_hash()


async def test_same_seed_same_commands(tmp_path: Path) -> None:
    first, _ = await _run(tmp_path / "a", seed=42)
    second, _ = await _run(tmp_path / "b", seed=42)
    assert len(first) > 200
    assert first == second
    other, _ = await _run(tmp_path / "c", seed=43)
    assert other != first


async def test_same_seed_and_clock_same_state_hash(tmp_path: Path) -> None:
    _, h1 = await _run(tmp_path / "a", seed=5, fake_clock=True)
    _, h2 = await _run(tmp_path / "b", seed=5, fake_clock=True)
    assert h1 == h2


async def test_restart_reuses_the_simulation_accounts(tmp_path: Path) -> None:
    config = sim_config()
    async with running(tmp_path / "d") as rt:
        sim = Simulation(MARKETS, config, 1)
        submit = runtime_submitter(rt)
        await sim.setup(rt.exchange, submit)
        await run_ticks(sim, rt.exchange, submit, 20)
        uids, accounts = sim.uids, len(rt.exchange.accounts)
        last = rt.exchange.market.last_price("BTCUSDT_SPBL")
    assert len(uids) == 2 * len(MARKETS.symbols)
    async with running(tmp_path / "d") as rt:
        again = Simulation(MARKETS, config, 1)
        submit = runtime_submitter(rt)
        seen = recorder(rt)
        await again.setup(rt.exchange, submit)
        assert seen == []  # nothing to create or fund
        assert again.uids == uids and len(rt.exchange.accounts) == accounts
        assert again.symbols[0].ref == last  # the walk resumes at the last trade price
        await run_ticks(again, rt.exchange, submit, 20)
        rt.exchange.check_invariants()
