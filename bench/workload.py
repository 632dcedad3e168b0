"""Seeded order-flow workloads shared by the engine benchmarks.

A workload is a list of abstract operations, independent of any engine, so that openweex
and a reference engine can run exactly the same flow:

* ``("limit", uid, side, price, qty)`` with side ``"buy"``/``"sell"``, price in ticks,
  qty in lots;
* ``("market", uid, side, qty)``: a market order (buy quantities are lots here; the
  openweex adapter converts them to a quote budget at the current mid);
* ``("cancel", uid, n)``: cancel the n-th limit order of the workload (it may be gone).

Mix: about 25% cancels, 5% market orders, the rest limits within 50 ticks of the mid, of
which about 10% cross the spread. ``trend`` moves the mid steadily instead of randomly.
"""

from __future__ import annotations

import random
from typing import Any

Op = tuple[Any, ...]


def make_workload(
    n: int,
    seed: int = 7,
    users: int = 1000,
    mid: int = 3_000_000,
    trend: float = 0.0,
    cross: float = 0.10,
) -> list[Op]:
    rnd = random.Random(seed)
    ops: list[Op] = []
    limits = 0
    owners: list[int] = []
    m = float(mid)
    for _ in range(n):
        r = rnd.random()
        uid = rnd.randrange(users)
        if trend:
            m += trend
        elif rnd.random() < 0.01:
            m += rnd.choice((-1.0, 1.0))
        mi = int(m)
        if r < 0.25 and limits:
            n_th = rnd.randrange(max(0, limits - 2000), limits)
            ops.append(("cancel", owners[n_th], n_th))
        elif r < 0.30:
            side = "buy" if rnd.random() < 0.5 else "sell"
            ops.append(("market", uid, side, rnd.randint(1, 20) * 1000, mi))
        else:
            side = "buy" if rnd.random() < 0.5 else "sell"
            off = rnd.randint(1, 50)
            if rnd.random() < cross:
                off = -rnd.randint(0, 5)
            price = mi - off if side == "buy" else mi + off
            ops.append(("limit", uid, side, price, rnd.randint(1, 100) * 1000))
            owners.append(uid)
            limits += 1
    return ops


def prefill(levels: int, per_level: int, mid: int = 3_000_000, seed: int = 3) -> list[Op]:
    """Resting orders on both sides: ``levels`` prices each side, ``per_level`` orders each."""
    rnd = random.Random(seed)
    ops: list[Op] = []
    for i in range(1, levels + 1):
        for _ in range(per_level):
            ops.append(("limit", rnd.randrange(1000), "buy", mid - 50 - i, 10_000))
            ops.append(("limit", rnd.randrange(1000), "sell", mid + 50 + i, 10_000))
    return ops
