"""Durability benchmark: acknowledged throughput with group commit, and recovery time.

Run ``python bench/bench_durability.py`` (``--help`` for options). Everything runs in one
fresh temporary directory (``--dir`` picks the filesystem), removed at the end.

a. Reference, same run and disk: ``write`` + ``fsync`` of 1 and of 64 records per fsync.
b. Acknowledged (durable) throughput of the in-process runtime: ``--tasks`` asyncio tasks
   (1,000 by default), one user each, submit orders in a loop for ``--seconds``: a limit
   order within 50 ticks of the mid (10% of them cross), and when it rests, a cancel of it
   half of the time. The orders are made before the clock starts, 64 per user, and sent
   again in turn (as a load generator elsewhere would make them: making them in the loop
   took a quarter of the event loop's time). Every command is journaled, fsynced (group
   commit), applied, written to the SQLite read models and acknowledged. Reference: the same
   kind of commands (made ahead too) applied to a bare engine (no journal, no read models,
   no event loop). The bulk case: 10 tasks, each trading for ``--bulk`` users (100) at a
   time with ``Runtime.submit_many`` (one wait for the orders of all its users, then one
   for their cancels). With ``--window``, also the rate of each window of that many
   seconds (a long run shows whether the rate holds as the tables grow: ``--seconds 60
   --window 10``; ``--bulk 1000`` trades for 10,000 users). About 45% of the orders stay
   resting, so the book grows as long as the run lasts; with ``--max-resting K`` each user
   instead cancels its oldest order once it has more than K, and the book stays bounded.
   Like the server, the runtime
   runs on uvloop (``--loop asyncio`` for the standard loop) with the server's garbage-
   collector settings, and on whichever engine build is installed (printed first: the
   compiled one for a regular install, pure Python for an editable one).
c. Recovery of a journal of ``--records`` commands (1,000,000 by default) made by a seeded
   order flow that keeps the book around 20,000 resting orders (1,000 users; 55% limit
   orders, 35% cancels of random live orders, 10% market orders; more cancels above 20,000
   resting orders): with a snapshot ``--tail`` records before the end, by full replay
   (read models up to date), and by full replay rebuilding the read models. Each with its
   breakdown: journal open (validates the last segment), snapshot load, reading + checking
   frames, decoding, applying, writing read models. Wall-clock and process CPU time.
d. Snapshots of a large book: a data directory whose book holds ``--book`` resting orders
   (1,000,000 by default; 0 skips the case), opened by the runtime, which then takes one
   snapshot at a time, exported on the event loop and by a forked child in turn: how long
   each takes, and the longest pause of the event loop meanwhile (a task that wakes every
   millisecond).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from openweex.cli import _loop_factory
from openweex.domain.commands import CancelOrder, Command, CreateAccount, Deposit, PlaceOrder
from openweex.domain.markets import default_markets
from openweex.domain.values import Force, OrderType, Side
from openweex.engine import book as book_module
from openweex.engine.exchange import Exchange
from openweex.engine.trading import OrderAck
from openweex.gcsettings import tune_gc
from openweex.runtime import Runtime
from openweex.storage import codec
from openweex.storage.journal import Journal
from openweex.storage.readmodels import SqliteStore
from openweex.storage.snapshots import SnapshotStore

MARKETS = default_markets()
SYMBOL = "BTCUSDT_SPBL"
MID = 3_000_000
T0 = 1_700_000_000_000
LIVE_TARGET = 20_000
POOL_ROUNDS = 64  # orders made ahead per user of the throughput cases, then sent again


def row(*cells: object) -> None:
    print(
        "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, (52, 14, 12, 12, 12), strict=False))
        )
    )


# --------------------------------------------------------------------------- a. raw disk


def bench_raw(workdir: Path, per_fsync: int, seconds: float) -> None:
    record = b"r" * 86
    chunk = record * per_fsync
    fd = os.open(workdir / f"raw-{per_fsync}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    lat: list[float] = []
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < seconds and len(lat) < 50_000:
            t0 = time.perf_counter()
            os.write(fd, chunk)
            os.fsync(fd)
            lat.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
    took = time.perf_counter() - start
    lat.sort()
    row(
        f"raw write+fsync, {per_fsync} record(s) per fsync",
        f"{len(lat) * per_fsync / took:,.0f}/s",
        _ms(lat[len(lat) // 2]),
        _ms(lat[int(len(lat) * 0.99)]),
        "",
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


# --------------------------------------------------------------------------- b. runtime


def _setup(users: int) -> list[Command]:
    cmds: list[Command] = [CreateAccount(T0) for _ in range(users)]
    for uid in range(10001, 10001 + users):
        cmds.append(Deposit(T0, uid, "USDT", 10**17))
        cmds.append(Deposit(T0, uid, "BTC", 10**13))
    return cmds


def _limit(rnd: random.Random, uid: int, ts: int) -> PlaceOrder:
    side = Side.BUY if rnd.random() < 0.5 else Side.SELL
    off = rnd.randint(1, 50) if rnd.random() > 0.1 else -rnd.randint(0, 5)
    price = MID - off if side is Side.BUY else MID + off
    qty = rnd.randint(1, 100) * 1000
    return PlaceOrder(ts, uid, SYMBOL, side, OrderType.LIMIT, Force.NORMAL, price, qty, "")


def _orders(seed: int, uids: list[int], rounds: int = POOL_ROUNDS) -> list[list[PlaceOrder]]:
    """``rounds`` rounds of one :func:`_limit` order per user of ``uids``, made before the
    clock starts (as a load generator elsewhere would make them) and sent again in turn."""
    rnd = random.Random(seed)
    return [[_limit(rnd, uid, 0) for uid in uids] for _ in range(rounds)]


class _Cancels:
    """Which order a user cancels after one of its orders was acknowledged.

    By default the one just placed, half of the time: about 45% of the orders stay resting
    and the book grows for as long as the run lasts. With ``max_resting`` (``--max-resting``)
    each user cancels its oldest order once it has more than that many: the book stays
    bounded (at most ``max_resting`` orders per user), as a market maker replacing its
    quotes keeps it (the oldest may have been filled meanwhile: its cancel is rejected).
    """

    def __init__(self, seed: int, max_resting: int) -> None:
        self._rnd = random.Random(seed)
        self._max = max_resting
        self._placed: dict[int, collections.deque[int]] = collections.defaultdict(collections.deque)

    def after(self, uid: int, result: object) -> CancelOrder | None:
        if not isinstance(result, OrderAck):
            return None
        if not self._max:
            if self._rnd.random() < 0.5:
                return CancelOrder(0, uid, SYMBOL, result.order_id, "")
            return None
        placed = self._placed[uid]
        placed.append(result.order_id)
        if len(placed) > self._max:
            return CancelOrder(0, uid, SYMBOL, placed.popleft(), "")
        return None


async def _trader(
    rt: Runtime,
    uid: int,
    pool: list[list[PlaceOrder]],
    cancels: _Cancels,
    stop: float,
    lat: list[float],
) -> None:
    orders = itertools.cycle([r[0] for r in pool])
    perf = time.perf_counter
    while perf() < stop:
        t0 = perf()
        result, _ = await rt.submit(next(orders))
        lat.append(perf() - t0)
        cancel = cancels.after(uid, result)
        if cancel is not None:
            t0 = perf()
            await rt.submit(cancel)
            lat.append(perf() - t0)


async def _bulk_trader(
    rt: Runtime,
    uids: list[int],
    pool: list[list[PlaceOrder]],
    cancels: _Cancels,
    stop: float,
    lat: list[float],
) -> None:
    """Like :func:`_trader` for several users at once: one order each per ``submit_many``,
    then their cancels (see :class:`_Cancels`) in a second one."""
    rounds = itertools.cycle(pool)
    perf = time.perf_counter
    while perf() < stop:
        t0 = perf()
        outcomes = await rt.submit_many(next(rounds))
        took = perf() - t0
        lat.extend([took] * len(uids))
        after = [
            cancels.after(uid, result) for uid, (result, _) in zip(uids, outcomes, strict=True)
        ]
        cancel: list[Command] = [c for c in after if c is not None]
        if cancel:
            t0 = perf()
            await rt.submit_many(cancel)
            lat.extend([perf() - t0] * len(cancel))


async def _count_windows(
    rt: Runtime, start: float, window: float, stop: float, rates: list[float]
) -> None:
    """Append the acknowledged commands/s of each whole ``window`` before ``stop``."""
    seq, last = rt.applied_seq, start
    ends = start + window
    while ends <= stop + window / 100:
        await asyncio.sleep(max(ends - time.perf_counter(), 0))
        now, applied = time.perf_counter(), rt.applied_seq
        rates.append((applied - seq) / (now - last))
        seq, last = applied, now
        ends += window


async def _run_runtime(
    d: Path,
    tasks: int,
    seconds: float,
    bulk: int = 0,
    window: float = 0,
    rates: list[float] | None = None,
    max_resting: int = 0,
    resting: list[int] | None = None,
) -> tuple[int, float, list[float], int]:
    """``tasks`` submitting tasks; with ``bulk``, each one submits for ``bulk`` users at a
    time with ``submit_many`` (``tasks * bulk`` users in all). With ``window``, the
    acknowledged commands/s of each window of that many seconds go to ``rates``; the users
    cancel as :class:`_Cancels` with ``max_resting`` says, and the resting orders at the end
    go to ``resting``."""
    rt = Runtime.open(d, MARKETS, snapshot_every=10**9)
    fsyncs = 0
    real_append = rt.journal.append_batch

    def counting(records: list[tuple[int, bytes]]) -> None:
        nonlocal fsyncs
        fsyncs += 1
        real_append(records)

    rt.journal.append_batch = counting  # type: ignore[method-assign]
    lat: list[float] = []
    async with asyncio.TaskGroup() as tg:
        tg.create_task(rt.run())
        await rt.submit_many(_setup(tasks * max(bulk, 1)))
        if bulk:
            groups = [[10001 + i * bulk + k for k in range(bulk)] for i in range(tasks)]
        else:
            groups = [[10001 + i] for i in range(tasks)]
        pools = [_orders(i, g) for i, g in enumerate(groups)]
        first, start = rt.applied_seq, time.perf_counter()
        calls = fsyncs
        stop = start + seconds
        if bulk:
            runs = [
                _bulk_trader(rt, g, pools[i], _Cancels(i, max_resting), stop, lat)
                for i, g in enumerate(groups)
            ]
        else:
            runs = [
                _trader(rt, g[0], pools[i], _Cancels(i, max_resting), stop, lat)
                for i, g in enumerate(groups)
            ]
        if window and rates is not None:
            runs.append(_count_windows(rt, start, window, stop, rates))
        await asyncio.gather(*runs)
        took = time.perf_counter() - start
        done = rt.applied_seq - first
        if resting is not None:
            resting.append(len(rt.exchange.orders))
        await rt.close()
    await rt.finish()
    return done, took, lat, fsyncs - calls


def bench_runtime(
    workdir: Path,
    tasks: int,
    seconds: float,
    loop: str,
    bulk: int = 0,
    window: float = 0,
    max_resting: int = 0,
) -> None:
    factory = _loop_factory() if loop == "uvloop" else None
    cases = [(f"runtime, {tasks} tasks: acknowledged commands", tasks, 0)]
    if bulk:
        cases.append((f"runtime, 10 tasks x submit_many({bulk})", 10, bulk))
    for label, n, size in cases:
        rates: list[float] = []
        resting: list[int] = []
        with asyncio.Runner(loop_factory=factory) as runner:
            done, took, lat, fsyncs = runner.run(
                _run_runtime(
                    workdir / f"runtime-{size}",
                    n,
                    seconds,
                    size,
                    window,
                    rates,
                    max_resting,
                    resting,
                )
            )
        lat.sort()
        row(
            label,
            f"{done / took:,.0f}/s",
            _ms(lat[len(lat) // 2]),
            _ms(lat[int(len(lat) * 0.99)]),
            f"{done / max(fsyncs, 1):,.0f}/fsync",
        )
        for i, rate in enumerate(rates):
            row(f"  {i * window:g}-{(i + 1) * window:g} s", f"{rate:,.0f}/s", "", "", "")
        row("  resting orders at the end", f"{resting[0]:,}", "", "", "")
    ex = Exchange(MARKETS)
    for cmd in _setup(tasks):
        ex.apply(cmd)
    cancels = _Cancels(1, max_resting)
    orders = itertools.cycle(
        [o for r in _orders(1, list(range(10001, 10001 + tasks)), POOL_ROUNDS // 4) for o in r]
    )
    n = 0
    start = time.perf_counter()
    while n < done:
        order = next(orders)
        result, _ = ex.apply(order._replace(ts=T0))
        n += 1
        cancel = cancels.after(order.uid, result)
        if cancel is not None:
            ex.apply(cancel._replace(ts=T0))
            n += 1
    took = time.perf_counter() - start
    row("reference: bare engine, same mix, no I/O", f"{n / took:,.0f}/s", "", "", "")


# --------------------------------------------------------------------------- c. recovery


def _flow(
    n: int, snap_at: int, seed: int = 7, users: int = 1000
) -> tuple[list[Command], Any, Exchange]:
    """``n`` commands of a bounded-book order flow, the engine state after ``snap_at``, and
    the engine after all of them. Above ``LIVE_TARGET`` resting orders, cancels dominate."""
    rnd = random.Random(seed)
    state: Any = None
    ex = Exchange(MARKETS)
    cmds = _setup(users)
    for cmd in cmds:
        ex.apply(cmd)
    live: list[int] = []
    ts = T0
    while len(cmds) < n:
        ts += rnd.randint(0, 2)
        uid = 10001 + rnd.randrange(users)
        r = rnd.random()
        if len(live) > LIVE_TARGET:
            r *= 0.6  # more cancels: the book stays around LIVE_TARGET orders
        if r < 0.35 and live:
            i = rnd.randrange(len(live))
            live[i], live[-1] = live[-1], live[i]
            oid = live.pop()
            owner = ex.orders[oid].uid if oid in ex.orders else uid
            cmd: Command = CancelOrder(ts, owner, SYMBOL, oid, "")
        elif r < 0.45:
            side = Side.BUY if rnd.random() < 0.5 else Side.SELL
            qty = rnd.randint(1, 20) * 1000 * (MID if side is Side.BUY else 1)
            cmd = PlaceOrder(ts, uid, SYMBOL, side, OrderType.MARKET, Force.NORMAL, 0, qty, "")
        else:
            cmd = _limit(rnd, uid, ts)
        result, _ = ex.apply(cmd)
        if isinstance(result, OrderAck) and result.order_id in ex.orders:
            live.append(result.order_id)
        cmds.append(cmd)
        if len(cmds) == snap_at:
            state = ex.export_state()
    return cmds, state, ex


def write_data_dir(d: Path, cmds: list[Command], snap_at: int, state: Any) -> int:
    """Journal ``cmds``, save ``state`` as the snapshot at ``snap_at``, and mark the read
    models up to date (the commands' history is not needed here); the journal's size."""
    with Journal.open(d) as jr:
        for first in range(0, len(cmds), 4096):
            chunk = cmds[first : first + 4096]
            jr.append_batch([(first + i + 1, codec.encode(c)) for i, c in enumerate(chunk)])
        size = jr.size_bytes()
    SnapshotStore(d).save(snap_at, codec.encode_state(state))
    store = SqliteStore(d / "history.sqlite3", MARKETS)
    store.write(len(cmds), [])
    store.close()
    return size


def build_data_dir(d: Path, n: int, snap_at: int) -> tuple[list[Command], str]:
    """A data dir as a server leaves it after ``n`` commands (snapshot at ``snap_at``)."""
    t0 = time.perf_counter()
    cmds, state, ex = _flow(n, snap_at)
    size = write_data_dir(d, cmds, snap_at, state)
    print(
        f"built {n:,} commands ({size / 1e6:.0f} MB of journal, snapshot at {snap_at:,}, "
        f"{len(ex.orders):,} open orders at the end) in {time.perf_counter() - t0:.0f}s"
    )
    return cmds, ex.state_hash()


def recover_once(d: Path) -> dict[str, Any]:
    """Open ``d`` (in a fresh process, as a restart would); timings and the state hash."""
    wall, cpu = time.perf_counter(), time.process_time()
    rt = Runtime.open(d, MARKETS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rep = rt.recovery
    assert rep is not None and rep.stats is not None
    got = {"wall": wall, "cpu": cpu, "hash": rt.exchange.state_hash(), "report": asdict(rep)}
    rt.journal.close()
    rt.store.close()
    return got


def bench_recovery(d: Path, case: str, want: str) -> None:
    proc = subprocess.run(
        [sys.executable, __file__, "--recover", str(d)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    got = json.loads(proc.stdout.splitlines()[-1])
    assert got["hash"] == want, f"{case}: recovered a different state"
    rep, st = got["report"], got["report"]["stats"]
    n = st["records"]
    row(
        f"recovery, {case}",
        f"{got['wall']:.2f} s wall",
        f"{got['cpu']:.2f} s cpu",
        f"{n:,} rec",
        "",
    )
    parts = [
        ("journal open (checks the last segment)", rep["journal_seconds"], 0),
        ("snapshot load", rep["snapshot_seconds"], 0),
        ("read + check frames", st["read"], n),
        ("decode", st["decode"], n),
        ("apply (engine)", st["apply"], n),
        ("read models", st["read_models"], n),
    ]
    for name, secs, per in parts:
        row(f"    {name}", f"{secs:.2f} s", f"{secs / per * 1e6:.2f} us/rec" if per else "", "", "")


# --------------------------------------------------------------------------- d. snapshots


def build_book(d: Path, n: int) -> None:
    """A data dir whose book holds ``n`` resting orders of one user (snapshot at the end)."""
    ex = Exchange(MARKETS)
    cmds = _setup(1)
    rnd = random.Random(11)
    for _ in range(n):
        price, qty = MID - 100 - rnd.randrange(1000), rnd.randint(1, 10) * 100
        cmds.append(PlaceOrder(T0, 10001, SYMBOL, Side.BUY, OrderType.LIMIT, Force.NORMAL,
                               price, qty, ""))  # fmt: skip
    for cmd in cmds:
        ex.apply(cmd)
    assert len(ex.orders) == n
    write_data_dir(d, cmds, len(cmds), ex.export_state())


async def _snapshot_pause(rt: Runtime, in_child: bool) -> tuple[float, float]:
    """The longest event-loop pause while one snapshot is taken, and the snapshot's time."""
    loop = asyncio.get_running_loop()
    longest = 0.0
    done = False

    async def ticker() -> None:
        nonlocal longest
        last = loop.time()
        while not done:
            await asyncio.sleep(0.001)
            now = loop.time()
            longest = max(longest, now - last)
            last = now

    await rt.submit(CancelOrder(0, 10001, SYMBOL, 1, ""))  # a change since the last snapshot
    rt.snapshot_in_child = in_child
    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    await rt.snapshot()
    took = time.perf_counter() - t0
    await asyncio.sleep(0.05)
    done = True
    await tick
    return longest, took


def bench_snapshot_pause(workdir: Path, orders: int, loop_name: str) -> None:
    d = workdir / "book"
    build_book(d, orders)
    rt = Runtime.open(d, MARKETS, snapshot_every=10**9, snapshot_interval_ms=10**9)

    async def main() -> list[tuple[bool, float, float]]:
        results = []
        async with asyncio.TaskGroup() as tg:
            tg.create_task(rt.run())
            for in_child in (False, True, False, True):
                results.append((in_child, *await _snapshot_pause(rt, in_child)))
            await rt.close()
        return results

    runner = asyncio.Runner(loop_factory=_loop_factory() if loop_name == "uvloop" else None)
    with runner:
        results = runner.run(main())
    rt.close_files()
    for in_child, pause, took in results:
        how = "forked child" if in_child else "on the event loop"
        row(f"snapshot, {orders:,} resting orders, {how}", f"{took:.2f} s", "",
            f"{_ms(pause)} pause", "")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="directory on the filesystem to test (default: temp)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput case")
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--bulk", type=int, default=100,
                        help="users per submit_many of the bulk case (0: none)")  # fmt: skip
    parser.add_argument("--window", type=float, default=0,
                        help="also the runtime cases' rate per window of this many s")  # fmt: skip
    parser.add_argument("--max-resting", type=int, default=0,
                        help="runtime cases: users cancel their oldest order beyond this many "
                        "(0: half of the orders just placed; the book grows)")  # fmt: skip
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--tail", type=int, default=10_000, help="records after the snapshot")
    parser.add_argument("--book", type=int, default=1_000_000,
                        help="resting orders of the snapshot-pause case (0: none)")  # fmt: skip
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="uvloop",
                        help="event loop of the runtime case (the server uses uvloop)")  # fmt: skip
    parser.add_argument("--recover", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    tune_gc()  # the server's garbage-collector settings
    if args.recover is not None:
        print(json.dumps(recover_once(args.recover)))
        return
    if args.loop == "uvloop" and _loop_factory() is None:
        parser.error("uvloop is not installed")
    if args.tasks < 1:  # (also the number of users of the bare-engine reference)
        parser.error("--tasks must be at least 1")
    workdir = Path(tempfile.mkdtemp(prefix="openweex-bench-", dir=args.dir))
    compiled = not str(book_module.__file__).endswith(".py")
    print(f"directory: {workdir}; engine: {'compiled (mypyc)' if compiled else 'pure Python'}; "
          f"event loop: {args.loop}")  # fmt: skip
    try:
        row("case", "rate / time", "p50", "p99", "")
        bench_raw(workdir, 1, args.seconds)
        bench_raw(workdir, 64, args.seconds)
        bench_runtime(
            workdir,
            args.tasks,
            args.seconds,
            args.loop,
            args.bulk,
            args.window,
            args.max_resting,
        )
        d = workdir / "recovery"
        _, want = build_data_dir(d, args.records, args.records - args.tail)
        bench_recovery(d, f"snapshot + {args.tail:,} records", want)
        shutil.move(d / "snapshots", workdir / "snapshots")
        bench_recovery(d, "full replay", want)
        for f in d.glob("history.sqlite3*"):
            f.unlink()
        bench_recovery(d, "full replay + read models rebuilt", want)
        if args.book:
            bench_snapshot_pause(workdir, args.book, args.loop)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
