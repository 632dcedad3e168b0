"""Crash driver: SIGKILL a real ``openweex serve`` under load and check what survived.

Client threads (one user each) place limit and market orders, cancel their open orders and
read their fills over HTTP, and record every acknowledged order, every acknowledged cancel and
every fill they have seen in a response. At a random (seeded) moment the server is killed with
SIGKILL, restarted on the same data directory, and checked:

* every acknowledged order is there (orderInfo), with its side, price and quantity, and is
  cancelled if its cancel was acknowledged;
* every fill a client saw is there (fills), with the same price, quantity and fee;
* money is conserved: per coin, the users' balances (available + frozen + locked) plus every
  fee of every fill equal the deposits (the users only trade with each other);
* at the end, after a clean stop, ``openweex data check`` passes: engine invariants (frozen
  funds equal the holds of open orders, so nothing unacknowledged is half applied), read
  models agreeing with the engine, and every snapshot equal to the replayed journal.

Used by ``tests/durability/test_crash.py`` (a few dozen kills) and ``bench/bench_crash.py``.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import ServerProcess, User
from tests.support.signing import SignedClient

SYMBOL = "BTCUSDT_SPBL"
DEPOSITS = {"USDT": Decimal("10000000"), "BTC": Decimal("1000")}
ORDERS = "/api/spot/v1/trade/orders"


@dataclass
class Known:
    """What the clients were told (acknowledged), across all runs."""

    orders: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    cancels: set[str] = field(default_factory=set)
    fills: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    unchecked: list[str] = field(default_factory=list)


@dataclass
class Stats:
    kills: int = 0
    requests: int = 0
    lost_requests: int = 0
    torn_tails: int = 0
    recovery_lines: list[str] = field(default_factory=list)


def _dec(text: str) -> Decimal:
    return Decimal(text).normalize()


class Trader(threading.Thread):
    def __init__(self, index: int, url: str, user: User, known: Known, seed: int) -> None:
        super().__init__(daemon=True)
        self.index = index
        self.client = SignedClient(url, user, httpx.Client(base_url=url, timeout=10))
        self.known = known
        self.rnd = random.Random(seed)
        self.stop = threading.Event()
        self.requests = 0
        self.lost = 0
        self.open: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.requests += 1
                self.step()
            except (httpx.HTTPError, ValueError):
                self.lost += 1  # no answer: the outcome is unknown
                self.stop.wait(0.02)
        self.client.http.close()

    def step(self) -> None:
        r = self.rnd.random()
        if r < 0.55:
            self.place_limit()
        elif r < 0.65:
            self.place_market()
        elif r < 0.85 and self.open:
            self.cancel(self.open.pop(self.rnd.randrange(len(self.open))))
        else:
            self.read_fills()

    def place_limit(self) -> None:
        side = self.rnd.choice(("buy", "sell"))
        ticks = 3_000_000 + self.rnd.randint(-20, 20)
        body = {
            "symbol": SYMBOL,
            "side": side,
            "orderType": "limit",
            "force": self.rnd.choice(("normal", "normal", "normal", "ioc", "post_only")),
            "price": str(Decimal(ticks) / 100),
            "quantity": str(Decimal(self.rnd.randint(100, 5000)) / 10**6),
        }
        r = self.client.post(ORDERS, body)
        if r["code"] == "00000":
            self.acked(r["data"]["orderId"], body)
            self.open.append(r["data"]["orderId"])

    def place_market(self) -> None:
        side = self.rnd.choice(("buy", "sell"))
        qty = str(self.rnd.randint(10, 200)) if side == "buy" else "0.001"
        body = {"symbol": SYMBOL, "side": side, "orderType": "market", "quantity": qty}
        r = self.client.post(ORDERS, {**body, "force": "normal"})
        if r["code"] == "00000":
            self.acked(r["data"]["orderId"], body)

    def acked(self, order_id: str, body: dict[str, str]) -> None:
        with self.known.lock:
            self.known.orders[order_id] = (self.index, body)
            self.known.unchecked.append(order_id)

    def cancel(self, order_id: str) -> None:
        r = self.client.post(
            "/api/spot/v1/trade/cancel-order", {"symbol": SYMBOL, "orderId": order_id}
        )
        if r["code"] == "00000":
            with self.known.lock:
                self.known.cancels.add(order_id)
                self.known.unchecked.append(order_id)

    def read_fills(self) -> None:
        r = self.client.post("/api/spot/v1/trade/fills", {"symbol": SYMBOL, "limit": "100"})
        if r["code"] == "00000":
            with self.known.lock:
                for f in r["data"]:
                    self.known.fills[f["fillId"]] = (self.index, f)


class CrashRun:
    """One data directory, killed and restarted again and again."""

    def __init__(self, data_dir: Path, seed: int, users: int = 4, snapshot_every: int = 400):
        self.data_dir = data_dir
        self.rnd = random.Random(seed)
        self.seed = seed
        self.args = ["--no-rate-limits", "--snapshot-every", str(snapshot_every)]
        self.server = ServerProcess(data_dir, self.args)
        self.known = Known()
        self.stats = Stats()
        self.users: list[User] = []
        self.n_users = users

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self.server = ServerProcess(self.data_dir, self.args).start(timeout=60)
        out = "".join(self.server.output)
        self.stats.torn_tails += out.count("torn tail")
        self.stats.recovery_lines += [ln.strip() for ln in self.server.output if "recovered" in ln]
        if not self.users:
            funds = {coin: str(amount) for coin, amount in DEPOSITS.items()}
            self.users = [self.server.new_user(funds) for _ in range(self.n_users)]

    def cycle(self, min_s: float = 0.05, max_s: float = 0.6) -> None:
        """Load, SIGKILL at a random moment, restart, check."""
        traders = [
            Trader(i, self.server.url, u, self.known, self.rnd.randrange(2**32))
            for i, u in enumerate(self.users)
        ]
        for t in traders:
            t.start()
        time.sleep(self.rnd.uniform(min_s, max_s))
        self.server.kill()
        self.stats.kills += 1
        for t in traders:
            t.stop.set()
        for t in traders:
            t.join(30)
            self.stats.requests += t.requests
            self.stats.lost_requests += t.lost
        self.start()
        self.check_recent()

    # -- checks --------------------------------------------------------------------------
    def client(self, index: int) -> SignedClient:
        return SignedClient(self.server.url, self.users[index])

    def check_recent(self, sample: int = 20) -> None:
        with self.known.lock:
            recent, self.known.unchecked = self.known.unchecked, []
            older = list(self.known.orders)
        ids = set(recent) | set(self.rnd.sample(older, min(sample, len(older))))
        self.check_orders(sorted(ids))

    def check_orders(self, ids: list[str]) -> None:
        clients = [self.client(i) for i in range(len(self.users))]
        for oid in ids:
            index, body = self.known.orders[oid]
            r = clients[index].post("/api/spot/v1/trade/orderInfo", {"orderId": oid})
            assert r["code"] == "00000" and r["data"], f"acknowledged order {oid} is gone: {r}"
            row = r["data"][0]
            assert row["side"] == body["side"] and row["orderType"] == body["orderType"], row
            assert _dec(row["quantity"]) == _dec(body["quantity"]), (row, body)
            if body["orderType"] == "limit":
                assert _dec(row["price"]) == _dec(body["price"]), (row, body)
            if oid in self.known.cancels:
                assert row["status"] == "cancelled", f"cancel of {oid} was acknowledged: {row}"

    def check_fills(self) -> dict[str, Decimal]:
        """Every fill seen is there; returns the fees of all fills of all users per coin."""
        fees: dict[str, Decimal] = {}
        found: dict[str, dict[str, Any]] = {}
        for i in range(len(self.users)):
            client, after = self.client(i), None
            while True:
                params: dict[str, str] = {"symbol": SYMBOL, "limit": "500"}
                if after is not None:
                    params["after"] = after
                page = client.post("/api/spot/v1/trade/fills", params)["data"]
                for f in page:
                    found[f["fillId"]] = f
                    coin = f["feeCcy"].upper()
                    fees[coin] = fees.get(coin, Decimal(0)) + Decimal(f["fees"])
                if len(page) < 500:
                    break
                after = page[-1]["fillId"]
        for fill_id, (_, seen) in self.known.fills.items():
            assert found.get(fill_id) == seen, (
                f"fill {fill_id} seen as {seen}, now {found.get(fill_id)}"
            )
        return fees

    def check_money(self) -> None:
        fees = self.check_fills()
        held: dict[str, Decimal] = {}
        for user in self.users:
            info = self.server.admin("GET", f"/accounts/{user.uid}")
            for a in info["assets"]:
                coin = a["coinName"].upper()
                total = Decimal(a["available"]) + Decimal(a["frozen"]) + Decimal(a["lock"])
                held[coin] = held.get(coin, Decimal(0)) + total
        for coin, each in DEPOSITS.items():
            want = each * len(self.users)
            got = held.get(coin, Decimal(0)) + fees.get(coin, Decimal(0))
            assert got == want, f"{coin}: balances + fees {got} != deposits {want}"

    def finish(self) -> str:
        """Full checks, clean stop, then ``openweex data check``; returns its output."""
        self.check_orders(sorted(self.known.orders))
        self.check_money()
        assert self.server.stop() == 0
        proc = subprocess.run(
            [sys.executable, "-m", "openweex", "data", "check", "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "invariants: ok" in proc.stdout and "read models: up to date" in proc.stdout
        return proc.stdout
