"""Soak: a real ``openweex serve`` under a mixed load for a while, watched for leaks.

Run ``python bench/bench_soak.py --minutes 15`` (``--help`` for options). It starts the
server in a fresh temporary data directory and drives it through the SDK, the way bots do:

* ``--traders`` users place limit orders around a mid price (some crossing), cancel some of
  them (also ones that filled meanwhile: those answer 43001), send a market order now and
  then, and every 15 orders read open orders, history, fills, bills, assets, depth and
  candles;
* ``--public`` clients in a loop: connect to ``/ws``, subscribe to a random set of the
  symbol's public channels, read for 0.2-2 s, disconnect;
* ``--private`` users in a loop: open a private stream (a new listen key, closed again at
  the end), read for 0.2-1.5 s, close it.

Every ``--every`` seconds it prints the server's resident memory, the read-model writer
process's, the server's open file descriptors and what was done so far. At the end it stops
the server with SIGTERM, runs ``openweex data check`` on the data directory and prints a
summary: the memory at a quarter of the run and at the end, its growth over the second half
(MB per minute) and the range of open descriptors. A leak shows as growth that does not
level off; the read-model writer grows until SQLite's page cache (32 MiB) is full.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import bench_ws
from bench_ws import Server
from openweex.client import ApiError, AsyncClient, Stream, private_stream, public_stream
from procstat import children, rss_mb

SYMBOL = "BTCUSDT_SPBL"
MID = 60_000
PUBLIC = [
    "spot@public.deals.v3.api@BTCUSDT",
    "spot@public.increase.depth.v3.api@BTCUSDT",
    "spot@public.bookTicker.v3.api@BTCUSDT",
    "spot@public.kline.v3.api@BTCUSDT@Min1",
    "spot@public.limit.depth.v3.api@BTCUSDT@5",
]


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def error(self, exc: BaseException) -> None:
        self.errors[f"{type(exc).__name__} {getattr(exc, 'code', '')}".strip()] += 1


def client(server: Server, key: dict[str, str]) -> AsyncClient:
    return AsyncClient(server.url, key["apiKey"], key["secretKey"], key["passphrase"])


async def trader(server: Server, key: dict[str, str], stop: float, seed: int, t: Tally) -> None:
    rnd = random.Random(seed)
    resting: list[str] = []
    async with client(server, key) as c:
        n = 0
        while time.monotonic() < stop:
            n += 1
            try:
                r = rnd.random()
                if r < 0.05:
                    buy = rnd.random() < 0.5
                    size = Decimal(100) if buy else Decimal("0.001")  # quote for a buy
                    await c.place_order(SYMBOL, "buy" if buy else "sell", "market", size)
                    t.done["market orders"] += 1
                elif (r < 0.35 and resting) or len(resting) > 200:
                    await c.cancel_order(SYMBOL, resting.pop(rnd.randrange(len(resting))))
                    t.done["cancels"] += 1
                else:
                    buy = rnd.random() < 0.5
                    off = rnd.randint(-20, 200)  # some cross the spread
                    price = Decimal(MID - off if buy else MID + off)
                    qty = Decimal("0.0001") * rnd.randint(1, 20)
                    order = await c.place_order(
                        SYMBOL, "buy" if buy else "sell", "limit", qty, price=price
                    )
                    resting.append(order.order_id)
                    t.done["limit orders"] += 1
                if n % 15 == 0:
                    await c.get_open_orders(SYMBOL)
                    await c.get_order_history(SYMBOL)
                    await c.get_fills(SYMBOL)
                    await c.get_bills()
                    await c.get_assets()
                    await c.get_depth(SYMBOL)
                    await c.get_candles(SYMBOL, "1min")
                    t.done["queries"] += 7
            except ApiError as exc:
                t.error(exc)


async def read_for(stream: Stream, seconds: float, t: Tally) -> None:
    async def read() -> None:
        async for _ in stream:
            t.done["frames"] += 1

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), seconds)


async def public_churn(server: Server, stop: float, seed: int, t: Tally) -> None:
    rnd = random.Random(seed)
    while time.monotonic() < stop:
        try:
            channels = rnd.sample(PUBLIC, rnd.randint(1, len(PUBLIC)))
            async with public_stream(channels, base_url=server.url) as stream:
                await read_for(stream, rnd.uniform(0.2, 2.0), t)
            t.done["public sessions"] += 1
        except Exception as exc:  # counted and shown: a soak keeps going
            t.error(exc)


async def private_churn(
    server: Server, key: dict[str, str], stop: float, seed: int, t: Tally
) -> None:
    rnd = random.Random(seed)
    async with client(server, key) as c:
        while time.monotonic() < stop:
            try:
                async with private_stream(c) as stream:
                    await read_for(stream, rnd.uniform(0.2, 1.5), t)
                t.done["private sessions"] += 1
            except Exception as exc:
                t.error(exc)


async def watch(
    server: Server, stop: float, every: float, t: Tally, samples: list[tuple[float, ...]]
) -> None:
    start = time.monotonic()
    pid = server.proc.pid
    while True:
        now = time.monotonic()
        kids = children(pid)
        writer = rss_mb(kids[0]) if kids else float("nan")
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        samples.append((now - start, rss_mb(pid), writer, fds))
        done = ", ".join(f"{k} {v:,}" for k, v in sorted(t.done.items()))
        print(
            f"{(now - start) / 60:5.1f} min  server {samples[-1][1]:6.1f} MB  writer"
            f" {writer:5.1f} MB  fds {fds:3d}  {done}",
            flush=True,
        )
        if now >= stop:
            return
        await asyncio.sleep(min(every, max(0.0, stop - now)))


async def soak(server: Server, args: argparse.Namespace) -> tuple[Tally, list[tuple[float, ...]]]:
    funds = {"BTC": "100", "USDT": "10000000"}
    keys = [server.user(funds) for _ in range(args.traders + args.private)]
    t = Tally()
    samples: list[tuple[float, ...]] = []
    stop = time.monotonic() + args.minutes * 60
    async with asyncio.TaskGroup() as tg:
        for i, key in enumerate(keys[: args.traders]):
            tg.create_task(trader(server, key, stop, i, t))
        for i in range(args.public):
            tg.create_task(public_churn(server, stop, 100 + i, t))
        for i, key in enumerate(keys[args.traders :]):
            tg.create_task(private_churn(server, key, stop, 200 + i, t))
        tg.create_task(watch(server, stop, args.every, t, samples))
    return t, samples


def report(t: Tally, samples: list[tuple[float, ...]], check: str) -> None:
    end = samples[-1]
    quarter = min(samples, key=lambda s: abs(s[0] - end[0] / 4))
    second_half = [s for s in samples if s[0] >= end[0] / 2]
    growth = (second_half[-1][1] - second_half[0][1]) / max(
        (second_half[-1][0] - second_half[0][0]) / 60, 1e-9
    )
    fds = [int(s[3]) for s in samples]
    print(f"\nsoak of {end[0] / 60:.1f} min:", ", ".join(f"{k} {v:,}" for k, v in t.done.items()))
    print(f"errors: {dict(t.errors) or 'none'} (43001: cancels of orders that filled meanwhile)")
    print(
        f"server memory: {quarter[1]:.1f} MB at {quarter[0] / 60:.1f} min, {end[1]:.1f} MB at"
        f" the end; {growth:+.2f} MB/min over the second half"
    )
    print(f"read-model writer: {quarter[2]:.1f} MB, then {end[2]:.1f} MB")
    print(f"open descriptors: {min(fds)}-{max(fds)}")
    print("openweex data check:", check.removeprefix("check: "))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--traders", type=int, default=10)
    p.add_argument("--public", type=int, default=4, help="public WebSocket clients")
    p.add_argument("--private", type=int, default=2, help="users opening private streams")
    p.add_argument("--every", type=float, default=30, help="seconds between samples")
    args = p.parse_args()
    bench_ws.PIN = False  # a soak runs as a server would: wherever the system puts it
    server = Server.start()
    try:
        t, samples = asyncio.run(soak(server, args))
        server.proc.terminate()
        server.proc.wait(60)
        out = subprocess.run(
            [sys.executable, "-m", "openweex", "data", "check", "--data-dir", str(server.data_dir)],
            capture_output=True,
            text=True,
        )
        lines = (out.stdout + out.stderr).strip().splitlines()
        check = lines[-1] if lines else f"no output (exit {out.returncode})"
    finally:
        server.stop()
    report(t, samples, check)


if __name__ == "__main__":
    main()
