"""The examples run against a real ``openweex serve --demo`` with the demo trader's
credentials (read from what the server prints), both at once, for a few seconds each."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openweex.client import Client
from tests.support.server import ServerProcess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUN_SECONDS = "4"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("demo") / "data", ["--demo", "--no-rate-limits"])
    srv.start()
    yield srv
    srv.stop()


def demo_env(srv: ServerProcess) -> dict[str, str]:
    printed = "".join(srv.output)

    def field(name: str) -> str:
        found = re.search(rf"^demo {name}: (\S+)$", printed, re.MULTILINE)
        assert found, printed
        return found.group(1)

    return {
        "OPENWEEX_URL": srv.url,
        "OPENWEEX_API_KEY": field("api key"),
        "OPENWEEX_SECRET_KEY": field("secret key"),
        "OPENWEEX_PASSPHRASE": field("passphrase"),
    }


def wait_for_liquidity(srv: ServerProcess) -> None:
    """The demo's market makers quote every book within a moment of the start."""
    deadline = time.monotonic() + 30
    with Client(srv.url) as c:
        while not all(
            (book := c.get_depth(symbol, limit=1)).bids and book.asks
            for symbol in ("BTCUSDT_SPBL", "ETHUSDT_SPBL")
        ):
            assert time.monotonic() < deadline, "the demo books stay empty"
            time.sleep(0.1)


def start(example: str, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(EXAMPLES / example), "--duration", RUN_SECONDS, *args]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
    )


def placed(output: str) -> int:
    found = re.search(r"^done: placed (\d+) orders", output, re.MULTILINE)
    assert found, output
    return int(found.group(1))


def test_examples_trade_against_the_demo(demo: ServerProcess) -> None:
    env = demo_env(demo)
    wait_for_liquidity(demo)
    maker = start("market_maker.py", env, "--symbol", "BTCUSDT_SPBL", "--refresh", "0.5")
    grid = start("grid_bot.py", env, "--symbol", "ETHUSDT_SPBL", "--step", "0.0005")
    maker_out, maker_err = maker.communicate(timeout=60)
    grid_out, grid_err = grid.communicate(timeout=60)
    assert maker.returncode == 0, maker_out + maker_err
    assert grid.returncode == 0, grid_out + grid_err
    assert placed(maker_out) >= 2
    assert placed(grid_out) >= 10
    key, secret, passphrase = (
        env[f"OPENWEEX_{n}"] for n in ("API_KEY", "SECRET_KEY", "PASSPHRASE")
    )
    with Client(demo.url, key, secret, passphrase) as c:
        runs = (("BTCUSDT_SPBL", "mm", maker_out), ("ETHUSDT_SPBL", "grid", grid_out))
        for symbol, prefix, output in runs:
            left = c.get_open_orders(symbol)
            assert left == [], output  # each bot cancelled what it left
            history = c.get_order_history(symbol, limit=100)
            assert any((o.client_order_id or "").startswith(prefix) for o in history)
