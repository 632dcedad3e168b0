"""Matching engine throughput and latency, beside a reference engine in the same run.

Workload (bench/workload.py, seeded): one symbol, 1,000 users, about 25% cancels, 5% market
orders, limit orders within 50 ticks of the mid of which about 10% cross. openweex runs it
with balances, freezes, fees, bills, market data and events; the reference is the PyPI
package ``matching-engine`` (a pure-Python engine without balances or fees) replaying the
same operations in its own Python 3.12 virtual environment, created on first use under
``bench/.venv-ref`` when ``python3.12`` (or ``--ref-python``) is available.

Scenarios: the base workload; the same after pre-filling the book with 100, 10,000 and
100,000 resting orders; and a trending mid price instead of a random one.

Both engines run with the garbage-collector settings the server uses (see
``openweex.runtime.tune_gc``); ``--ref-default-gc`` runs the reference with Python's defaults
instead. Usage: ``python bench/bench_engine.py [--n 300000]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from openweex.domain.commands import CancelOrder, CreateAccount, Deposit, PlaceOrder
from openweex.domain.markets import default_markets
from openweex.domain.values import Force, OrderType, Side
from openweex.engine import book as book_module
from openweex.engine import tuples
from openweex.engine.exchange import FIRST_ORDER_ID, Exchange
from openweex.runtime import tune_gc
from workload import Op, make_workload, prefill

HERE = Path(__file__).resolve().parent
SYMBOL = "BTCUSDT_SPBL"
USERS = 1000


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


def run_openweex(ops: list[Op], warm: int) -> dict[str, float]:
    ex = Exchange(default_markets())
    uids = [ex.apply(CreateAccount(1))[0] for _ in range(USERS)]
    for u in uids:
        ex.apply(Deposit(1, u, "USDT", 10**22))
        ex.apply(Deposit(1, u, "BTC", 10**20))
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
    ex2 = Exchange(default_markets())
    for _ in range(USERS):
        ex2.apply(CreateAccount(1))
    for u in uids:
        ex2.apply(Deposit(1, u, "USDT", 10**22))
        ex2.apply(Deposit(1, u, "BTC", 10**20))
    lat = []
    clock = time.perf_counter_ns
    apply2 = ex2.apply
    for c in cmds:
        t = clock()
        apply2(c)
        lat.append(clock() - t)
    lat = sorted(lat[warm:])
    gc.unfreeze()
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000, help="commands per scenario")
    ap.add_argument("--ref-python", help="a python3.12 to build the reference venv with")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument(
        "--ref-default-gc",
        action="store_true",
        help="run the reference with Python's default garbage-collector settings",
    )
    args = ap.parse_args()
    compiled = book_module.__file__ is not None and not book_module.__file__.endswith(".py")
    events_c = tuples.compiled()
    print(
        f"openweex engine: {'compiled (mypyc)' if compiled else 'pure Python'}, "
        f"events built {'in C' if events_c else 'with tuple.__new__'}; "
        f"python {sys.version.split()[0]}"
    )
    py = ref_python(args.ref_python)
    rows = []
    print(
        f"{'scenario':32} {'openweex/s':>11} {'p50 us':>7} {'p99 us':>7} {'trades':>7} "
        f"{'ref/s':>9} {'p50 us':>7} {'p99 us':>7} {'ratio':>6}"
    )
    for label, ops, warm in scenarios(args.n):
        ours = run_openweex(ops, warm)
        ref = run_reference(py, ops, warm, tuned_gc=not args.ref_default_gc)
        ours_rate = ours["commands"] / ours["seconds"]
        line = (
            f"{label:32} {ours_rate:11,.0f} {ours['p50_ns'] / 1000:7.1f} "
            f"{ours['p99_ns'] / 1000:7.1f} {ours['trades']:7,.0f}"
        )
        if ref is not None:
            ref_rate = ref["commands"] / ref["seconds"]
            line += (
                f" {ref_rate:9,.0f} {ref['p50_ns'] / 1000:7.1f} {ref['p99_ns'] / 1000:7.1f}"
                f" {ours_rate / ref_rate:6.2f}"
            )
        print(line, flush=True)
        rows.append({"scenario": label, "openweex": ours, "reference": ref})
    if args.json:
        report = {"compiled": compiled, "events_c": events_c, "rows": rows}
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
