"""``openweex client ...``: the SDK on the command line.

Every command is one or a few SDK calls. Output is a readable aligned table (the order book
with bids and asks side by side, one line per stream event); ``--json`` prints JSON instead
(one object per line for ``watch``). Connection settings come from options, which may be
given before or after the command, or from the environment: ``--url`` (``OPENWEEX_URL``),
``--api-key`` (``OPENWEEX_API_KEY``), ``--secret-key`` (``OPENWEEX_SECRET_KEY``),
``--passphrase`` (``OPENWEEX_PASSPHRASE``).

Exit status: 0 success; 1 the server answered an error (``error CODE: msg`` on stderr);
2 usage error (bad arguments, missing credentials); 3 the server cannot be reached;
130 interrupted. No command prints a traceback for any of these.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from . import _cli_format as fmt
from ._base import checked_base_url
from ._cli_watch import TOPICS_HELP, StreamUnreachable, subscription, watch
from .async_ import AsyncClient
from .enums import CandlePeriod, Force, OrderType, Side
from .errors import (
    ApiError,
    MissingCredentialsError,
    OpenWeexError,
    TransportError,
)
from .events import StreamEvent
from .models import Order
from .sync import Client
from .throttle import RetryPolicy

DEFAULT_URL = "http://127.0.0.1:8080"
ENV = {
    "url": "OPENWEEX_URL",
    "api_key": "OPENWEEX_API_KEY",
    "secret_key": "OPENWEEX_SECRET_KEY",
    "passphrase": "OPENWEEX_PASSPHRASE",
}
CLI_RETRY = RetryPolicy(max_retries=2, initial_backoff=0.2)
# The most a single request may ask for (the server caps larger values, so they are refused
# here rather than silently shortened): market/fills, market/depth (levels a side), candles.
MAX_TRADES, MAX_DEPTH, MAX_CANDLES = 500, 500, 1000
_N = TypeVar("_N", int, float)
SYMBOL_HELP = "trading pair: BTCUSDT_SPBL (or BTCUSDT)"
OK, API_FAILED, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130

Action = Callable[[Client, argparse.Namespace], Any]
Render = Callable[[Any, argparse.Namespace], str]

# JSON of SDK results (amounts as strings, enums as wire values).
to_json = fmt.to_json


def setting(args: argparse.Namespace, name: str) -> str | None:
    """An option's value, else its environment variable, else None."""
    value: str | None = getattr(args, name, None)
    return value or os.environ.get(ENV[name]) or None


def base_url(args: argparse.Namespace) -> str:
    return setting(args, "url") or DEFAULT_URL


def _credentials(args: argparse.Namespace) -> tuple[str | None, str | None, str | None]:
    given = (setting(args, "api_key"), setting(args, "secret_key"), setting(args, "passphrase"))
    if any(given) and not all(given):
        raise MissingCredentialsError(
            "give --api-key, --secret-key and --passphrase together (or set OPENWEEX_API_KEY,"
            " OPENWEEX_SECRET_KEY and OPENWEEX_PASSPHRASE)"
        )
    return given


def _checked_url(args: argparse.Namespace) -> str:
    """The server's URL, refused (a usage error) unless it is an http:// or https:// URL
    with a host."""
    return checked_base_url(base_url(args), "--url")


def make_client(args: argparse.Namespace) -> Client:
    """The sync client for ``args`` (tests replace this to inject a transport)."""
    key, secret, passphrase = _credentials(args)
    url = _checked_url(args)
    return Client(url, key, secret, passphrase, timeout=args.timeout, retry=CLI_RETRY)


def make_async_client(args: argparse.Namespace) -> AsyncClient:
    """The async client for ``args`` (used by ``watch``)."""
    key, secret, passphrase = _credentials(args)
    url = _checked_url(args)
    return AsyncClient(url, key, secret, passphrase, timeout=args.timeout, retry=CLI_RETRY)


def _fail(message: str, status: int) -> int:
    print(message, file=sys.stderr, flush=True)
    return status


def report(exc: BaseException, args: argparse.Namespace) -> int:
    """Print an error on stderr the way every command does; returns the exit status."""
    if isinstance(exc, ApiError):
        return _fail(f"error {exc.code}: {exc.msg}", API_FAILED)
    if isinstance(exc, MissingCredentialsError):
        hint = " (set OPENWEEX_API_KEY, OPENWEEX_SECRET_KEY and OPENWEEX_PASSPHRASE)"
        return _fail(f"error: {exc}{'' if 'OPENWEEX_' in str(exc) else hint}", USAGE)
    if isinstance(exc, StreamUnreachable):
        return _fail(f"error: cannot reach {exc.url}: {exc}", UNREACHABLE)
    if isinstance(exc, TransportError):
        return _fail(f"error: cannot reach {base_url(args)}: {exc}", UNREACHABLE)
    if isinstance(exc, OpenWeexError):
        return _fail(f"error: {exc}", API_FAILED)
    if isinstance(exc, KeyboardInterrupt):
        return _fail("interrupted", INTERRUPTED)
    return _fail(f"error: {exc}", USAGE)


def _closed_stdout() -> None:
    """The reader of stdout went away (``| head``): silence the final flush too."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class PartlyDone(Exception):
    """A command did part of what it was asked: ``result`` is printed as usual, ``problem``
    on stderr, and the exit status is :data:`API_FAILED`."""

    def __init__(self, result: object, problem: str) -> None:
        super().__init__(problem)
        self.result = result
        self.problem = problem


def run(args: argparse.Namespace) -> int:
    """Run one REST command and print its result (table, or JSON with ``--json``)."""
    action: Action = args.action
    render: Render = args.render
    status = OK
    try:
        with make_client(args) as client:
            result = action(client, args)
            if isinstance(result, Iterator):
                result = list(result)
    except PartlyDone as partly:
        result, status = partly.result, API_FAILED
        print(f"error: {partly.problem}", file=sys.stderr, flush=True)
    except (OpenWeexError, ValueError, TypeError, KeyboardInterrupt) as exc:
        return report(exc, args)
    try:
        print(fmt.to_json(result) if args.json else render(result, args), flush=True)
    except BrokenPipeError:
        _closed_stdout()
    return status


def run_watch(args: argparse.Namespace) -> int:
    """Print stream events, one line each, until Ctrl-C or ``--count`` events."""

    def emit(event: StreamEvent) -> None:
        print(fmt.event_json(event) if args.json else fmt.event_line(event), flush=True)

    def notice(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    async def main() -> None:
        task = asyncio.current_task()
        if task is not None:  # SIGTERM stops like Ctrl-C: the listen key is deleted
            with contextlib.suppress(NotImplementedError, RuntimeError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        async with make_async_client(args) as client:
            await watch(
                client,
                sub,
                count=args.count,
                ws_url=args.ws_url,
                timeout=args.timeout,
                emit=emit,
                notice=notice,
            )

    try:
        sub = subscription(args.topics, args.symbol)
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        return OK
    except BrokenPipeError:
        _closed_stdout()
        return OK
    except (OpenWeexError, ValueError, TypeError) as exc:
        return report(exc, args)
    return OK


# -- argument types --------------------------------------------------------------------------


def decimal_arg(text: str) -> Decimal:
    """An argparse type: a finite positive decimal."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal number: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def number_arg(
    convert: Callable[[str], _N], kind: str, fits: Callable[[_N], bool], says: str
) -> Callable[[str], _N]:
    """An argparse type: ``convert(text)`` (else "not ``kind``"), kept when ``fits`` (else
    "must be ``says``")."""

    def parse(text: str) -> _N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
        if not fits(value):
            raise argparse.ArgumentTypeError(f"must be {says}: {text!r}")
        return value

    return parse


count_arg = number_arg(int, "an integer", lambda value: value >= 0, "0 or more")
seconds_arg = number_arg(
    float, "a number", lambda value: 0 < value < math.inf, "a positive number of seconds"
)


def limit_arg(maximum: int) -> Callable[[str], int]:
    """An argparse type: an int from 1 to ``maximum``."""
    return number_arg(
        int, "an integer", lambda value: 1 <= value <= maximum, f"between 1 and {maximum}"
    )


# -- the parser ------------------------------------------------------------------------------


def _common(with_defaults: bool) -> argparse.ArgumentParser:
    """Connection and output options. Leaf commands repeat them (with suppressed defaults)
    so that they can be given before or after the command name."""

    def default(value: object) -> object:
        return value if with_defaults else argparse.SUPPRESS

    p = argparse.ArgumentParser(add_help=False)
    group = p.add_argument_group("connection (options or environment)")
    group.add_argument(
        "--url", default=default(None), help=f"server URL ($OPENWEEX_URL, {DEFAULT_URL})"
    )
    group.add_argument("--api-key", default=default(None), help="API key ($OPENWEEX_API_KEY)")
    group.add_argument(
        "--secret-key", default=default(None), help="secret key ($OPENWEEX_SECRET_KEY)"
    )
    group.add_argument(
        "--passphrase", default=default(None), help="passphrase ($OPENWEEX_PASSPHRASE)"
    )
    group.add_argument(
        "--timeout",
        type=seconds_arg,
        default=default(10.0),
        help="request timeout, s (10); watch: how long to try to connect",
    )
    group.add_argument(
        "--json", action="store_true", default=default(False), help="print JSON, not tables"
    )
    return p


_LEAF_OPTIONS = _common(False)


def _leaf(sub: Any, name: str, help_text: str, action: Action, render: Render) -> Any:
    parser = sub.add_parser(name, help=help_text, description=help_text, parents=[_LEAF_OPTIONS])
    parser.set_defaults(func=run, action=action, render=render)
    return parser


def _shown(render: Callable[[Any], str]) -> Render:
    """A renderer that needs only the result."""
    return lambda result, args: render(result)


def _limit_option(parser: Any, what: str) -> None:
    parser.add_argument(
        "--limit",
        type=count_arg,
        default=100,
        help=f"at most this many {what}, newest first (100; 0 for all, across every page)",
    )


def _take(items: Iterator[Any], limit: int) -> list[Any]:
    return list(items if limit == 0 else itertools.islice(items, limit))


def _page(limit: int) -> int:
    return 500 if limit == 0 else min(limit, 500)


# -- commands --------------------------------------------------------------------------------


def _ticker(c: Client, a: argparse.Namespace) -> Any:
    return [c.get_ticker(a.symbol)] if a.symbol else c.get_tickers()


def _products(c: Client, a: argparse.Namespace) -> Any:
    return [c.get_product(a.symbol)] if a.symbol else c.get_products()


def _add_public_commands(sub: Any) -> None:
    _leaf(
        sub,
        "time",
        "server time (Unix ms)",
        lambda c, a: c.get_server_time(),
        _shown(fmt.time_text),
    )
    p = _leaf(
        sub,
        "products",
        "trading pairs and their scales, fees and limits",
        _products,
        _shown(fmt.products),
    )
    p.add_argument("symbol", nargs="?", help="one symbol (default: all)")
    _leaf(
        sub,
        "currencies",
        "coins and their chains",
        lambda c, a: c.get_currencies(),
        _shown(fmt.currencies),
    )
    p = _leaf(sub, "ticker", "24 h tickers", _ticker, _shown(fmt.tickers))
    p.add_argument("symbol", nargs="?", help="one symbol (default: all)")
    p = _leaf(
        sub,
        "trades",
        "recent public trades",
        lambda c, a: c.get_recent_trades(a.symbol, a.limit),
        _shown(fmt.trades),
    )
    p.add_argument("symbol", help=SYMBOL_HELP)
    p.add_argument(
        "--limit", type=limit_arg(MAX_TRADES), help=f"number of trades, 1..{MAX_TRADES} (100)"
    )


def _add_book_commands(sub: Any) -> None:
    p = _leaf(
        sub,
        "depth",
        "order book, bids and asks side by side",
        lambda c, a: c.get_depth(a.symbol, merge=a.merge, limit=a.limit),
        lambda r, a: fmt.depth(r, a.symbol),
    )
    p.add_argument("symbol", help=SYMBOL_HELP)
    p.add_argument(
        "--limit",
        type=limit_arg(MAX_DEPTH),
        default=10,
        help=f"levels per side, 1..{MAX_DEPTH} (10)",
    )
    p.add_argument("--merge", default="step0", help="price merging: step0 (none) .. step5")
    p = _leaf(
        sub,
        "candles",
        "candles, oldest first",
        lambda c, a: c.get_candles(a.symbol, a.period, limit=a.limit),
        _shown(fmt.candles),
    )
    p.add_argument("symbol", help=SYMBOL_HELP)
    p.add_argument(
        "period",
        nargs="?",
        default="1min",
        choices=[x.value for x in CandlePeriod],
        help="candle period (1min)",
    )
    p.add_argument(
        "--limit",
        type=limit_arg(MAX_CANDLES),
        default=20,
        help=f"number of candles, 1..{MAX_CANDLES} (20)",
    )


def _add_history_commands(sub: Any) -> None:
    p = _leaf(
        sub,
        "fills",
        "own trades, newest first",
        lambda c, a: _take(
            c.iter_fills(a.symbol, order_id=a.order_id, page_size=_page(a.limit)), a.limit
        ),
        _shown(fmt.fills),
    )
    p.add_argument("symbol", help=SYMBOL_HELP)
    p.add_argument("--order-id", help="only the trades of this order")
    _limit_option(p, "trades")
    p = _leaf(
        sub,
        "bills",
        "ledger entries (deposits, trades, fees...), newest first",
        lambda c, a: _take(c.iter_bills(coin_id=a.coin_id, page_size=_page(a.limit)), a.limit),
        _shown(fmt.bills),
    )
    p.add_argument("--coin-id", type=int, help="only this coin (its id from `currencies`)")
    _limit_option(p, "entries")


def _place(c: Client, a: argparse.Namespace) -> Any:
    order_type = a.type or (OrderType.LIMIT if a.price is not None else OrderType.MARKET)
    if order_type == OrderType.LIMIT and a.price is None:
        raise ValueError("a limit order needs --price")
    return c.place_order(
        a.symbol,
        a.side,
        order_type,
        a.quantity,
        price=a.price,
        force=a.force,
        client_order_id=a.client_oid,
    )


def _cancel(c: Client, a: argparse.Namespace) -> list[str]:
    ids: list[str] = list(a.order_ids)
    if a.all:
        ids += [o.order_id for o in c.get_open_orders(a.symbol) if o.order_id not in ids]
    elif not ids:
        raise ValueError("give ORDER_ID ... or --all")
    if len(ids) == 1 and not a.all:
        return [c.cancel_order(a.symbol, ids[0])]
    done: list[str] = []
    for start in range(0, len(ids), 50):
        done += c.cancel_batch_orders(a.symbol, ids[start : start + 50])
    cancelled = set(done)
    missing = [order_id for order_id in ids if order_id not in cancelled]
    if missing:  # the batch answer leaves out what it could not cancel: say so
        raise PartlyDone(
            done, f"not cancelled (unknown, another user's or finished): {', '.join(missing)}"
        )
    return done


def _show(c: Client, a: argparse.Namespace) -> Order:
    if not a.order_id and not a.client_oid:
        raise ValueError("give ORDER_ID or --client-oid")
    return c.get_order(a.symbol, a.order_id, client_order_id=a.client_oid)


def _add_place_command(orders: Any) -> None:
    p = _leaf(
        orders,
        "place",
        "place an order (limit with --price, else market)",
        _place,
        _shown(fmt.placed),
    )
    p.add_argument("symbol", help=SYMBOL_HELP)
    p.add_argument("side", type=str.lower, choices=[x.value for x in Side], help="buy or sell")
    p.add_argument(
        "quantity",
        type=decimal_arg,
        help="base quantity (for a market buy: the quote amount to spend)",
    )
    p.add_argument("--price", type=decimal_arg, help="limit price")
    p.add_argument(
        "--type",
        type=str.lower,
        choices=[x.value for x in OrderType],
        help="limit or market (default: limit with --price, else market)",
    )
    p.add_argument(
        "--force",
        type=str.lower,
        default="normal",
        choices=[x.value for x in Force],
        help="time in force (normal = good till cancelled)",
    )
    p.add_argument("--client-oid", help="your id for the order (unique per account)")


def _add_order_commands(sub: Any) -> None:
    group = sub.add_parser(
        "order",
        help="place, cancel, show and list orders",
        description="place, cancel, show and list orders",
    )
    orders = group.add_subparsers(dest="order_command", required=True, metavar="COMMAND")
    _add_place_command(orders)
    p = _leaf(orders, "cancel", "cancel orders", _cancel, _shown(fmt.cancelled))
    p.add_argument("symbol", help=SYMBOL_HELP)
    p.add_argument("order_ids", nargs="*", metavar="ORDER_ID", help="orders to cancel")
    p.add_argument("--all", action="store_true", help="cancel every open order of the symbol")
    p = _leaf(orders, "show", "one order", _show, _shown(fmt.order))
    p.add_argument("order_id", nargs="?", metavar="ORDER_ID", help="the order's id")
    p.add_argument("--symbol", help="the order's symbol (optional)")
    p.add_argument("--client-oid", help="find the order by your client order id")
    p = _leaf(
        orders,
        "list",
        "open orders",
        lambda c, a: c.get_open_orders(a.symbol),
        _shown(fmt.orders),
    )
    p.add_argument("symbol", nargs="?", help="one symbol (default: all)")
    p = _leaf(
        orders,
        "history",
        "finished orders, newest first",
        lambda c, a: _take(c.iter_order_history(a.symbol, page_size=_page(a.limit)), a.limit),
        _shown(fmt.orders),
    )
    p.add_argument("symbol", help=SYMBOL_HELP)
    _limit_option(p, "orders")


def _add_watch_command(sub: Any) -> None:
    help_text = "print stream events, one line each, until Ctrl-C or --count events"
    p = sub.add_parser("watch", help=help_text, description=help_text, parents=[_LEAF_OPTIONS])
    p.add_argument("topics", nargs="*", metavar="TOPIC", help=TOPICS_HELP)
    p.add_argument("--symbol", help="symbol of the public topics (BTCUSDT_SPBL)")
    p.add_argument("--count", type=count_arg, default=0, help="stop after N events")
    p.add_argument("--ws-url", help="WebSocket URL (default: from --url, path /ws)")
    p.set_defaults(func=run_watch)


def add_client_parser(sub: Any) -> None:
    """Register ``openweex client ...`` on the top-level subparsers."""
    description = (
        "Call the WEEX spot API of an openweex (or WEEX) server. Connection options may also"
        " come from OPENWEEX_URL, OPENWEEX_API_KEY, OPENWEEX_SECRET_KEY and"
        " OPENWEEX_PASSPHRASE."
    )
    p = sub.add_parser(
        "client",
        help="call the WEEX spot API (tables, or --json)",
        description=description,
        parents=[_common(True)],
    )
    commands = p.add_subparsers(dest="client_command", required=True, metavar="COMMAND")
    _add_public_commands(commands)
    _add_book_commands(commands)
    _leaf(
        commands,
        "balances",
        "balances: available, frozen by open orders, locked",
        lambda c, a: c.get_assets(),
        _shown(fmt.balances),
    )
    _add_order_commands(commands)
    _add_history_commands(commands)
    _add_watch_command(commands)
