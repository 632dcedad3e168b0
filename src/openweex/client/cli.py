"""``openweex client ...``: the SDK on the command line, JSON out.

Connection settings come from options or the environment: ``--url`` (``OPENWEEX_URL``),
``--api-key`` (``OPENWEEX_API_KEY``), ``--secret-key`` (``OPENWEEX_SECRET_KEY``),
``--passphrase`` (``OPENWEEX_PASSPHRASE``). Each command prints its result as JSON (streams:
one JSON object per line). Exit status: 0 ok, 1 the server answered an error, 2 transport.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from .async_ import AsyncClient
from .errors import ApiError, OpenWeexError, TransportError
from .streams import PRIVATE_CHANNELS, private_stream, public_stream
from .sync import Client

DEFAULT_URL = "http://127.0.0.1:8080"
Action = Callable[[Client, argparse.Namespace], object]


def to_json(value: object) -> str:
    """JSON for SDK results: dataclasses as objects, Decimal as strings, enums as values."""

    def default(item: object) -> object:
        if isinstance(item, Decimal):
            return format(item, "f")
        raise TypeError(f"not JSON serialisable: {type(item).__name__}")

    def plain(item: object) -> object:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return {f.name: plain(getattr(item, f.name)) for f in dataclasses.fields(item)}
        if isinstance(item, list | tuple):
            return [plain(x) for x in item]
        return item

    return json.dumps(plain(value), default=default)


def make_client(args: argparse.Namespace) -> Client:
    """The sync client for ``args`` (tests replace this to inject a transport)."""
    return Client(
        args.url,
        args.api_key or None,
        args.secret_key or None,
        args.passphrase or None,
        timeout=args.timeout,
    )


def make_async_client(args: argparse.Namespace) -> AsyncClient:
    """The async client for ``args`` (used by the stream commands)."""
    return AsyncClient(
        args.url,
        args.api_key or None,
        args.secret_key or None,
        args.passphrase or None,
        timeout=args.timeout,
    )


def _fail(message: str, status: int) -> int:
    print(f"openweex: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    """Run one REST command and print its result."""
    action: Action = args.action
    try:
        with make_client(args) as client:
            result = action(client, args)
            if isinstance(result, Iterator):
                result = list(result)
    except ApiError as exc:
        return _fail(f"error {exc.code}: {exc.msg} (HTTP {exc.http_status})", 1)
    except TransportError as exc:
        return _fail(f"cannot reach {args.url}: {exc}", 2)
    except (OpenWeexError, ValueError, TypeError) as exc:
        return _fail(str(exc), 1)
    print(to_json(result))
    return 0


async def _stream(args: argparse.Namespace) -> None:
    count = 0
    if args.kind == "public":
        stream = public_stream(args.channels, ws_url=args.ws_url, base_url=args.url)
        async with stream:
            async for event in stream:
                print(to_json(event), flush=True)
                count += 1
                if args.count and count >= args.count:
                    return
        return
    async with make_async_client(args) as client:
        channels = args.channels or list(PRIVATE_CHANNELS)
        async with private_stream(client, channels, ws_url=args.ws_url) as events:
            async for event in events:
                print(to_json(event), flush=True)
                count += 1
                if args.count and count >= args.count:
                    return


def run_stream(args: argparse.Namespace) -> int:
    """Print stream events as JSON lines until Ctrl-C or ``--count`` events."""
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_stream(args))
    except ApiError as exc:
        return _fail(f"error {exc.code}: {exc.msg} (HTTP {exc.http_status})", 1)
    except TransportError as exc:
        return _fail(f"stream failed: {exc}", 2)
    except OpenWeexError as exc:
        return _fail(str(exc), 1)
    return 0


def _command(sub: Any, name: str, help_text: str, action: Action) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.set_defaults(action=action, func=run)
    return parser


def _add_market_commands(sub: Any) -> None:
    _command(sub, "time", "server time (ms)", lambda c, a: c.get_server_time())
    _command(sub, "currencies", "coins and chains", lambda c, a: c.get_currencies())
    _command(sub, "products", "trading pairs", lambda c, a: c.get_products())
    p = _command(sub, "product", "one trading pair", lambda c, a: c.get_product(a.symbol))
    p.add_argument("symbol")
    p = _command(sub, "ticker", "24 h ticker (all symbols when none given)", _ticker)
    p.add_argument("symbol", nargs="?")
    p = _command(
        sub, "trades", "recent public trades", lambda c, a: c.get_recent_trades(a.symbol, a.limit)
    )
    p.add_argument("symbol")
    p.add_argument("--limit", type=int)
    p = _command(sub, "candles", "candles, oldest first", _candles)
    p.add_argument("symbol")
    p.add_argument("period", help="1min 5min 15min 30min 1h 4h 12h 1d 7d")
    p.add_argument("--limit", type=int)
    p = _command(
        sub, "depth", "order book", lambda c, a: c.get_depth(a.symbol, merge=a.merge, limit=a.limit)
    )
    p.add_argument("symbol")
    p.add_argument("--merge", default="step0")
    p.add_argument("--limit", type=int)


def _ticker(c: Client, a: argparse.Namespace) -> object:
    return c.get_ticker(a.symbol) if a.symbol else c.get_tickers()


def _candles(c: Client, a: argparse.Namespace) -> object:
    return c.get_candles(a.symbol, a.period, limit=a.limit)


def _place(c: Client, a: argparse.Namespace) -> object:
    return c.place_order(
        a.symbol,
        a.side,
        a.order_type,
        a.quantity,
        price=a.price,
        force=a.force,
        client_order_id=a.client_oid,
    )


def _add_trade_commands(sub: Any) -> None:
    _command(sub, "assets", "balances", lambda c, a: c.get_assets())
    _command(sub, "bills", "ledger entries, newest first (all pages)", lambda c, a: c.iter_bills())
    p = _command(sub, "place", "place an order", _place)
    p.add_argument("symbol")
    p.add_argument("side", choices=["buy", "sell"])
    p.add_argument("order_type", choices=["limit", "market"])
    p.add_argument("quantity", help="base amount (quote amount for a market buy)")
    p.add_argument("--price")
    p.add_argument("--force", default="normal", help="normal post_only fok ioc")
    p.add_argument("--client-oid")
    p = _command(
        sub, "cancel", "cancel an order", lambda c, a: c.cancel_order(a.symbol, a.order_id)
    )
    p.add_argument("symbol")
    p.add_argument("order_id")
    p = _command(
        sub,
        "order",
        "one order by id or client id",
        lambda c, a: c.get_order(a.symbol, a.order_id, client_order_id=a.client_oid),
    )
    p.add_argument("--symbol")
    p.add_argument("--order-id")
    p.add_argument("--client-oid")
    p = _command(sub, "open-orders", "open orders", lambda c, a: c.get_open_orders(a.symbol))
    p.add_argument("symbol", nargs="?")
    p = _command(
        sub, "history", "finished orders (all pages)", lambda c, a: c.iter_order_history(a.symbol)
    )
    p.add_argument("symbol")
    p = _command(
        sub,
        "fills",
        "own trades (all pages)",
        lambda c, a: c.iter_fills(a.symbol, order_id=a.order_id),
    )
    p.add_argument("symbol")
    p.add_argument("--order-id")


def _add_stream_command(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("stream", help="print stream events (JSON lines)")
    p.add_argument("kind", choices=["private", "public"])
    p.add_argument("channels", nargs="*", help="channels (private: all three by default)")
    p.add_argument("--ws-url", help="WebSocket URL (default: derived from --url)")
    p.add_argument("--count", type=int, default=0, help="stop after this many events")
    p.set_defaults(func=run_stream)


def add_client_parser(sub: Any) -> None:
    """Register ``openweex client ...`` on the top-level subparsers."""
    p: argparse.ArgumentParser = sub.add_parser("client", help="call the WEEX spot API (JSON out)")
    env = os.environ.get
    p.add_argument("--url", default=env("OPENWEEX_URL", DEFAULT_URL))
    p.add_argument("--api-key", default=env("OPENWEEX_API_KEY"))
    p.add_argument("--secret-key", default=env("OPENWEEX_SECRET_KEY"))
    p.add_argument("--passphrase", default=env("OPENWEEX_PASSPHRASE"))
    p.add_argument("--timeout", type=float, default=10.0)
    commands = p.add_subparsers(dest="client_command", required=True)
    _add_market_commands(commands)
    _add_trade_commands(commands)
    _add_stream_command(commands)
