"""``openweex client ...`` through its runner (``openweex.cli.main``) against the real server;
``watch`` runs as a subprocess so that orders can be placed while it prints."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from typing import IO, Any

import pytest

from openweex.cli import main
from tests.support.server import ServerProcess, User

from .helpers import BTC


@pytest.fixture
def cli_env(live: ServerProcess, user: User, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Credentials in the environment, as a user would export them."""
    env = {
        "OPENWEEX_URL": live.url,
        "OPENWEEX_API_KEY": user.api_key,
        "OPENWEEX_SECRET_KEY": user.secret,
        "OPENWEEX_PASSPHRASE": user.passphrase,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``openweex client ARGV``; returns (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(["client", *argv])
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    status, out, err = cli(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


@pytest.mark.usefixtures("cli_env")
def test_market_commands(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "time")
    assert status == 0 and "UTC" in out
    assert int(cli_json(capsys, "time")) > 0
    status, out, _ = cli(capsys, "products")
    assert out.splitlines()[0].split()[:3] == ["SYMBOL", "BASE", "QUOTE"] and BTC in out
    assert cli_json(capsys, "products", BTC)[0]["symbol"] == BTC
    status, out, _ = cli(capsys, "ticker")
    assert status == 0 and out.startswith("SYMBOL")
    assert cli_json(capsys, "ticker", BTC)[0]["close"]
    status, out, _ = cli(capsys, "candles", BTC, "5min", "--limit", "3")
    assert status == 0 and out.split("\n")[0].startswith(("TIME", "(none)"))


def test_depth_is_a_table(
    cli_env: dict[str, str], counterparty: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    counterparty.place_order(BTC, "sell", "limit", "0.25", price="45000")
    counterparty.place_order(BTC, "buy", "limit", "0.5", price="44000")
    status, out, _ = cli(capsys, "depth", BTC, "--limit", "3")
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith(BTC) and "spread 1000" in lines[0]
    assert lines[1].split() == ["BID", "QTY", "BID", "|", "ASK", "ASK", "QTY"]
    assert lines[2].split() == ["0.5", "44000", "|", "45000", "0.25"]
    book = cli_json(capsys, "depth", BTC)
    assert book["asks"][0] == {"price": "45000", "quantity": "0.25"}


@pytest.mark.usefixtures("cli_env")
def test_order_commands(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "order", "place", BTC, "buy", "0.01", "--price", "1000")
    assert status == 0 and out.startswith("placed order ")
    order_id = out.split()[2]
    placed = cli_json(
        capsys, "order", "place", BTC, "buy", "0.02", "--price", "999", "--client-oid", "c-2"
    )
    assert placed["client_order_id"] == "c-2"
    status, out, _ = cli(capsys, "order", "list", BTC)
    assert out.splitlines()[0].split()[:3] == ["ORDER", "ID", "CLIENT"]
    assert order_id in out and "c-2" in out
    status, out, _ = cli(capsys, "order", "show", order_id, "--symbol", BTC)
    assert "status           new" in out and "price            1000" in out
    assert (
        cli_json(capsys, "order", "show", "--client-oid", "c-2")["order_id"] == placed["order_id"]
    )
    status, out, _ = cli(capsys, "order", "cancel", BTC, order_id)
    assert (status, out) == (0, f"cancelled order {order_id}\n")
    assert cli_json(capsys, "order", "cancel", BTC, "--all") == [placed["order_id"]]
    status, out, _ = cli(capsys, "order", "list", BTC)
    assert out == "(none)\n"
    history = cli_json(capsys, "order", "history", BTC, "--limit", "1")
    assert [o["order_id"] for o in history] == [placed["order_id"]]
    assert history[0]["status"] == "cancelled"


def test_account_commands(
    cli_env: dict[str, str], counterparty: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = cli(capsys, "balances")
    assert status == 0 and out.splitlines()[0].split() == ["COIN", "AVAILABLE", "FROZEN", "LOCKED"]
    assert any(line.split()[:2] == ["USDT", "100000"] for line in out.splitlines())
    counterparty.place_order(BTC, "sell", "limit", "0.1", price="46000")
    cli(capsys, "order", "place", BTC, "buy", "0.1", "--price", "46000")
    status, out, _ = cli(capsys, "fills", BTC)
    assert status == 0 and "46000" in out and out.startswith("FILL ID")
    fills = cli_json(capsys, "fills", BTC)
    assert fills[0]["fill_quantity"] == "0.1"
    bills = cli_json(capsys, "bills", "--limit", "0")
    assert bills[-1]["biz_type"] == "deposit"
    status, out, _ = cli(capsys, "bills", "--limit", "2")
    assert len(out.splitlines()) == 3


@pytest.mark.usefixtures("cli_env")
def test_errors_print_one_line_and_exit_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "order", "cancel", BTC, "424242") == (
        1,
        "",
        "error 43001: Order does not exist\n",
    )
    # several ids: what was cancelled on stdout, what was not on stderr, and a failure status
    status, out, _ = cli(capsys, "order", "place", BTC, "buy", "0.01", "--price", "1000")
    live_id = out.split()[2]
    assert cli(capsys, "order", "cancel", BTC, live_id, "424242") == (
        1,
        f"cancelled order {live_id}\n",
        "error: not cancelled (unknown, another user's or finished): 424242\n",
    )
    assert cli(capsys, "order", "cancel", BTC, "424242", "424243") == (
        1,
        "no order to cancel\n",
        "error: not cancelled (unknown, another user's or finished): 424242, 424243\n",
    )
    status, _, err = cli(capsys, "order", "place", BTC, "buy", "1000", "--price", "30000")
    assert (status, err) == (1, "error 43012: Insufficient balance\n")
    status, _, err = cli(capsys, "balances", "--secret-key", "wrong")
    assert status == 1 and err.startswith("error 40009: ")
    status, _, err = cli(capsys, "time", "--url", "http://127.0.0.1:9")
    assert status == 3 and err.startswith("error: cannot reach http://127.0.0.1:9")
    assert "Traceback" not in err


def test_missing_credentials(
    live: ServerProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("OPENWEEX_API_KEY", "OPENWEEX_SECRET_KEY", "OPENWEEX_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    status, _, err = cli(capsys, "--url", live.url, "balances")
    assert status == 2 and "OPENWEEX_API_KEY" in err


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Watch:
    """``openweex client watch ...`` as a subprocess, its output lines read by threads."""

    def __init__(self, env: dict[str, str], *argv: str) -> None:
        cmd = [sys.executable, "-m", "openweex", "client", "watch", *argv]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
            # Ctrl-C as at a terminal, also when the tests run where SIGINT is ignored (a
            # background job of a script): an ignored SIGINT is inherited, and Python then
            # leaves it ignored.
            preexec_fn=_default_sigint,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        for pipe, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(pipe, lines), daemon=True).start()

    @staticmethod
    def _pump(pipe: IO[str] | None, lines: queue.Queue[str]) -> None:
        assert pipe is not None
        for line in pipe:
            lines.put(line.rstrip("\n"))

    def subscribed(self) -> None:
        """Wait for the notice that the subscription was acknowledged."""
        line = self.err.get(timeout=30)
        assert line.startswith("watching "), line

    def line(self) -> str:
        return self.out.get(timeout=30)

    def finish(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        return "\n".join(self.err.get() for _ in range(self.err.qsize()))


def test_watch_private_events(client: Any, cli_env: dict[str, str]) -> None:
    watch = Watch(cli_env, "orders", "account", "--count", "4")
    watch.subscribed()
    placed = client.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="w-1")
    client.cancel_order(BTC, placed.order_id)
    lines = [watch.line() for _ in range(4)]
    assert watch.finish() == 0, watch.stderr()
    orders = [line for line in lines if " order " in line]
    assert [line.split()[7] for line in orders] == ["new", "cancelled"]
    assert all(placed.order_id in line and "client-id w-1" in line for line in orders)
    assert any(" account USDT " in line and "ENTRUST_PLACE" in line for line in lines)
    assert watch.out.empty()


def test_watch_public_json_and_ctrl_c(
    client: Any, counterparty: Any, cli_env: dict[str, str]
) -> None:
    watch = Watch(cli_env, "trades", "book", "--symbol", BTC, "--json")
    watch.subscribed()
    counterparty.place_order(BTC, "sell", "limit", "0.1", price="47000")
    client.place_order(BTC, "buy", "limit", "0.1", price="47000")
    events = [json.loads(watch.line())]
    while events[-1]["event"] != "trades":
        events.append(json.loads(watch.line()))
    watch.proc.send_signal(signal.SIGINT)
    assert watch.finish() == 0
    assert "Traceback" not in watch.stderr()
    assert events[-1]["deals"][0]["price"] == "47000"
    assert events[0]["event"] == "book"
