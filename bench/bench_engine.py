"""Matching engine throughput and latency, beside a reference engine in the same run.

Workload (bench/workload.py, seeded): one symbol, 1,000 users, about 25% cancels, 5% market
orders, limit orders within 50 ticks of the mid of which about 10% cross. openweex runs it
with balances (each user holds 10,000,000 USDT and 1,000 BTC), freezes, fees, bills, market
data and events; the reference is the PyPI
package ``matching-engine`` (a pure-Python engine without balances or fees) replaying the
same operations in its own Python 3.12 virtual environment, created on first use under
``bench/.venv-ref`` when ``python3.12`` (or ``--ref-python``) is available.

Scenarios: the base workload; the same after pre-filling the book with 100, 10,000 and
100,000 resting orders; and a trending mid price instead of a random one.

Both engines run with the garbage-collector settings the server uses (see
``openweex.gcsettings.tune_gc``); ``--ref-default-gc`` runs the reference with Python's defaults
instead.

Each scenario runs ``--repeat`` times (default 3), alternating with the reference; the
table shows medians, and for p99 also the lowest and highest run (the machine's own noise
moves single runs by up to 2x). Usage: ``python bench/bench_engine.py [--n 300000]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from openweex.domain.commands import CancelOrder, CreateAccount, Deposit, PlaceOrder
from openweex.domain.errors import INSUFFICIENT_BALANCE, Reject
from openweex.domain.markets import default_markets
from openweex.domain.values import Force, OrderType, Side
from openweex.engine import book as book_module
from openweex.engine import tuples
from openweex.engine.exchange import FIRST_ORDER_ID, Exchange
from openweex.gcsettings import tune_gc
from workload import Op, make_workload, prefill

HERE = Path(__file__).resolve().parent
SYMBOL = "BTCUSDT_SPBL"
USERS = 1000
# What each user deposits, in smallest units (8 decimals): 10,000,000 USDT and 1,000 BTC,
# enough that no order of the workload is short of funds. ``--huge-balances`` deposits
# 10**22 and 10**20 units instead: beyond 2**62, where every balance change becomes
# multi-digit integer arithmetic (no real account is that large: 2**62 units of USDT are
# 46 billion USDT).
FUNDS = {"USDT": 10**15, "BTC": 10**11}
HUGE_FUNDS = {"USDT": 10**22, "BTC": 10**20}


def to_commands(ex: Exchange, ops: list[Op], uids: list[int]) -> list[Any]:
    sym = ex.markets.symbols[SYMBOL]
    out: list[Any] = []
    limit_ids: list[int] = []
    next_id = FIRST_ORDER_ID
    for op in ops:
        kind = op[0]
        if kind == "limit":
            side = Side.BUY if op[2] == "buy" else Side.SELL
            out.append(
                PlaceOrder(
                    1, uids[op[1]], SYMBOL, side, OrderType.LIMIT, Force.NORMAL, op[3], op[4], ""
                )
            )
            limit_ids.append(next_id)
            next_id += 1
        elif kind == "market":
            if op[2] == "buy":
                budget = op[3] * op[4] * sym.notional_mult
                out.append(
                    PlaceOrder(
                        1,
                        uids[op[1]],
                        SYMBOL,
                        Side.BUY,
                        OrderType.MARKET,
                        Force.NORMAL,
                        0,
                        budget,
                        "",
                    )
                )
            else:
                out.append(
                    PlaceOrder(
                        1,
                        uids[op[1]],
                        SYMBOL,
                        Side.SELL,
                        OrderType.MARKET,
                        Force.NORMAL,
                        0,
                        op[3],
                        "",
                    )
                )
            next_id += 1
        else:
            out.append(CancelOrder(1, uids[op[1]], SYMBOL, limit_ids[op[2]], ""))
    return out


def ref_ops(ops: list[Op]) -> list[list[Any]]:
    """The ops with cancels naming the reference's order id (the op's 1-based position)."""
    positions = [i + 1 for i, op in enumerate(ops) if op[0] == "limit"]
    return [
        ["cancel", op[1], "", positions[op[2]]] if op[0] == "cancel" else list(op) for op in ops
    ]


def funded_exchange(funds: dict[str, int]) -> tuple[Exchange, list[int]]:
    ex = Exchange(default_markets())
    uids = [ex.apply(CreateAccount(1))[0] for _ in range(USERS)]
    for u in uids:
        for coin, amount in funds.items():
            ex.apply(Deposit(1, u, coin, amount))
    return ex, uids


def run_openweex(ops: list[Op], warm: int, funds: dict[str, int]) -> dict[str, float]:
    ex, uids = funded_exchange(funds)
    cmds = to_commands(ex, ops, uids)
    apply = ex.apply
    for c in cmds[:warm]:
        apply(c)
    tune_gc()
    t0 = time.perf_counter()
    for c in cmds[warm:]:
        apply(c)
    dt = time.perf_counter() - t0
    ex.check_invariants()
    trades = ex.next_trade_id - 1
    # Latency pass on a fresh engine: per-command timing adds its own small overhead.
    ex2, _ = funded_exchange(funds)
    lat = []
    short = 0
    clock = time.perf_counter_ns
    apply2 = ex2.apply
    for c in cmds:
        t = clock()
        r = apply2(c)
        lat.append(clock() - t)
        if type(r[0]) is Reject and r[0].code == INSUFFICIENT_BALANCE:
            short += 1
    lat = sorted(lat[warm:])
    gc.unfreeze()
    if short:
        print(f"warning: {short:,} orders were short of funds", file=sys.stderr)
    return {
        "commands": len(cmds) - warm,
        "seconds": dt,
        "trades": trades,
        "p50_ns": lat[len(lat) // 2],
        "p99_ns": lat[int(len(lat) * 0.99)],
    }


def _runs(py: str) -> bool:
    try:
        return subprocess.run([py, "-c", "pass"], capture_output=True).returncode == 0
    except OSError:
        return False


def _python312_candidates(explicit: str | None) -> list[str]:
    found = [c for c in (explicit, shutil.which("python3.12")) if c]
    if shutil.which("pyenv"):
        r = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True)
        for v in reversed(r.stdout.split()):
            if v.startswith("3.12"):
                prefix = subprocess.run(["pyenv", "prefix", v], capture_output=True, text=True)
                found.append(str(Path(prefix.stdout.strip()) / "bin" / "python3.12"))
    return found


def ref_python(explicit: str | None) -> str | None:
    venv = HERE / ".venv-ref"
    py = venv / "bin" / "python"
    if py.exists():
        return str(py)
    base = next((c for c in _python312_candidates(explicit) if _runs(c)), None)
    if base is None:
        return None
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "matching-engine"], capture_output=True, text=True
    )
    return str(py) if r.returncode == 0 else None


def run_reference(
    py: str | None, ops: list[Op], warm: int, tuned_gc: bool = True
) -> dict[str, float] | None:
    if py is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"ops": ref_ops(ops), "warm": warm}, fh)
    try:
        env = dict(os.environ)
        if tuned_gc:
            env["OPENWEEX_REF_GC"] = "1"
        r = subprocess.run(
            [py, str(HERE / "ref_matching_engine.py"), fh.name],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        result: dict[str, float] = json.loads(r.stdout.strip().splitlines()[-1])
        return result
    finally:
        os.unlink(fh.name)


def scenarios(n: int) -> list[tuple[str, list[Op], int]]:
    base = make_workload(n)
    out = [("random mid, empty book", base, 0)]
    for label, levels, per in (("100", 50, 1), ("10,000", 500, 10), ("100,000", 1000, 50)):
        pre = prefill(levels, per)
        out.append((f"random mid, {label} resting", pre + base, len(pre)))
    out.append(("trending mid", make_workload(n, trend=0.05), 0))
    return out


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    """Medians over repeated runs of one scenario; p99's lowest and highest too."""
    p99 = [r["p99_ns"] for r in runs]
    return {
        "rate": statistics.median(r["commands"] / r["seconds"] for r in runs),
        "p50_ns": statistics.median(r["p50_ns"] for r in runs),
        "p99_ns": statistics.median(p99),
        "p99_min_ns": min(p99),
        "p99_max_ns": max(p99),
        "trades": runs[0].get("trades", 0),
    }


def fmt_latency(s: dict[str, float]) -> str:
    span = f"{s['p99_min_ns'] / 1000:.1f}-{s['p99_max_ns'] / 1000:.1f}"
    return f"{s['p50_ns'] / 1000:7.1f} {s['p99_ns'] / 1000:7.1f} {span:>11}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000, help="commands per scenario")
    ap.add_argument("--ref-python", help="a python3.12 to build the reference venv with")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per scenario (medians are reported)"
    )
    ap.add_argument(
        "--ref-default-gc",
        action="store_true",
        help="run the reference with Python's default garbage-collector settings",
    )
    ap.add_argument(
        "--huge-balances",
        action="store_true",
        help="deposit 10**22 USDT and 10**20 BTC units per user (beyond 2**62)",
    )
    args = ap.parse_args()
    funds = HUGE_FUNDS if args.huge_balances else FUNDS
    compiled = book_module.__file__ is not None and not book_module.__file__.endswith(".py")
    events_c = tuples.compiled()
    print(
        f"openweex engine: {'compiled (mypyc)' if compiled else 'pure Python'}, "
        f"events built {'in C' if events_c else 'with tuple.__new__'}; "
        f"python {sys.version.split()[0]}; deposits per user: "
        + ", ".join(f"{amount:.0e} {coin}" for coin, amount in funds.items())
    )
    py = ref_python(args.ref_python)
    rows = []
    print(
        f"each scenario runs {args.repeat} times, alternating with the reference: "
        "medians (p99: median, with the range over the runs)"
    )
    print(
        f"{'scenario':32} {'openweex/s':>11} {'p50 us':>7} {'p99 us':>7} {'p99 range':>11} "
        f"{'trades':>7} {'ref/s':>9} {'p50 us':>7} {'p99 us':>7} {'p99 range':>11} {'ratio':>6}"
    )
    for label, ops, warm in scenarios(args.n):
        ours_runs: list[dict[str, float]] = []
        ref_runs: list[dict[str, float]] = []
        for _ in range(args.repeat):
            ours_runs.append(run_openweex(ops, warm, funds))
            ref = run_reference(py, ops, warm, tuned_gc=not args.ref_default_gc)
            if ref is not None:
                ref_runs.append(ref)
        ours = summary(ours_runs)
        line = f"{label:32} {ours['rate']:11,.0f} {fmt_latency(ours)} {ours['trades']:7,.0f}"
        if ref_runs:
            ref_sum = summary(ref_runs)
            line += f" {ref_sum['rate']:9,.0f} {fmt_latency(ref_sum)}"
            line += f" {ours['rate'] / ref_sum['rate']:6.2f}"
        print(line, flush=True)
        rows.append({"scenario": label, "openweex": ours_runs, "reference": ref_runs})
    if args.json:
        report = {"compiled": compiled, "events_c": events_c, "rows": rows}
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
