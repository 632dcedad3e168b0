"""Crash benchmark: SIGKILL a real server under load many times; nothing acknowledged is lost.

Workload (see ``tests/durability/crash.py``): 4 client threads, one user each, place limit
orders (normal, IOC, post-only) and market orders on BTCUSDT_SPBL around one price so that
they trade with each other, cancel their open orders and read their fills, recording every
acknowledged order, cancel and seen fill. The server is killed with SIGKILL after a random
(seeded) 0.05-0.6 s of load, restarted on the same data directory, and the acknowledged
orders of that round (plus a random sample of older ones) are checked. Every ``--full-every``
kills and at the end: every acknowledged order and fill, money conservation over balances and
fees, and finally ``openweex data check`` after a clean stop.

Run: ``python bench/bench_crash.py [--kills 1000] [--seed 7] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.durability.crash import CrashRun


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--snapshot-every", type=int, default=500)
    parser.add_argument("--full-every", type=int, default=100, help="kills between full checks")
    parser.add_argument("--dir", help="where to put the data directory (default: temp)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="openweex-crash-", dir=args.dir))
    run = CrashRun(work / "data", seed=args.seed, snapshot_every=args.snapshot_every)
    started = time.perf_counter()
    try:
        run.start()
        for n in range(1, args.kills + 1):
            run.cycle()
            if n % args.full_every == 0:
                run.check_orders(sorted(run.known.orders))
                run.check_money()
                print(f"{n} kills: {_summary(run, started)}", flush=True)
        out = run.finish()
    finally:
        run.server.stop()
    print()
    print(out)
    print(f"RESULT: {args.kills} kills, nothing acknowledged lost: {_summary(run, started)}")
    shutil.rmtree(work, ignore_errors=True)


def _summary(run: CrashRun, started: float) -> str:
    s, k = run.stats, run.known
    last = s.recovery_lines[-1] if s.recovery_lines else "-"
    return (
        f"{len(k.orders)} acknowledged orders, {len(k.cancels)} cancels, {len(k.fills)} fills "
        f"seen, {s.requests} requests ({s.lost_requests} without answer), {s.torn_tails} torn "
        f"tails cut, {time.perf_counter() - started:.0f} s; last start: {last}"
    )


if __name__ == "__main__":
    main()
