"""``openweex serve --demo`` as a user runs it: liquidity, trading, restart, data round trip."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import ServerProcess, User
from tests.support.signing import SignedClient

SYMBOLS = ["BTCUSDT_SPBL", "ETHUSDT_SPBL", "SOLUSDT_SPBL", "ETHBTC_SPBL"]
DEMO_ARGS = ["--demo", "--no-rate-limits", "--seed", "3"]


def demo_user(srv: ServerProcess) -> User:
    fields = {}
    for line in srv.output:
        if line.startswith("demo ") and ": " in line:
            key, value = line.strip().split(": ", 1)
            fields[key] = value
    return User(
        fields["demo uid"],
        fields["demo api key"],
        fields["demo secret key"],
        fields["demo passphrase"],
    )


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def public(srv: ServerProcess, path: str, **params: str) -> Any:
    body = httpx.get(f"{srv.url}/api/spot/v1/market/{path}", params=params, timeout=10).json()
    assert body["code"] == "00000", body
    return body["data"]


def cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "openweex", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def check_summary(data_dir: Path) -> dict[str, str]:
    out = cli("data", "check", "--data-dir", str(data_dir))
    assert "invariants: ok" in out
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return lines


def _trade_as_demo(srv: ServerProcess, user: User) -> None:
    client = SignedClient(srv.url, user)
    order = {"symbol": "BTCUSDT_SPBL", "orderType": "market", "force": "normal"}
    r = client.post("/api/spot/v1/trade/orders", {**order, "side": "buy", "quantity": "1000"})
    assert r["code"] == "00000", r
    info = client.post("/api/spot/v1/trade/orderInfo", {"orderId": r["data"]["orderId"]})
    assert info["data"][0]["status"] == "full_fill", info
    assert float(info["data"][0]["fillQuantity"]) > 0
    r = client.post("/api/spot/v1/trade/orders", {**order, "side": "sell", "quantity": "0.01"})
    assert r["code"] == "00000", r
    info = client.post("/api/spot/v1/trade/orderInfo", {"orderId": r["data"]["orderId"]})
    assert info["data"][0]["status"] == "full_fill", info


def _market_moves(srv: ServerProcess) -> None:
    first = public(srv, "ticker", symbol="BTCUSDT_SPBL")

    def moved() -> bool:
        now = public(srv, "ticker", symbol="BTCUSDT_SPBL")
        return float(now["baseVol"]) > float(first["baseVol"]) and now["close"] != first["close"]

    wait_for("the BTCUSDT ticker to move", moved)
    for symbol in SYMBOLS:
        candles = wait_for(
            f"{symbol} candles", lambda s=symbol: public(srv, "candles", symbol=s, period="1min")
        )
        assert float(candles[-1]["baseVol"]) > 0
        tape = wait_for(
            f"{symbol} trades",
            lambda s=symbol: len({t["fillPrice"] for t in public(srv, "fills", symbol=s)}) >= 2,
        )
        assert tape


def test_demo_server_restart_and_data_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = ServerProcess(data, DEMO_ARGS).start()
    try:
        user = demo_user(srv)
        for symbol in SYMBOLS:
            wait_for(
                f"{symbol} depth",
                lambda s=symbol: (d := public(srv, "depth", symbol=s))["bids"] and d["asks"],
                timeout=10,
            )
        _trade_as_demo(srv, user)
        _market_moves(srv)
    finally:
        srv.stop()
    accounts = check_summary(data)["accounts"]

    srv = ServerProcess(data, DEMO_ARGS).start()
    try:
        assert demo_user(srv) == user  # same account and credentials after a restart
        assert any("existing account" in line for line in srv.output)
        _trade_as_demo(srv, user)
    finally:
        srv.stop()
    summary = check_summary(data)
    assert summary["accounts"] == accounts  # no new demo, maker or taker accounts

    export = tmp_path / "state.json"
    out = cli("data", "export", str(export), "--data-dir", str(data))
    assert summary["state hash"] in out
    cli("data", "reset", "--yes", "--data-dir", str(data))
    assert not (data / "journal").exists() or not any((data / "journal").iterdir())
    cli("data", "import", str(export), "--data-dir", str(data))
    assert check_summary(data)["state hash"] == summary["state hash"]

    srv = ServerProcess(data, DEMO_ARGS).start()
    try:
        assert demo_user(srv) == user  # the imported state still knows the demo trader
        client = SignedClient(srv.url, user)
        assets = client.get("/api/spot/v1/account/assets")
        assert assets["code"] == "00000", assets
    finally:
        srv.stop()


def test_sigterm_stops_a_demo_server_cleanly(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", DEMO_ARGS).start()
    wait_for("depth", lambda: public(srv, "depth", symbol="BTCUSDT_SPBL")["asks"], timeout=10)
    started = time.monotonic()
    assert srv.stop() == 0  # the simulation task ended with the runtime
    assert time.monotonic() - started < 10
    assert not any("Traceback" in line for line in srv.output), "".join(srv.output)
    assert any((tmp_path / "data" / "snapshots").iterdir())  # the final snapshot
    check_summary(tmp_path / "data")
