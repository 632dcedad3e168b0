"""Replaying the sample file, accelerated and in-process: the exchange's candles track it."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from openweex.domain.values import format_units
from openweex.sim.config import DEC, ReplaySpec, load_sim_config, sample_path
from openweex.sim.prices import to_ticks
from openweex.sim.simulation import Simulation, run_ticks, runtime_submitter
from tests.sim.helpers import MARKETS, running

SPEED = 30  # a 500 ms tick reads the file 15 s further: four ticks per file minute
MINUTES = 60
BTC = "BTCUSDT_SPBL"


def _file_candles() -> list[tuple[int, int]]:
    with sample_path().open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return [(int(r[0]), to_ticks(r[4], 2, "sample")) for r in rows]


async def test_exchange_candles_follow_the_replayed_file(tmp_path: Path) -> None:
    base = load_sim_config(MARKETS).makers[0]
    btc = replace(
        base,
        replay=ReplaySpec(sample_path(), SPEED),
        refresh_ms=500,
        taker_probability=DEC,
        max_inventory=10**9,  # 1000 BTC: never one-sided during the test
    )
    config = replace(load_sim_config(MARKETS), tick_ms=500, makers=(btc,))
    sim = Simulation(MARKETS, config, seed=9)
    file = _file_candles()
    start = file[0][0]
    async with running(tmp_path / "data", clock=lambda: start + sim.now_ms * SPEED) as rt:
        submit = runtime_submitter(rt)
        await sim.setup(rt.exchange, submit)
        await run_ticks(sim, rt.exchange, submit, MINUTES * 4)
        rt.exchange.check_invariants()
        got = rt.exchange.market.candles(BTC, "1min", limit=1000)
    assert [c.start for c in got] == [ts for ts, _ in file[:MINUTES]]
    worst = 0
    for c, (_, close) in zip(got, file, strict=False):
        # The last trade of the minute is a taker's fill against quotes made at the file's
        # close: at most half the spread plus two level steps away (a taker may empty one
        # level), plus rounding.
        half, step = close * btc.spread // (2 * DEC), close * btc.level_step // DEC
        diff = abs(c.close - close)
        worst = max(worst, diff * DEC // close)
        assert diff <= half + 2 * step + 2, (
            f"minute {c.start}: exchange close {format_units(c.close, 2)} vs file "
            f"{format_units(close, 2)}"
        )
    assert worst <= 100_000  # 0.1%
    # The file moves by far more than the tolerance, so tracking is not a flat-line accident.
    closes = [close for _, close in file[:MINUTES]]
    assert (max(closes) - min(closes)) * DEC // closes[0] > 5 * 100_000
