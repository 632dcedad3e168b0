"""``openweex client ...`` against the fake server: argument wiring, tables, JSON, exit
statuses. The same commands against the real server are in tests/sdk_live/test_cli_live.py."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal

import httpx
import pytest

from openweex.client import Client, Side, cli
from openweex.client import _cli_format as fmt
from openweex.client._cli_watch import subscription
from openweex.client.models import OrderBook, PriceLevel

from .fakeweex import API_KEY, API_SECRET, NOW_MS, PASSPHRASE, FakeWeex, envelope, error

ORDERS = "/api/spot/v1/trade/orders"
CREDENTIALS = ["--api-key", API_KEY, "--secret-key", API_SECRET, "--passphrase", PASSPHRASE]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openweex")
    cli.add_client_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    def make_client(args: argparse.Namespace) -> Client:
        assert cli.setting(args, "api_key") == API_KEY
        assert cli.base_url(args) == "https://weex.test"
        return Client(
            cli.base_url(args),
            API_KEY,
            API_SECRET,
            PASSPHRASE,
            transport=fake.transport(),
            clock=lambda: NOW_MS,
            sleep=lambda seconds: None,
        )

    monkeypatch.setattr(cli, "make_client", make_client)
    args = _parser().parse_args(["client", "--url", "https://weex.test", *CREDENTIALS, *argv])
    status: int = args.func(args)
    return status


def test_place_prints_a_line_and_json(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.on("POST", ORDERS, envelope({"orderId": "7", "clientOrderId": "c1"}))
    argv = ["order", "place", "BTCUSDT_SPBL", "buy", "0.5", "--price", "100", "--client-oid", "c1"]
    assert _run(fake, monkeypatch, *argv) == 0
    assert capsys.readouterr().out == "placed order 7 (client order id c1)\n"
    assert fake.seen[0].body == {
        "symbol": "BTCUSDT_SPBL",
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": "100",
        "quantity": "0.5",
        "clientOrderId": "c1",
    }
    assert _run(fake, monkeypatch, *argv, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"order_id": "7", "client_order_id": "c1"}


def test_place_without_price_is_a_market_order(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.on("POST", ORDERS, envelope({"orderId": "8"}))
    assert _run(fake, monkeypatch, "order", "place", "BTCUSDT_SPBL", "BUY", "25") == 0
    assert fake.seen[0].body is not None and fake.seen[0].body["orderType"] == "market"
    assert "placed order 8" in capsys.readouterr().out


def test_limit_without_price_is_a_usage_error(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["order", "place", "BTCUSDT_SPBL", "buy", "1", "--type", "limit"]
    assert _run(fake, monkeypatch, *argv) == cli.USAGE
    assert capsys.readouterr().err == "error: a limit order needs --price\n"
    assert fake.seen == []


def test_paged_commands_stop_at_the_limit(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.on("POST", "/api/spot/v1/trade/history", envelope([]))
    assert _run(fake, monkeypatch, "order", "history", "BTCUSDT_SPBL", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert fake.seen[0].body == {"symbol": "BTCUSDT_SPBL", "limit": 100}
    assert _run(fake, monkeypatch, "order", "history", "BTCUSDT_SPBL") == 0
    assert capsys.readouterr().out == "(none)\n"


def test_exit_statuses(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.on("POST", "/api/spot/v1/trade/cancel-order", error("43001", "Order does not exist"))
    assert _run(fake, monkeypatch, "order", "cancel", "BTCUSDT_SPBL", "9") == cli.API_FAILED
    assert capsys.readouterr().err == "error 43001: Order does not exist\n"
    fake.on("GET", "/api/spot/v1/public/time", httpx.ConnectError("refused"))
    assert _run(fake, monkeypatch, "time") == cli.UNREACHABLE
    assert capsys.readouterr().err.startswith("error: cannot reach https://weex.test")


def test_options_after_the_command_and_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENWEEX_URL", "http://env:1")
    monkeypatch.setenv("OPENWEEX_API_KEY", "env-key")
    args = _parser().parse_args(["client", "balances", "--json", "--url", "http://opt:2"])
    assert args.json is True
    assert cli.base_url(args) == "http://opt:2"
    assert cli.setting(args, "api_key") == "env-key"
    args = _parser().parse_args(["client", "--json", "order", "list"])
    assert args.json is True and cli.base_url(args) == "http://env:1"


def test_partial_credentials_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in cli.ENV.values():
        monkeypatch.delenv(name, raising=False)
    args = _parser().parse_args(["client", "--api-key", "k", "balances"])
    assert args.func(args) == cli.USAGE
    assert "together" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8080", "foo://x", "ws://127.0.0.1:8080", "http://", "http://host:port"]
)
def test_a_url_that_is_not_http_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    for name in cli.ENV.values():
        monkeypatch.delenv(name, raising=False)
    args = _parser().parse_args(["client", "time", "--url", url])
    assert args.func(args) == cli.USAGE
    assert "--url must be an http:// or https:// URL with a host" in capsys.readouterr().err


def test_bad_arguments_exit_2_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["client", "order", "place", "X", "buy", "abc"])
    assert info.value.code == 2
    assert "not a decimal number" in capsys.readouterr().err


def test_to_json() -> None:
    level = PriceLevel(Decimal("1.50"), Decimal("2E+1"))
    assert json.loads(cli.to_json([level, Side.BUY])) == [
        {"price": "1.50", "quantity": "20"},
        "buy",
    ]


def test_depth_table_puts_bids_and_asks_side_by_side() -> None:
    book = OrderBook(
        asks=(PriceLevel(Decimal("101"), Decimal("1")), PriceLevel(Decimal("102.5"), Decimal("2"))),
        bids=(PriceLevel(Decimal("100"), Decimal("0.25")),),
        timestamp=NOW_MS,
    )
    lines = fmt.depth(book, "BTCUSDT_SPBL").splitlines()
    assert lines[0] == "BTCUSDT_SPBL  2023-11-14 22:13:20 UTC  spread 1"
    assert lines[1:] == [
        "BID QTY  BID  |    ASK  ASK QTY",
        "   0.25  100  |    101        1",
        "              |  102.5        2",
    ]


def test_watch_topics() -> None:
    sub = subscription([], None)
    assert sub.private and len(sub.channels) == 3
    sub = subscription(["trades", "depth:10", "kline@ETHUSDT_SPBL:Min5"], "BTCUSDT_SPBL")
    assert not sub.private
    assert sub.channels == (
        "spot@public.deals.v3.api@BTCUSDT_SPBL",
        "spot@public.limit.depth.v3.api@BTCUSDT_SPBL@10",
        "spot@public.kline.v3.api@ETHUSDT_SPBL@Min5",
    )
    sub = subscription(["orders", "book@BTCUSDT"], None)
    assert sub.private
    assert sub.channels == ("spot@private.orders.v3.api", "spot@public.bookTicker.v3.api@BTCUSDT")
    with pytest.raises(ValueError, match="needs a symbol"):
        subscription(["trades"], None)
    with pytest.raises(ValueError, match="unknown topic"):
        subscription(["nope"], "X")
