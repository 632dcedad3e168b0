"""Same seed, same inputs -> same engine commands, through the real runtime (journal + fsync)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from openweex.domain.commands import Command, PlaceBatch, PlaceOrder
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.exchange import Result
from openweex.sim.config import build_sim_config
from openweex.sim.prices import RandomWalk
from openweex.sim.simulation import Simulation, exchange_submitter, run_ticks, runtime_submitter
from tests.sim.helpers import MARKETS, T0, bare_sim, recorder, running, sim_config

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


def _shocks(sim: Simulation) -> list[int]:
    """The first moves the BTC walk of ``sim`` would make from its anchor (on a copy)."""
    walk = copy.deepcopy(sim.symbols[0].source)
    assert isinstance(walk, RandomWalk)
    walk.price, walk.last_ms = walk.anchor, 0
    return [walk.advance(t * 60_000) for t in range(1, 6)]


async def _restarted(seed: int) -> tuple[list[int], list[int], list[Command]]:
    """A run from a fresh engine, then a restart of the simulation on its state: the walk's
    shocks of both, and the restarted run's commands."""
    config = sim_config(taker_probability=60_000_000)
    sim, ex, clock = await bare_sim(seed, config)
    submit = exchange_submitter(ex, clock)
    first = _shocks(sim)
    await run_ticks(sim, ex, submit, 40)
    again = Simulation(MARKETS, config, seed)
    await again.setup(ex, submit)
    restarted = _shocks(again)
    seen: list[Command] = []
    for _ in range(40):
        cmds = again.tick(ex)
        seen += cmds
        await submit(cmds)
    return first, restarted, seen


async def test_a_restart_does_not_repeat_the_previous_runs_shocks() -> None:
    first, restarted, commands = await _restarted(seed=11)
    assert restarted != first
    # the same seed from the same state: the same run, restart included
    assert await _restarted(seed=11) == (first, restarted, commands)


async def test_a_disabled_maker_leaves_no_quotes_behind() -> None:
    sim, ex, clock = await bare_sim(seed=4)
    submit = exchange_submitter(ex, clock)
    await run_ticks(sim, ex, submit, 5)
    btc = "BTCUSDT_SPBL"
    maker = ex.api_keys[f"owsim-maker-{btc}"].uid
    # more resting orders than one cancel batch holds
    far = [
        PlaceOrder(0, maker, btc, Side.BUY, OrderType.LIMIT, Force.POST_ONLY, 100 + i, 1000, "")
        for i in range(40)
    ]
    await submit([PlaceBatch(0, maker, tuple(far))])
    assert len([o for o in ex.books[btc].live_orders() if o.uid == maker]) > 50
    others = {n: [o.order_id for o in b.live_orders()] for n, b in ex.books.items() if n != btc}
    off = build_sim_config(MARKETS, {"makers": [{"symbol": "BTCUSDT", "enabled": False}]})
    again = Simulation(MARKETS, off, 4)
    await again.setup(ex, submit)
    assert [o for o in ex.books[btc].live_orders() if o.uid == maker] == []
    assert {n: [o.order_id for o in b.live_orders()] for n, b in ex.books.items() if n != btc} == (
        others
    )
    ex.check_invariants()
    sent: list[Command] = []

    async def recording(cmds: Sequence[Command]) -> list[Result]:
        sent.extend(cmds)
        return await submit(cmds)

    await Simulation(MARKETS, sim_config(), 4).setup(ex, recording)
    assert sent == []  # enabled again: its maker requotes at its first refresh, as usual
