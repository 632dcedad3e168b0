"""``openweex client`` as a subprocess against the real server: argument checks that must
happen before any request, and how ``watch`` behaves when its WebSocket cannot be reached."""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from openweex.client import Client
from tests.support.server import ServerProcess, User

BTC = "BTCUSDT_SPBL"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path_factory.mktemp("cli-server") / "data", ["--no-rate-limits"])
    srv.start()
    yield srv
    srv.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _env(url: str, user: User | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWEEX_")}
    env["OPENWEEX_URL"] = url
    if user is not None:
        env.update(
            OPENWEEX_API_KEY=user.api_key,
            OPENWEEX_SECRET_KEY=user.secret,
            OPENWEEX_PASSPHRASE=user.passphrase,
        )
    return env


def _cli(env: dict[str, str], *argv: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openweex", "client", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


# -- --limit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "limit", "maximum"),
    [
        ("trades", "0", 500),
        ("trades", "501", 500),
        ("trades", "-1", 500),
        ("depth", "0", 500),
        ("depth", "501", 500),
        ("candles", "0", 1000),
        ("candles", "1001", 1000),
    ],
)
def test_a_limit_out_of_range_is_a_usage_error(
    server: ServerProcess, command: str, limit: str, maximum: int
) -> None:
    done = _cli(_env(server.url), command, BTC, "--limit", limit)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    last = done.stderr.splitlines()[-1]
    assert last == (
        f"openweex client {command}: error: argument --limit:"
        f" must be between 1 and {maximum}: '{limit}'"
    )
    assert "40017" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("command", "limit"), [("trades", "500"), ("depth", "500"), ("candles", "1000")]
)
def test_the_largest_limit_is_accepted(server: ServerProcess, command: str, limit: str) -> None:
    done = _cli(_env(server.url), command, BTC, "--limit", limit)
    assert done.returncode == 0, done.stderr


def test_a_limit_of_0_still_walks_every_page_of_the_paged_commands(
    server: ServerProcess,
) -> None:
    user = server.new_user({"USDT": "10"})
    done = _cli(_env(server.url, user), "bills", "--limit", "0", "--json")
    assert done.returncode == 0, done.stderr
    assert '"biz_type": "deposit"' in done.stdout


def test_a_url_without_a_scheme_is_a_usage_error(server: ServerProcess) -> None:
    address = server.url.removeprefix("http://")
    done = _cli(_env(server.url), "time", "--url", address)
    assert done.returncode == 2
    assert done.stderr == (
        "error: --url must be an http:// or https:// URL with a host and an optional port,"
        f" e.g. http://127.0.0.1:8080 (got {address!r})\n"
    )


# -- watch ---------------------------------------------------------------------------------


def _lines(pipe: IO[str] | None, into: queue.Queue[str]) -> None:
    assert pipe is not None
    for line in pipe:
        into.put(line.rstrip("\n"))


class Watch:
    """``openweex client watch ARGV`` in the background, its output read line by line."""

    def __init__(self, env: dict[str, str], *argv: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "openweex", "client", "watch", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        for pipe, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=_lines, args=(pipe, into), daemon=True).start()

    def notice(self, timeout: float = 20) -> str:
        line = self.err.get(timeout=timeout)
        self.seen.append(line)
        return line

    def wait_for_notice(self, start: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.notice(max(0.01, deadline - time.monotonic()))
            if line.startswith(start):
                return line

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_watch_gives_up_when_the_websocket_cannot_be_reached(
    server: ServerProcess, private: bool
) -> None:
    user = server.new_user()
    ws_url = f"ws://127.0.0.1:{_free_port()}/ws"
    topics = ["orders"] if private else ["book", "--symbol", BTC]
    started = time.monotonic()
    done = _cli(
        _env(server.url, user), "watch", *topics, "--count", "1", "--ws-url", ws_url,
        "--timeout", "1",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    lines = done.stderr.splitlines()
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert re.fullmatch(
        f"cannot connect to {re.escape(ws_url)}: .+; retrying in 0\\.[56] s", lines[0]
    )
    assert lines[-1].startswith(f"error: cannot reach {ws_url}: ")
    assert re.search(r" \(gave up after \d+ attempts? in \d+\.\d s\)$", lines[-1])
    assert "Traceback" not in done.stderr
    assert elapsed < 10
    if private:  # the listen key it made was deleted on the way out
        with Client(server.url, user.api_key, user.secret, user.passphrase) as client:
            assert client.get_listen_keys() == []


def test_watch_keeps_reconnecting_once_it_was_connected(tmp_path: Path) -> None:
    """Once subscribed, a lost connection is retried past --timeout: the server may come
    back on its address, and the watch carries on."""
    data_dir = tmp_path / "data"
    first = ServerProcess(data_dir).start()
    port = first.url.rsplit(":", 1)[1]
    user = first.new_user({"USDT": "1000"})
    watch = Watch(_env(first.url, user), "orders", "--count", "1", "--timeout", "1")
    second: ServerProcess | None = None
    try:
        assert watch.notice().startswith("watching spot@private.orders.v3.api")
        first.stop()
        lost = watch.wait_for_notice("connection lost: ")
        assert re.search(r"; reconnecting in 0\.[56] s$", lost)
        again = watch.wait_for_notice(f"cannot reconnect to ws://127.0.0.1:{port}/ws: ")
        assert re.search(r"; retrying in 1\.[01] s$", again)  # a new watch would give up here
        second = ServerProcess(data_dir, ["--port", port]).start()
        assert second.url == first.url
        with Client(second.url, user.api_key, user.secret, user.passphrase) as client:
            line = ""
            for _ in range(40):  # events are lost until the watch has subscribed again
                client.place_order(BTC, "buy", "limit", "0.001", price="1000")
                try:
                    line = watch.out.get(timeout=0.5)
                    break
                except queue.Empty:
                    pass
        assert " order BTCUSDT_SPBL " in line and " new " in line
        assert watch.proc.wait(10) == 0
        watch.wait_for_notice("reconnected: events sent while disconnected were missed", 5)
        assert not any(seen.startswith("error") for seen in watch.seen), watch.seen
    finally:
        watch.stop()
        if second is not None:
            second.stop()
        first.stop()
