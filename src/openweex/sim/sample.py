"""The bundled sample replay file, and the seeded generator that made it.

``openweex/data/btcusdt-1m-sample.csv`` holds one day of synthetic, BTCUSDT-like one-minute
candles (2024-01-01 UTC, around 60000 USDT) in the candles format of
:mod:`openweex.sim.prices`. It is generated, not recorded: each minute is twelve five-second
steps of the integer random walk, and the volume a seeded random number of BTC. Regenerate
it with ``python -m openweex.sim.sample > src/openweex/data/btcusdt-1m-sample.csv``; a test
checks that the shipped file is exactly what this generator prints.
"""

from __future__ import annotations

import random
import sys

from openweex.sim.prices import RandomWalk

SEED = 20240101
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTES = 24 * 60
STEPS = 12  # per minute
PRICE_SCALE = 2
HEADER = "ts_ms,open,high,low,close,volume"


def _fixed(value: int, scale: int) -> str:
    return f"{value // 10**scale}.{value % 10**scale:0{scale}d}"


def generate(seed: int = SEED, minutes: int = MINUTES) -> str:
    """The sample file's text: ``minutes`` one-minute candles from a seeded walk."""
    rng = random.Random(seed)
    walk = RandomWalk(6_000_000, 80_000, 50_000, rng)  # 60000.00, 0.0008/min, 0.0005/min
    lines = [HEADER]
    elapsed = 0
    for m in range(minutes):
        o = walk.price
        high = low = o
        for _ in range(STEPS):
            elapsed += 60_000 // STEPS
            p = walk.advance(elapsed)
            high, low = max(high, p), min(low, p)
        c = walk.price
        volume = rng.randint(500_000, 40_000_000)  # 0.5 .. 40 BTC, 6 decimals
        row = [_fixed(v, PRICE_SCALE) for v in (o, high, low, c)]
        lines.append(f"{START_MS + m * 60_000},{','.join(row)},{_fixed(volume, 6)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate())
