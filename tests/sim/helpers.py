"""In-process helpers for simulation tests: a running runtime, a bare engine, recorders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from openweex.domain.commands import Command, PlaceBatch
from openweex.domain.markets import Markets, default_markets
from openweex.engine.exchange import Exchange
from openweex.runtime import Runtime
from openweex.sim.config import SimConfig, load_sim_config
from openweex.sim.simulation import Simulation, exchange_submitter

MARKETS = default_markets()
T0 = 1_700_000_000_000


def without_ts(cmd: Command) -> Command:
    """The command with every timestamp zeroed (also inside a batch's orders)."""
    if type(cmd) is PlaceBatch:
        return cmd._replace(ts=0, orders=tuple(o._replace(ts=0) for o in cmd.orders))
    return cmd._replace(ts=0)


@asynccontextmanager
async def running(
    data_dir: Path, markets: Markets = MARKETS, **kwargs: Any
) -> AsyncIterator[Runtime]:
    """A runtime on ``data_dir`` whose flusher runs for the duration of the block."""
    rt = Runtime.open(data_dir, markets, **kwargs)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(rt.run())
        try:
            yield rt
        finally:
            await rt.close()
    await rt.finish()


def recorder(rt: Runtime) -> list[Command]:
    """Every durable command of ``rt`` from now on, in sequence order, without ts."""
    seen: list[Command] = []
    rt.subscribe(lambda _seq, cmd, _result, _events: seen.append(without_ts(cmd)))
    return seen


def sim_config(markets: Markets = MARKETS, **maker_overrides: Any) -> SimConfig:
    """The default simulation config with some maker fields replaced on every symbol."""
    cfg = load_sim_config(markets)
    makers = tuple(replace(m, **maker_overrides) for m in cfg.makers)
    return replace(cfg, makers=makers)


async def bare_sim(
    seed: int = 1, config: SimConfig | None = None, markets: Markets = MARKETS
) -> tuple[Simulation, Exchange, Callable[[], int]]:
    """A set-up simulation on a bare engine; commands are stamped with simulated time."""
    sim = Simulation(markets, config or load_sim_config(markets), seed)
    ex = Exchange(markets)

    def clock() -> int:
        return T0 + sim.now_ms

    await sim.setup(ex, exchange_submitter(ex, clock))
    return sim, ex, clock
