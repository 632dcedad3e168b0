"""``openweex serve`` refuses simulation input it cannot use: one ``openweex: ...`` line,
exit code 2, no traceback, nothing written. Every case runs the real command line in a
directory of its own; the processes run a few at a time, once for the module."""

from __future__ import annotations

import gzip
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

CANDLES = "ts_ms,open,high,low,close,volume\n"
GOOD_CANDLES = CANDLES + "0,60000,60001,59999,60000,1\n"
BTC = '[[makers]]\nsymbol = "BTCUSDT"\n'


class Case(NamedTuple):
    args: tuple[str, ...]
    says: str
    files: tuple[tuple[str, bytes], ...] = ()


def _toml(text: str, says: str) -> Case:
    return Case(("--demo", "--config", "c.toml"), says, (("c.toml", text.encode()),))


def _replay(content: bytes, says: str, name: str = "r.csv") -> Case:
    return Case(("--demo", "--replay", name), says, ((name, content),))


CASES: dict[str, Case] = {
    # exit code 2 with --demo too, as without it
    "tick_ms out of range": _toml("[sim]\ntick_ms = 1\n", "sim.tick_ms: must be between 10"),
    "config missing": Case(("--demo", "--config", "none.toml"), "cannot read config none.toml"),
    "config not text": Case(
        ("--demo", "--config", "c.toml"), "c.toml: it is not UTF-8 text", (("c.toml", b"\xff\xfe"),)
    ),
    "config not TOML": _toml("[sim\n", "invalid TOML"),
    "replay file missing": Case(("--demo", "--replay", "none.csv"), "cannot read"),
    # shapes
    "sim is a number": _toml("sim = 5\n", "sim: expected a [sim] table, got 5"),
    "sim is a string": _toml('sim = "abc"\n', "sim: expected a [sim] table, got 'abc'"),
    "sim is an array": _toml("[[sim]]\n", "sim: expected one [sim] table, not an array"),
    "makers is a number": _toml("makers = 5\n", "makers: expected [[makers]] tables, got 5"),
    "makers is one table": _toml('[makers]\nsymbol = "BTCUSDT"\n', "not one [makers]"),
    "makers symbol not text": _toml("[[makers]]\nsymbol = 5\n", "needs a symbol"),
    # numbers too large to compute with
    "price 1e999999": _toml(BTC + 'price = "1e999999"\n', "price: 1e999999 is too large"),
    "size 1e999999": _toml(BTC + 'size = "1e999999"\n', "size: 1e999999 is too large"),
    "volatility 1e999999": _toml('[sim]\nvolatility = "1e999999"\n', "volatility: 1e999999"),
    # values the engine would refuse
    "price 1e30": _toml(BTC + 'price = "1e30"\n', "BTCUSDT_SPBL.price: 1e30 is too large"),
    "walk above the highest price": _toml(
        BTC + 'price = "1e16"\n', "the random walk (20 x price) reaches a reference of"
    ),
    "max_inventory 1e25": _toml(BTC + 'max_inventory = "1e25"\n', "max_inventory: 1e25 is too"),
    "deposit above the largest": _toml(
        BTC + 'max_inventory = "1e22"\n', "above the largest deposit it accepts"
    ),
    "demo funds 1e30": _toml('[sim.demo_funds]\nUSDT = "1e30"\n', "demo_funds.USDT: 1e30 is"),
    "demo funds above a deposit": _toml(
        '[sim.demo_funds]\nUSDT = "2e22"\n', "(a deposit is at most 10000000000000000000000 USDT)"
    ),
    # replay options are checked with or without a replay
    "replay speed without replay": Case(
        ("--demo", "--replay-speed", "0"), "--replay-speed needs --replay"
    ),
    "replay symbol without replay": Case(
        ("--demo", "--replay-symbol", "FOO"), "--replay-symbol needs --replay"
    ),
    "replay speed 0": Case(("--demo", "--replay", "sample", "--replay-speed", "0"), "between"),
    "replay symbol unknown": Case(
        ("--demo", "--replay", "sample", "--replay-symbol", "FOO"), "unknown symbol FOO"
    ),
    "sim replay_speed -5": _toml("[sim]\nreplay_speed = -5\n", "replay_speed: must be between"),
    "sim replay_loop maybe": _toml('[sim]\nreplay_loop = "maybe"\n', "replay_loop: expected true"),
    "maker replay_speed 0": _toml(BTC + "replay_speed = 0\n", "replay_speed: must be between"),
    # an explicit 0 is never replaced by the default
    "taker_size 0": _toml(BTC + 'taker_size = "0"\n', "taker_size: must be within"),
    "max_inventory 0": _toml(BTC + 'max_inventory = "0"\n', "max_inventory: must be positive"),
    # replay files
    "replay gzipped without .gz": _replay(
        gzip.compress(GOOD_CANDLES.encode()), "not UTF-8 text (a gzipped file must end in .gz)"
    ),
    "replay binary": _replay(b"\x00\x9f\x92\x96" * 10, "not UTF-8 text"),
    "replay .gz not gzip": _replay(GOOD_CANDLES.encode(), "not a gzip file", "r.csv.gz"),
    "replay field over the CSV limit": _replay(
        b"0,1," + b"1" * 200_000 + b",1,1,1\n", "r.csv:1: not a CSV row: field larger"
    ),
    "replay price 1e999999": _replay(
        (CANDLES + "0,1e999999,1e999999,1e999999,1e999999,1\n").encode(),
        "r.csv:2: price 1e999999 is too large",
    ),
    "replay above the highest price": _replay(
        (CANDLES + "0,1e17,1e17,1e17,1e17,1\n").encode(), "too large for the engine: the replay"
    ),
    "replay rows out of order": _replay(
        (GOOD_CANDLES + "60000,1,2,1,1,1\n30000,1,2,1,1,1\n").encode(),
        "r.csv:4: rows must be in increasing time",
    ),
}


def _run(case_dir: Path, case: Case) -> subprocess.CompletedProcess[str]:
    case_dir.mkdir()
    for name, content in case.files:
        (case_dir / name).write_bytes(content)
    cmd = [sys.executable, "-m", "openweex", "serve", "--port", "0", "--data-dir", "data"]
    return subprocess.run(
        [*cmd, *case.args], cwd=case_dir, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def refused(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    root = tmp_path_factory.mktemp("refusals")
    dirs = {name: root / f"case{i}" for i, name in enumerate(CASES)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        done = {name: pool.submit(_run, dirs[name], case) for name, case in CASES.items()}
        return {name: (dirs[name], future.result()) for name, future in done.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_refused_with_a_message_and_exit_code_2(
    refused: dict[str, tuple[Path, subprocess.CompletedProcess[str]]], name: str
) -> None:
    case = CASES[name]
    case_dir, done = refused[name]
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.startswith("openweex: "), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert case.says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""
    assert sorted(p.name for p in case_dir.iterdir()) == sorted(n for n, _ in case.files)


def test_the_data_commands_refuse_a_config_they_cannot_read_with_code_2(tmp_path: Path) -> None:
    (tmp_path / "data" / "journal").mkdir(parents=True)
    cmd = [sys.executable, "-m", "openweex", "data", "check", "--data-dir", "data"]
    done = subprocess.run(
        [*cmd, "--config", "none.toml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done
    assert done.stderr == "openweex: cannot read config none.toml: No such file or directory\n"
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["journal"]
