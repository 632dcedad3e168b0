"""Micro-benchmark of MarketData.on_trade and MarketData.ticker.

Workload: N trades on BTCUSDT_SPBL, 5 ms apart (a new one-minute bucket every 12,000
trades), prices cycling over 100 ticks; then N/5 ticker reads at a ``now`` just after the
last trade, with a trade every 10 reads. Reference, run in the same process: a plain
function taking the same seven arguments that only appends a tuple to a bounded deque (the
least any tape must do), so the ratio says what the candle and ticker bookkeeping add on
this machine.

Run: ``python bench/bench_marketdata.py [N]``.
"""

from __future__ import annotations

import sys
import time
from collections import deque

from openweex.domain.markets import default_markets
from openweex.domain.values import Side
from openweex.engine.marketdata import MarketData

SYMBOL = "BTCUSDT_SPBL"
T0 = 1_700_000_000_000


def bench_reference(n: int) -> float:
    tape: deque[tuple[int, int, int, int, Side]] = deque(maxlen=1000)

    def on_trade(
        symbol: str, ts: int, trade_id: int, price: int, qty: int, quote: int, side: Side
    ) -> None:
        tape.append((trade_id, ts, price, qty, side))

    start = time.perf_counter()
    for i in range(n):
        price = 3_000_000 + i % 100
        on_trade(SYMBOL, T0 + 5 * i, i, price, 10, price * 10, Side.BUY)
    return time.perf_counter() - start


def bench_on_trade(n: int) -> tuple[float, MarketData]:
    md = MarketData(default_markets())
    on_trade = md.on_trade
    start = time.perf_counter()
    for i in range(n):
        price = 3_000_000 + i % 100
        on_trade(SYMBOL, T0 + 5 * i, i, price, 10, price * 10, Side.BUY)
    return time.perf_counter() - start, md


def bench_ticker(md: MarketData, m: int, now: int) -> float:
    start = time.perf_counter()
    for i in range(m):
        if i % 10 == 0:
            md.on_trade(SYMBOL, now, i, 3_000_000, 10, 30_000_000, Side.SELL)
        md.ticker(SYMBOL, now)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    ref = bench_reference(n)
    took, md = bench_on_trade(n)
    print(f"reference (deque append): {n / ref:>12,.0f} calls/s  {ref / n * 1e6:.2f} us/call")
    print(f"MarketData.on_trade:      {n / took:>12,.0f} calls/s  {took / n * 1e6:.2f} us/call")
    print(f"ratio on_trade/reference: {took / ref:.2f}")
    m = n // 5
    took = bench_ticker(md, m, T0 + 5 * n)
    print(f"MarketData.ticker:        {m / took:>12,.0f} calls/s  {took / m * 1e6:.2f} us/call")


if __name__ == "__main__":
    main()
