"""Operator API under ``/admin/v1`` (see docs/admin.md): accounts, API keys, funds.

Every call needs the ``X-Admin-Token`` header; the app checks it before any handler runs.
Amounts are decimal strings in the coin's units.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import Any

from openweex.api import schemas, wire
from openweex.api.params import (
    MAX_INT,
    Params,
    coin_param,
    fail,
    opt_int,
    req_str,
    units_param,
)
from openweex.api.routing import ARRAY, DECIMAL, INTEGER, Ctx, Param, route
from openweex.domain import errors
from openweex.domain.commands import (
    CreateAccount,
    CreateApiKey,
    Deposit,
    SetUserFrozen,
    Transfer,
    Withdraw,
)
from openweex.domain.errors import Reject
from openweex.domain.events import BalanceUpdate, TransferRecord
from openweex.domain.markets import Markets
from openweex.domain.values import format_units
from openweex.engine.exchange import ACCOUNT_TYPES, PERMISSIONS
from openweex.engine.ledger import ApiKeyRecord
from openweex.storage.readmodels import BillRow, TransferRow

ADMIN = "/admin/v1"
UID = Param("uid", INTEGER, True, "an account's uid", minimum=0, maximum=MAX_INT)


def _uid(p: Params) -> int:
    uid = opt_int(p, "uid")
    if uid is None:
        raise fail(errors.PARAM_REQUIRED, "uid")
    return uid


def _str_list(p: Params, name: str) -> tuple[str, ...] | None:
    value = p.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(errors.PARAM_INVALID, f"{name} must be a list of strings")
    return tuple(value)


# A passphrase travels in the ACCESS-PASSPHRASE header: no control characters, bounded length.
MAX_PASSPHRASE = 64
PASSPHRASE_PATTERN = "[ -~]+"  # printable ASCII: header values are bytes, sent reliably as ASCII
_PASSPHRASE_RE = re.compile(PASSPHRASE_PATTERN)


def _passphrase(p: Params) -> str:
    text = req_str(p, "passphrase")
    if _PASSPHRASE_RE.fullmatch(text) is None:
        raise fail(
            errors.PARAM_INVALID,
            "passphrase must be printable ASCII, without control characters (it travels in a"
            " header)",
        )
    if len(text) > MAX_PASSPHRASE:
        raise fail(errors.PARAM_INVALID, f"passphrase must be at most {MAX_PASSPHRASE} characters")
    return text


def _permissions(p: Params) -> tuple[str, ...]:
    """Absent: every permission. Given: each known one once, in the order of PERMISSIONS."""
    given = _str_list(p, "permissions")
    if given is None:
        return PERMISSIONS
    if not given:
        raise fail(errors.PARAM_INVALID, "permissions must not be empty (omit it for all)")
    for name in given:
        if name not in PERMISSIONS:
            raise fail(errors.PARAM_INVALID, f"unknown permission {name[:64]!r}")
    return tuple(name for name in PERMISSIONS if name in given)


def _ip_text(entry: str) -> str:
    """An IP address in the text form a socket reports for a client, or 40017."""
    text = entry.strip()
    try:
        if not text.isascii() or not text.isprintable() or " " in text:
            raise ValueError(text)
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise fail(
            errors.PARAM_INVALID, f"ipWhitelist entry {text[:64]!r} is not an IP address"
        ) from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        # a dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d
        scope = f"%{addr.scope_id}" if addr.scope_id else ""
        return f"::ffff:{addr.ipv4_mapped}{scope}"
    return str(addr)


def _ip_whitelist(p: Params) -> tuple[str, ...]:
    """Each address once, normalised; absent or empty: any address."""
    given = _str_list(p, "ipWhitelist") or ()
    return tuple(dict.fromkeys(_ip_text(entry) for entry in given))


def bill_data(markets: Markets, b: BalanceUpdate) -> dict[str, Any]:
    """The bill as ``account/bills`` shows it, with the user and the available balance
    after it."""
    row = BillRow(
        b.bill_id,
        b.uid,
        b.coin,
        b.group_type,
        b.biz_type,
        b.bill_qty,
        b.balance_before,
        b.fee,
        b.ts,
    )
    scale = markets.coins[b.coin].scale
    return {
        **wire.bill_json(markets, row),
        "uid": str(b.uid),
        "available": format_units(b.available, scale),
    }


def issue_key(
    uid: int, passphrase: str, perms: tuple[str, ...], ips: tuple[str, ...]
) -> CreateApiKey:
    """A key command with fresh random credentials."""
    return CreateApiKey(
        0, uid, "ow_" + secrets.token_hex(16), secrets.token_hex(32), passphrase, perms, ips
    )


def key_data(rec: ApiKeyRecord) -> dict[str, Any]:
    return {
        "uid": str(rec.uid),
        "apiKey": rec.api_key,
        "secretKey": rec.secret,
        "passphrase": rec.passphrase,
        "permissions": list(rec.permissions),
        "ipWhitelist": list(rec.ip_whitelist),
    }


@route("POST", f"{ADMIN}/accounts", response=schemas.UID)
async def create_account(ctx: Ctx) -> Any:
    """Open an account."""
    uid, _ = await ctx.api.runtime.submit(CreateAccount(0))
    return {"uid": str(uid)}


FUNDS_PARAMS = (
    UID,
    Param("coin", required=True, description="a coin of /public/currencies (case-insensitive)"),
    Param("amount", DECIMAL, True, "in the coin, on its scale"),
)


@route(
    "POST",
    f"{ADMIN}/api-keys",
    params=(
        UID,
        Param(
            "passphrase",
            required=True,
            description="printable ASCII (it travels in a header)",
            pattern=PASSPHRASE_PATTERN,
            max_length=MAX_PASSPHRASE,
        ),
        Param(
            "permissions",
            ARRAY,
            description="absent: every permission",
            items=Param("permission", enum=PERMISSIONS),
            min_items=1,
        ),
        Param(
            "ipWhitelist",
            ARRAY,
            description="IP addresses the key may be used from; absent or empty: any",
            items=Param("ip"),
        ),
    ),
    response=schemas.API_KEY,
)
async def create_api_key(ctx: Ctx) -> Any:
    """Issue an API key; the secret is shown only in this response."""
    p = ctx.params
    cmd = issue_key(_uid(p), _passphrase(p), _permissions(p), _ip_whitelist(p))
    result, _ = await ctx.api.runtime.submit(cmd)
    if isinstance(result, Reject):
        return result
    assert isinstance(result, ApiKeyRecord)
    return key_data(result)


ACCOUNT_TYPE_NAMES = tuple(sorted(ACCOUNT_TYPES))
TRANSFER_TYPES = "an account type (case-insensitive); one side is SPOT, the other not"


async def _funds(ctx: Ctx, kind: type[Deposit] | type[Withdraw]) -> Any:
    p = ctx.params
    coin = coin_param(ctx.api.markets, req_str(p, "coin"))
    amount = units_param(p, "amount", coin.scale)
    result, _ = await ctx.api.runtime.submit(kind(0, _uid(p), coin.name, amount))
    if isinstance(result, Reject):
        return result
    assert isinstance(result, BalanceUpdate)
    return bill_data(ctx.api.markets, result)


@route("POST", f"{ADMIN}/deposits", params=FUNDS_PARAMS, response=schemas.ADMIN_BILL)
async def deposit(ctx: Ctx) -> Any:
    """Credit a user's available balance."""
    return await _funds(ctx, Deposit)


@route("POST", f"{ADMIN}/withdrawals", params=FUNDS_PARAMS, response=schemas.ADMIN_BILL)
async def withdraw(ctx: Ctx) -> Any:
    """Debit a user's available balance (43012 when it is not enough)."""
    return await _funds(ctx, Withdraw)


@route(
    "POST",
    f"{ADMIN}/transfers",
    params=(
        *FUNDS_PARAMS,
        Param("fromType", required=True, description=TRANSFER_TYPES, enum=ACCOUNT_TYPE_NAMES),
        Param("toType", required=True, description=TRANSFER_TYPES, enum=ACCOUNT_TYPE_NAMES),
    ),
    response=schemas.TRANSFER,
)
async def transfer(ctx: Ctx) -> Any:
    """Move funds between SPOT and another account type."""
    p = ctx.params
    m = ctx.api.markets
    coin = coin_param(m, req_str(p, "coin"))
    amount = units_param(p, "amount", coin.scale)
    cmd = Transfer(0, _uid(p), coin.name, amount, req_str(p, "fromType"), req_str(p, "toType"))
    result, _ = await ctx.api.runtime.submit(cmd)
    if isinstance(result, Reject):
        return result
    assert isinstance(result, TransferRecord)
    row = TransferRow(
        result.transfer_id,
        result.uid,
        result.coin,
        result.amount,
        result.from_type,
        result.to_type,
        result.ts,
    )
    return wire.transfer_json(m, row)


async def _set_frozen(ctx: Ctx, frozen: bool) -> Any:
    uid = int(ctx.params["uid"])
    result, _ = await ctx.api.runtime.submit(SetUserFrozen(0, uid, frozen))
    return result if isinstance(result, Reject) else {"uid": str(uid), "frozen": frozen}


@route("POST", f"{ADMIN}/accounts/{{uid:int}}/freeze", response=schemas.FROZEN)
async def freeze(ctx: Ctx) -> Any:
    """Freeze a user: every private call of its keys answers 40013."""
    return await _set_frozen(ctx, True)


@route("POST", f"{ADMIN}/accounts/{{uid:int}}/unfreeze", response=schemas.FROZEN)
async def unfreeze(ctx: Ctx) -> Any:
    """Unfreeze a user."""
    return await _set_frozen(ctx, False)


@route("GET", f"{ADMIN}/accounts/{{uid:int}}", response=schemas.ACCOUNT)
async def account_info(ctx: Ctx) -> Any:
    """An account's balances, frozen flag and API keys (without secrets)."""
    uid = int(ctx.params["uid"])
    ex = ctx.api.runtime.exchange
    acct = ex.accounts.get(uid)
    if acct is None:
        return errors.reject(errors.ACCOUNT_NOT_FOUND)
    return {
        "uid": str(uid),
        "frozen": acct.frozen,
        "assets": [
            wire.asset_json(coin, b.available, b.frozen, b.locked, b.utime)
            for coin, b in wire.balances_in_order(ctx.api.markets, acct.balances)
        ],
        "apiKeys": sorted(k.api_key for k in ex.api_keys.values() if k.uid == uid),
    }


@route("POST", f"{ADMIN}/snapshot", response=schemas.SNAPSHOT)
async def snapshot(ctx: Ctx) -> Any:
    """Write a snapshot now; returns its journal seq."""
    return {"seq": str(await ctx.api.runtime.snapshot())}
