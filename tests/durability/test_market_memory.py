"""A data directory remembers its market configuration: ``openweex serve`` keeps the
configuration it opened the directory with in ``markets.toml``, and the commands that open
the directory later without ``--config`` use it (the real command line and server)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from openweex.cli import MARKETS_FILE, choose_markets, main
from openweex.domain.markets import DEFAULT_CONFIG, default_markets, parse_markets
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
    finally:
        assert srv.stop() == 0
    assert (d / MARKETS_FILE).read_text() == config.read_text()
    # the data commands without --config: the remembered markets (the built-in ones would
    # not even recover the XRP deposit)
    code, out = cli(capsys, "data", "check", "--data-dir", str(d))
    assert code == 0 and out.rstrip().endswith("check: ok"), out
    with_config = cli(capsys, "data", "check", "--data-dir", str(d), "--config", str(config))
    assert with_config == (code, out)
    # serve without --config: the same markets, the same balances
    srv = ServerProcess(d).start()
    try:
        assert "XRPUSDT_SPBL" in products(srv.url)
        account = srv.admin("GET", f"/accounts/{user.uid}")
        assert {a["coinName"]: a["available"] for a in account["assets"]}["xrp"] == "12.5"
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
    # a reset clears the state, not the configuration
    code, out = cli(capsys, "data", "reset", "--yes", "--data-dir", str(d))
    assert code == 0, out
    assert sorted(p.name for p in d.iterdir()) == [MARKETS_FILE]


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
