"""Command line: ``openweex serve | admin ... | data ... | client ...``.

Thin layers: ``serve`` runs :mod:`openweex.server`; ``admin`` wraps the admin HTTP API;
``data`` inspects and maintains a data directory; ``client`` wraps the SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from openweex import __version__
from openweex.domain.markets import (
    DEFAULT_CONFIG,
    MarketConfigError,
    Markets,
    market_changes,
    parse_markets,
)

if TYPE_CHECKING:
    from openweex.server import ServeOptions

# The market configuration a data directory was last opened with (see remember_markets).
MARKETS_FILE = "markets.toml"
BUILT_IN = "the built-in markets"
# The most commands --snapshot-every allows between two snapshots (the time limit still acts).
MAX_SNAPSHOT_EVERY = 1_000_000_000
# What --header-timeout and --body-timeout allow, in seconds.
MIN_TIMEOUT = 0.1
MAX_TIMEOUT = 3600.0


class ConfigRefused(SystemExit):
    """A configuration the command cannot use. Its text is the whole message
    (``openweex: ...``); :func:`main` prints it and exits with status 2."""


class MarketChoice(NamedTuple):
    markets: Markets
    text: str  # the TOML it was read from
    source: str  # where from, for messages


def choose_markets(
    path: str | None, data_dir: Path | None, *, remembered: bool = True
) -> MarketChoice:
    """The markets to run with: from ``--config`` when given, else (with ``remembered``) the
    configuration the data directory remembers, else the built-in set.

    Markets that would change the meaning of the directory's state (see
    :func:`~openweex.domain.markets.market_changes`) against the configuration it remembers
    are refused, as is a configuration that cannot be used: both raise
    :class:`ConfigRefused` (a message, and exit status 2 from the command line).
    """
    known = None if data_dir is None else data_dir / MARKETS_FILE
    if known is not None and not known.is_file():
        known = None
    if path is not None:
        choice = _read_markets(path)
    elif known is not None and remembered:
        return _read_markets(str(known))
    else:
        choice = MarketChoice(parse_markets(DEFAULT_CONFIG), DEFAULT_CONFIG, BUILT_IN)
    if known is not None:
        changes = market_changes(_read_markets(str(known)).markets, choice.markets)
        if changes:
            raise ConfigRefused(
                f"openweex: {choice.source} does not fit the data directory {data_dir},"
                f" whose state was made with the markets of {known}: {'; '.join(changes)}."
                " Use that configuration, or one that only adds coins and symbols or changes"
                " fees, limits and chains (or start from an empty data directory)"
            )
    return choice


def _read_markets(path: str) -> MarketChoice:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigRefused(f"openweex: cannot read config {path}: {reason}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigRefused(f"openweex: cannot read config {path}: it is not UTF-8 text") from exc
    return markets_of(text, path)


def markets_of(text: str, source: str) -> MarketChoice:
    """The markets of configuration ``text`` read from ``source``; :class:`ConfigRefused`
    when it cannot be used."""
    try:
        return MarketChoice(parse_markets(text), text, source)
    except MarketConfigError as exc:
        raise ConfigRefused(f"openweex: bad config {source}: {exc}") from exc


def remember_markets(data_dir: Path, text: str) -> None:
    """Keep ``text`` as the data directory's market configuration (written atomically, and
    only when it changed), for the commands that later open the directory without
    ``--config``."""
    from openweex.storage.files import atomic_write

    path = data_dir / MARKETS_FILE
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    atomic_write(path, text.encode())


def _serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from openweex.cli_admin import bounded_number
    from openweex.cpulatency import MAX_MICROSECONDS

    p = sub.add_parser("serve", help="run the exchange (REST + WebSocket on one port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument(
        "--port",
        type=bounded_number(int, "0 to 65535", 0, 65535),
        default=8080,
        help="port (8080; 0 picks a free one)",
    )
    p.add_argument(
        "--data-dir",
        default="./openweex-data",
        type=Path,
        help="journal, snapshots, read models and admin token (./openweex-data)",
    )
    p.add_argument("--config", help="TOML file with coins and symbols")
    p.add_argument("--admin-token", help="admin API secret (or env OPENWEEX_ADMIN_TOKEN)")
    p.add_argument("--demo", action="store_true", help="demo trader + market makers")
    p.add_argument("--seed", type=int, help="with --demo: seed of the market makers (1)")
    p.add_argument("--replay", help="with --demo: candles/trades CSV (or 'sample') to replay")
    p.add_argument("--replay-speed", type=int, help="with --demo: replay acceleration (x1, x100)")
    p.add_argument("--replay-symbol", help="with --demo: symbol the replay drives (the first)")
    p.add_argument("--no-rate-limits", action="store_true", help="turn rate limits off")
    p.add_argument(
        "--log-level",
        default="info",
        type=str.lower,
        choices=["debug", "info", "warning", "error", "critical"],
        help="info (default); debug adds one access-log line per request",
    )
    p.add_argument(
        "--snapshot-every",
        type=bounded_number(int, f"1 to {MAX_SNAPSHOT_EVERY}", 1, MAX_SNAPSHOT_EVERY),
        default=200_000,
        metavar="N",
        help="commands between snapshots (200000; one is also written every 5 minutes"
        " with changes, and on shutdown)",
    )
    says = f"{MIN_TIMEOUT:g} to {MAX_TIMEOUT:g} seconds"
    timeout = bounded_number(float, says, MIN_TIMEOUT, MAX_TIMEOUT)
    p.add_argument(
        "--header-timeout",
        type=timeout,
        default=10.0,
        metavar="SECONDS",
        help="a request's header must arrive within this time (10; then 408, or a plain close"
        " when nothing came)",
    )
    p.add_argument(
        "--body-timeout",
        type=timeout,
        default=10.0,
        metavar="SECONDS",
        help="a request's body must arrive within this time after its header (10; then 408)",
    )

    p.add_argument(
        "--cpu-wake-latency-us",
        type=bounded_number(int, f"0 to {MAX_MICROSECONDS}", 0, MAX_MICROSECONDS),
        metavar="US",
        help="Linux: while serving, keep the CPUs out of idle states slower than US to wake "
        "from (/dev/cpu_dma_latency, usually root only; 0: polling idle, the lowest latency, "
        "busy-looking CPUs)",
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from openweex.server import ServeOptions, StartError, given_token, serve

    demo_only = ("seed", "replay", "replay_speed", "replay_symbol")
    given = [f"--{name.replace('_', '-')}" for name in demo_only if getattr(args, name) is not None]
    if given and not args.demo:
        print(f"openweex: {', '.join(given)} need --demo (the simulation)", file=sys.stderr)
        return 2
    try:
        token = given_token(args.admin_token)
    except StartError as exc:
        print(f"openweex: {exc}", file=sys.stderr)
        return 2
    choice = choose_markets(args.config, args.data_dir, remembered=False)
    markets = choice.markets
    opts = ServeOptions(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        admin_token=token,
        rate_limits=not args.no_rate_limits,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        runtime_options={"snapshot_every": args.snapshot_every},
        on_open=lambda data_dir: remember_markets(data_dir, choice.text),
        cpu_wake_latency_us=args.cpu_wake_latency_us,
    )
    refused = _add_simulation(args, markets, opts)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    # logging is set up once every argument passed: a refused command changes nothing
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    if args.log_level.upper() != "DEBUG":
        logging.getLogger("openweex.access").setLevel(logging.WARNING)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return _run_server(runner, serve(markets, opts))
    except KeyboardInterrupt:
        return 0


def _add_simulation(args: argparse.Namespace, markets: Markets, opts: ServeOptions) -> str:
    """With ``--demo``, add its starter to ``opts`` (the configuration and replay files are
    read now); without, check the simulation tables of ``--config`` all the same. The
    message refusing them, or ``""``."""
    from openweex.sim.config import SimConfigError, load_sim_config
    from openweex.sim.prices import ReplayError

    try:
        if args.demo:
            from openweex.sim.demo import demo_starter

            opts.starters.append(
                demo_starter(
                    markets,
                    seed=1 if args.seed is None else args.seed,
                    config=args.config,
                    replay=args.replay,
                    replay_speed=args.replay_speed,
                    replay_symbol=args.replay_symbol,
                )
            )
        elif args.config is not None:  # its tables act only with --demo: check them
            load_sim_config(markets, Path(args.config))
    except ReplayError as exc:
        return f"openweex: bad replay file: {exc}"
    except SimConfigError as exc:
        return f"openweex: bad simulation config: {exc}"
    return ""


def _run_server(runner: asyncio.Runner, main: Coroutine[Any, Any, int]) -> int:
    """Run the server to its exit code; a demo trader that cannot be funded stops it with a
    message (exit code 1)."""
    from openweex.sim.demo import DemoError

    try:
        return runner.run(main)
    except* DemoError as group:
        print(f"openweex: cannot start the demo: {group.exceptions[0]}", file=sys.stderr)
    return 1


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (it is a dependency on POSIX)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


DESCRIPTION = "A self-hostable spot exchange that speaks the WEEX spot API."
EPILOG = """examples:
  openweex serve                                    run the exchange on 127.0.0.1:8080
  openweex serve --demo                             ... with market makers and a demo key
  openweex admin create-account                     open an account (server running)
  openweex client --api-key K --secret-key S --passphrase P balances
  openweex data check                               verify a stopped server's data

"openweex COMMAND --help" shows a command's options."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openweex",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"openweex {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    from openweex.cli_admin import add_admin_parser, add_data_parser

    add_admin_parser(sub)
    add_data_parser(sub)
    from openweex.client.cli import add_client_parser

    add_client_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = cmd_serve(args) if args.command == "serve" else args.func(args)
    except ConfigRefused as exc:
        print(exc, file=sys.stderr)
        code = 2
    sys.exit(code)
