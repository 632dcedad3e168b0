"""A data directory remembers its market configuration: ``openweex serve`` keeps the
configuration it opened the directory with in ``markets.toml``, and the commands that open
the directory later without ``--config`` use it (the real command line and server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from openweex.cli import MARKETS_FILE, choose_markets, main, remember_markets
from openweex.domain.commands import CreateAccount, Deposit
from openweex.domain.markets import (
    DEFAULT_CONFIG,
    MarketConfigError,
    default_markets,
    parse_markets,
)
from openweex.engine.exchange import Exchange
from tests.durability.test_datadir_cli import cli
from tests.support.server import ServerProcess

# The built-in markets and one more coin and symbol, which the built-in set lacks.
EXTRA = """
[[coins]]
id = 77
name = "XRP"
scale = 6

[[symbols]]
symbol = "XRPUSDT_SPBL"
base = "XRP"
quote = "USDT"
price_scale = 4
quantity_scale = 2
"""


def products(url: str) -> set[str]:
    got = httpx.get(f"{url}/api/spot/v1/public/products", timeout=30).json()["data"]
    return {p["symbol"] for p in got}


def test_the_directory_keeps_the_configuration_it_runs_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d, config = tmp_path / "data", tmp_path / "custom.toml"
    config.write_text(DEFAULT_CONFIG + EXTRA)
    srv = ServerProcess(d, ["--config", str(config)]).start()
    try:
        assert "XRPUSDT_SPBL" in products(srv.url)
        user = srv.new_user({"XRP": "12.5", "USDT": "100"})  # state the built-in set cannot hold
        before = srv.admin("GET", f"/accounts/{user.uid}")
    finally:
        assert srv.stop() == 0
    assert (d / MARKETS_FILE).read_text() == config.read_text()
    # the data commands without --config: the remembered markets (the built-in ones would
    # not even recover the XRP deposit)
    code, out = cli(capsys, "data", "check", "--data-dir", str(d))
    assert code == 0 and out.rstrip().endswith("check: ok"), out
    with_config = cli(capsys, "data", "check", "--data-dir", str(d), "--config", str(config))
    assert with_config == (code, out)
    # serve without --config means the built-in markets, which lack XRP: refused, with why
    refused = run_serve(d)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused
    assert "does not fit the data directory" in refused.stderr
    assert "coin XRP is missing" in refused.stderr and "symbol XRPUSDT_SPBL is missing" in (
        refused.stderr
    )
    # with its configuration: the same markets, the same balances
    srv = ServerProcess(d, ["--config", str(config)]).start()
    try:
        assert "XRPUSDT_SPBL" in products(srv.url)
        account = srv.admin("GET", f"/accounts/{user.uid}")
        assert {a["coinName"]: a["available"] for a in account["assets"]}["xrp"] == "12.5"
        assert account == before  # the same lists, in the same order (coin ids)
        assert [a["coinName"] for a in account["assets"]] == ["usdt", "xrp"]
    finally:
        assert srv.stop() == 0
    # an export carries the markets: an import into a new directory needs no --config
    exported, moved = tmp_path / "state.json", tmp_path / "moved"
    code, out = cli(capsys, "data", "export", str(exported), "--data-dir", str(d))
    assert code == 0, out
    code, out = cli(capsys, "data", "import", str(exported), "--data-dir", str(moved))
    assert code == 0, out
    assert (moved / MARKETS_FILE).read_text() == config.read_text()
    code, out = cli(capsys, "data", "check", "--data-dir", str(moved))
    assert code == 0 and out.rstrip().endswith("check: ok"), out
    # a reset clears the state and the markets it was counted in
    code, out = cli(capsys, "data", "reset", "--yes", "--data-dir", str(d))
    assert code == 0, out
    assert list(d.iterdir()) == []
    assert run_serve(d, "--port", "0", "--help").returncode == 0


def run_serve(d: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``openweex serve`` on ``d`` that is expected to stop at once (a refusal, or --help)."""
    cmd = [sys.executable, "-m", "openweex", "serve", "--port", "0", "--data-dir", str(d)]
    return subprocess.run([*cmd, *argv], capture_output=True, text=True, timeout=60)


XRP_COIN, XRP_SYMBOL = EXTRA.split("[[symbols]]")
XRP_SYMBOL = "[[symbols]]" + XRP_SYMBOL


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (EXTRA.replace("scale = 6", "scale = 4"), "coin XRP has id 77 and scale 4, not id 77"),
        (EXTRA.replace("id = 77", "id = 79"), "coin XRP has id 79 and scale 6, not id 77"),
        (EXTRA.replace("price_scale = 4", "price_scale = 3"), "price_scale 3 and quantity"),
        (EXTRA.replace('quote = "USDT"', 'quote = "BTC"'), "is XRP/BTC with price_scale 4"),
        (XRP_COIN, "symbol XRPUSDT_SPBL is missing"),
        ("", "coin XRP is missing; symbol XRPUSDT_SPBL is missing"),
    ],
)
def test_markets_that_change_the_meaning_of_the_state_are_refused(
    tmp_path: Path, extra: str, why: str
) -> None:
    d = tmp_path / "data"
    d.mkdir()
    remember_markets(d, DEFAULT_CONFIG + EXTRA)
    changed = tmp_path / "changed.toml"
    changed.write_text(DEFAULT_CONFIG + extra)
    with pytest.raises(SystemExit, match=why):
        choose_markets(str(changed), d)
    with pytest.raises(SystemExit, match="does not fit the data directory"):
        choose_markets(None, d, remembered=False)  # serve without --config: built-in markets


def test_markets_may_grow_and_change_fees_and_limits(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    remember_markets(d, DEFAULT_CONFIG + EXTRA)
    looser = EXTRA + 'max_trade = "5"\ntaker_fee = "0.002"\n'
    more = looser + EXTRA.replace("XRP", "ADA").replace("77", "78")
    config = tmp_path / "more.toml"
    config.write_text(DEFAULT_CONFIG + more)
    markets = choose_markets(str(config), d).markets
    assert "ADAUSDT_SPBL" in markets.symbols and markets.symbols["XRPUSDT_SPBL"].max_trade == 500


def test_a_state_with_a_coin_the_markets_lack_is_refused() -> None:
    big = parse_markets(DEFAULT_CONFIG + EXTRA)
    ex = Exchange(big)
    ex.apply(CreateAccount(1))
    ex.apply(Deposit(1, 10001, "XRP", 5))
    with pytest.raises(ValueError, match="holds XRP, a coin the markets do not list"):
        Exchange.from_state(default_markets(), ex.export_state())


def test_an_explicit_config_wins_and_is_remembered(tmp_path: Path) -> None:
    d = tmp_path / "data"
    srv = ServerProcess(d).start()  # built-in markets
    assert srv.stop() == 0
    assert (d / MARKETS_FILE).read_text() == DEFAULT_CONFIG
    config = tmp_path / "more.toml"
    config.write_text(DEFAULT_CONFIG + EXTRA)
    assert choose_markets(str(config), d).markets == parse_markets(config.read_text())
    srv = ServerProcess(d, ["--config", str(config)]).start()
    try:
        assert "XRPUSDT_SPBL" in products(srv.url)
    finally:
        assert srv.stop() == 0
    assert choose_markets(None, d).source == str(d / MARKETS_FILE)
    assert choose_markets(None, d).markets == parse_markets(DEFAULT_CONFIG + EXTRA)


def test_a_configuration_without_markets_means_the_built_in_ones(tmp_path: Path) -> None:
    only_sim = '[sim]\ntick_ms = 250\n\n[[makers]]\nsymbol = "BTCUSDT_SPBL"\nsize = "0.01"\n'
    assert parse_markets(only_sim) == default_markets()
    assert parse_markets("") == default_markets()
    config = tmp_path / "sim.toml"
    config.write_text(only_sim)
    choice = choose_markets(str(config), tmp_path / "nothing-here")
    assert choice == (default_markets(), only_sim, str(config))
    assert choose_markets(None, tmp_path / "nothing-here").markets == default_markets()


@pytest.mark.parametrize(
    "flags", [["--replay", "sample"], ["--seed", "7"], ["--replay-speed", "10", "--seed", "1"]]
)
def test_simulation_options_need_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["serve", "--port", "0", "--data-dir", str(tmp_path / "d"), *flags])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "need --demo" in err and flags[0] in err
    assert not (tmp_path / "d").exists()  # refused before anything was opened


def test_simulation_tables_are_checked_without_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "sim.toml"
    config.write_text("[sim]\ntick_msx = 5\n")  # a typo
    with pytest.raises(SystemExit) as done:
        main(["serve", "--port", "0", "--data-dir", str(tmp_path / "d"), "--config", str(config)])
    assert done.value.code == 2
    assert "bad simulation config" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("typo", "why"),
    [
        (("taker_fee", "taker_fees"), "symbol BTCUSDT_SPBL: unknown key(s): taker_fees"),
        (("scale = 8", "scal = 8"), "coin BTC: unknown key(s): scal"),
        (("withdraw_fee", "withdrawfee"), "chain BTC: unknown key(s): withdrawfee"),
    ],
)
def test_a_key_the_market_configuration_does_not_know_is_refused(
    typo: tuple[str, str], why: str
) -> None:
    with pytest.raises(MarketConfigError) as refused:
        parse_markets(DEFAULT_CONFIG.replace(*typo, 1))
    assert str(refused.value) == why
