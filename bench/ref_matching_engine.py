"""Replay a workload file through the reference engine (PyPI package ``matching-engine``).

Run by bench_engine.py inside a separate virtual environment that has the reference
installed; prints one JSON line with the timing. Ops use the workload's abstract form.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time


def main() -> None:
    from matching_engine.domain import (  # type: ignore[import-not-found]
        CancelOrder,
        NewOrder,
        OrderType,
        SequencedCommand,
        Side,
        TimeInForce,
    )
    from matching_engine.engine import MatchingEngine  # type: ignore[import-not-found]

    with open(sys.argv[1]) as fh:
        doc = json.load(fh)
    cmds = []
    for i, op in enumerate(doc["ops"], 1):
        side = Side.BUY if op[2] == "buy" else Side.SELL
        if op[0] == "limit":
            cmds.append(NewOrder(i, op[1] + 1, side, op[3], op[4]))
        elif op[0] == "market":
            cmds.append(NewOrder(i, op[1] + 1, side, 0, op[3], OrderType.MARKET, TimeInForce.IOC))
        else:
            cmds.append(CancelOrder(op[3], op[1] + 1))
    seqd = [SequencedCommand(i, i, c) for i, c in enumerate(cmds, 1)]
    warm = doc["warm"]
    eng = MatchingEngine()
    process = eng.process
    for sc in seqd[:warm]:
        process(sc)
    if os.environ.get("OPENWEEX_REF_GC"):
        # The same garbage-collector settings as the openweex side of the comparison.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 50, 100)
    t0 = time.perf_counter()
    for sc in seqd[warm:]:
        process(sc)
    dt = time.perf_counter() - t0
    lat = []
    eng2 = MatchingEngine()
    clock = time.perf_counter_ns
    for sc in seqd:
        t = clock()
        eng2.process(sc)
        lat.append(clock() - t)
    lat = sorted(lat[warm:])
    print(
        json.dumps(
            {
                "commands": len(seqd) - warm,
                "seconds": dt,
                "p50_ns": lat[len(lat) // 2],
                "p99_ns": lat[int(len(lat) * 0.99)],
            }
        )
    )


if __name__ == "__main__":
    main()
