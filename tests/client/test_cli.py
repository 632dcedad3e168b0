"""``openweex client ...``: argument wiring, JSON output, exit statuses."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal

import httpx
import pytest

from openweex.client import Client, Side, cli
from openweex.client.models import PriceLevel

from .fakeweex import API_KEY, API_SECRET, NOW_MS, PASSPHRASE, FakeWeex, envelope, error

ORDERS = "/api/spot/v1/trade/orders"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openweex")
    cli.add_client_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    def make_client(args: argparse.Namespace) -> Client:
        assert args.api_key == API_KEY and args.url == "https://weex.test"
        return Client(
            args.url,
            args.api_key,
            args.secret_key,
            args.passphrase,
            transport=fake.transport(),
            clock=lambda: NOW_MS,
            sleep=lambda seconds: None,
        )

    monkeypatch.setattr(cli, "make_client", make_client)
    common = ["client", "--url", "https://weex.test", "--api-key", API_KEY]
    common += ["--secret-key", API_SECRET, "--passphrase", PASSPHRASE]
    args = _parser().parse_args([*common, *argv])
    status: int = args.func(args)
    return status


def test_place_prints_json(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.on("POST", ORDERS, envelope({"orderId": "7", "clientOrderId": "c1"}))
    argv = ["place", "BTCUSDT_SPBL", "buy", "limit", "0.5", "--price", "100", "--client-oid", "c1"]
    assert _run(fake, monkeypatch, *argv) == 0
    assert json.loads(capsys.readouterr().out) == {"order_id": "7", "client_order_id": "c1"}
    assert fake.seen[0].body == {
        "symbol": "BTCUSDT_SPBL",
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": "100",
        "quantity": "0.5",
        "clientOrderId": "c1",
    }


def test_paged_commands_print_lists(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.on("POST", "/api/spot/v1/trade/history", envelope([]))
    assert _run(fake, monkeypatch, "history", "BTCUSDT_SPBL") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_exit_statuses(
    fake: FakeWeex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.on("POST", "/api/spot/v1/trade/cancel-order", error("43001", "Order does not exist"))
    assert _run(fake, monkeypatch, "cancel", "BTCUSDT_SPBL", "9") == 1
    assert "43001" in capsys.readouterr().err
    fake.on("GET", "/api/spot/v1/public/time", httpx.ConnectError("refused"))
    assert _run(fake, monkeypatch, "time") == 2


def test_to_json() -> None:
    level = PriceLevel(Decimal("1.50"), Decimal("2E+1"))
    assert json.loads(cli.to_json([level, Side.BUY])) == [
        {"price": "1.50", "quantity": "20"},
        "buy",
    ]
