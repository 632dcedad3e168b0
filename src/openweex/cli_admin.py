"""``openweex admin ...`` (the admin HTTP API) and ``openweex data ...`` (a data directory)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

DEFAULT_URL = "http://127.0.0.1:8080"


def _admin_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--url",
        default=os.environ.get("OPENWEEX_URL", DEFAULT_URL),
        help=f"server URL ($OPENWEEX_URL, {DEFAULT_URL})",
    )
    p.add_argument(
        "--admin-token",
        default=os.environ.get("OPENWEEX_ADMIN_TOKEN"),
        help="the server's admin token ($OPENWEEX_ADMIN_TOKEN)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("openweex-data"),
        help="where to find a stored admin token when none is given",
    )


def _token(args: argparse.Namespace) -> str:
    """The admin token of ``--admin-token`` (or the environment), else of the data
    directory's token file; one that could not be sent in a header is refused here."""
    from openweex.datadir import TOKEN_FILE
    from openweex.server import StartError, checked_token, stored_token

    try:
        if args.admin_token:
            return checked_token(str(args.admin_token), "--admin-token")
        path = args.data_dir / TOKEN_FILE
        stored = stored_token(path)
        if stored is None:
            raise SystemExit("openweex: no admin token (use --admin-token or OPENWEEX_ADMIN_TOKEN)")
        return checked_token(stored, str(path))
    except StartError as exc:
        raise SystemExit(f"openweex: {exc}") from None


def admin_call(args: argparse.Namespace, method: str, path: str, body: dict[str, Any]) -> int:
    try:
        resp = httpx.request(
            method,
            args.url.rstrip("/") + "/admin/v1" + path,
            json=body,
            headers={"X-Admin-Token": _token(args)},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(f"openweex: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    try:
        payload = resp.json()
    except ValueError:
        print(f"openweex: HTTP {resp.status_code}: {resp.text[:200]}", file=sys.stderr)
        return 1
    if payload.get("code") != "00000":
        print(f"openweex: error {payload.get('code')}: {payload.get('msg')}", file=sys.stderr)
        return 1
    print(json.dumps(payload["data"], indent=2))
    return 0


def add_admin_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="operator commands over the admin API")
    asub = admin.add_subparsers(dest="admin_command", required=True)
    p = asub.add_parser("create-account", help="open an account")
    p.set_defaults(func=lambda a: admin_call(a, "POST", "/accounts", {}))
    p = asub.add_parser("create-key", help="issue an API key for a user")
    p.add_argument("--uid", type=_UID, required=True, help="the user's id")
    p.add_argument("--passphrase", required=True, help="the key's passphrase (ACCESS-PASSPHRASE)")
    p.add_argument(
        "--permissions",
        nargs="+",
        default=None,
        help="SPOT_ACCOUNT_R and/or SPOT_TRADE (default: both)",
    )
    p.add_argument(
        "--ip", nargs="*", default=None, dest="ips", help="IP whitelist (default: any address)"
    )
    p.set_defaults(func=_create_key)
    for name, path in (("deposit", "/deposits"), ("withdraw", "/withdrawals")):
        p = asub.add_parser(name, help=f"{name} funds")
        p.add_argument("--uid", type=_UID, required=True, help="the user's id")
        p.add_argument("--coin", required=True, help="e.g. USDT")
        p.add_argument("--amount", required=True, help="a decimal amount, e.g. 1000.5")
        p.set_defaults(
            func=lambda a, path=path: admin_call(
                a, "POST", path, {"uid": a.uid, "coin": a.coin, "amount": a.amount}
            )
        )
    p = asub.add_parser("transfer", help="move funds between SPOT and another account type")
    p.add_argument("--uid", type=_UID, required=True, help="the user's id")
    p.add_argument("--coin", required=True, help="e.g. USDT")
    p.add_argument("--amount", required=True, help="a decimal amount, e.g. 1000.5")
    p.add_argument("--from-type", required=True, help="SPOT or another account type")
    p.add_argument("--to-type", required=True, help="SPOT or another account type")
    p.set_defaults(
        func=lambda a: admin_call(
            a,
            "POST",
            "/transfers",
            {
                "uid": a.uid,
                "coin": a.coin,
                "amount": a.amount,
                "fromType": a.from_type,
                "toType": a.to_type,
            },
        )
    )
    for name in ("freeze", "unfreeze"):
        p = asub.add_parser(name, help=f"{name} a user")
        p.add_argument("--uid", type=_PATH_UID, required=True, help="the user's id")
        p.set_defaults(
            func=lambda a, name=name: admin_call(a, "POST", f"/accounts/{a.uid:d}/{name}", {})
        )
    p = asub.add_parser("account", help="show an account")
    p.add_argument("--uid", type=_PATH_UID, required=True, help="the user's id")
    p.set_defaults(func=lambda a: admin_call(a, "GET", f"/accounts/{a.uid:d}", {}))
    for p in asub.choices.values():
        _admin_common(p)


def _create_key(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"uid": args.uid, "passphrase": args.passphrase}
    if args.permissions is not None:
        body["permissions"] = args.permissions
    if args.ips:
        body["ipWhitelist"] = args.ips
    return admin_call(args, "POST", "/api-keys", body)


_N = TypeVar("_N", int, float)


def bounded_number(
    convert: Callable[[str], _N], says: str, low: float, high: float = math.inf, above: bool = False
) -> Callable[[str], _N]:
    """An argparse type: ``convert``'s finite value from ``low`` (or ``above`` it) to ``high``."""
    kind = "whole number" if convert is int else "number"

    def parse(text: str) -> _N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {kind}: {text!r}") from None
        ok = (value > low if above else value >= low) and value <= high
        if not ok or (isinstance(value, float) and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be {says}: {text!r}")
        return value

    return parse


# The uids the server accepts: in a JSON body, 0 to 2**63 - 1 (api.params.opt_int); in a
# path (/accounts/{uid}), 1 to 18 digits (api.app's {name:int}). Beyond them it answers
# "must be a whole number" or "Request path not found", which would not say what is wrong.
UID_MAX = 2**63 - 1
PATH_UID_MAX = 10**18 - 1
_UID = bounded_number(int, f"a uid from 0 to {UID_MAX}", 0, UID_MAX)
_PATH_UID = bounded_number(int, f"a uid from 0 to {PATH_UID_MAX}", 0, PATH_UID_MAX)

_SECONDS = bounded_number(float, "a finite number more than 0", 0, above=True)
_NOT_NEGATIVE = bounded_number(float, "a finite number, 0 or more", 0)
_RECORD_SIZE = bounded_number(int, "1 to 65536", 1, 65536)


def add_data_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from openweex import datadir, datareset

    data = sub.add_parser("data", help="inspect and maintain a data directory (server stopped)")
    dsub = data.add_subparsers(dest="data_command", required=True)
    p = dsub.add_parser("check", help="verify journal and snapshots, print a summary")
    p.set_defaults(func=datadir.cmd_check)
    p = dsub.add_parser("snapshot", help="recover the state and write a snapshot")
    p.set_defaults(func=datadir.cmd_snapshot)
    p = dsub.add_parser(
        "reset", help="delete the exchange state (keeps the admin token; refuses other files)"
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=datareset.cmd_reset)
    p = dsub.add_parser("export", help="write the whole exchange state to one file")
    p.add_argument("file", type=Path, help="the state file to write")
    p.set_defaults(func=datadir.cmd_export)
    p = dsub.add_parser("import", help="load a state file into an empty data directory")
    p.add_argument("file", type=Path, help="a state file written by export")
    p.set_defaults(func=datadir.cmd_import)
    for p in dsub.choices.values():
        p.add_argument(
            "--data-dir",
            type=Path,
            default=Path("openweex-data"),
            help="the server's data directory (./openweex-data)",
        )
        p.add_argument("--config", help="TOML market config (default: the dir's markets.toml)")
    p = dsub.add_parser(
        "disk",
        help="time appends + fdatasync on the data directory's disk (the floor of an order's "
        "latency)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("openweex-data"),
        help="the server's data directory (./openweex-data); if missing, its nearest parent",
    )
    p.add_argument("--seconds", type=_SECONDS, default=5.0, help="measured seconds (5)")
    p.add_argument("--rate", type=_NOT_NEGATIVE, default=1000.0,
                   help="appends a second (1000; 0: one after the other)")  # fmt: skip
    p.add_argument("--size", type=_RECORD_SIZE, default=200, metavar="BYTES",
                   help="bytes an append, 1-65536 (200: about one order's record)")  # fmt: skip
    p.add_argument("--warmup", type=_NOT_NEGATIVE, default=0.5,
                   help="seconds at the rate before the measured ones (0.5)")  # fmt: skip
    p.add_argument("--idle", type=_NOT_NEGATIVE, default=0.5,
                   help="seconds without appends before the first one, timed apart "
                        "(0.5; 0: none)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=datadir.cmd_disk)
