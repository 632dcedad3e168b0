"""Account endpoints: assets, bills, transfer records."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from openweex.api import schemas, wire
from openweex.api.params import (
    HISTORY_MS,
    PageLimit,
    coin_param,
    fail,
    id_param,
    id_spec,
    limit_param,
    opt_int,
    opt_str,
)
from openweex.api.routing import READ, Ctx, Param, route
from openweex.domain import errors
from openweex.domain.events import BILL_BIZ_TYPES, BILL_GROUP_TYPES
from openweex.engine.exchange import ACCOUNT_TYPES
from openweex.storage.readmodels import Page

PAGE_LIMITS = PageLimit(100, 500)


def page_params(unit: str) -> tuple[Param, ...]:
    """``after``, ``before`` and ``limit`` as :func:`id_page` reads them (``unit``: what
    the cursors are)."""
    return (
        id_spec("after", f"older than this {unit} (newest first)"),
        id_spec("before", f"newer than this {unit} (given alone: oldest first)"),
        PAGE_LIMITS.param(),
    )


COIN_ID = id_spec("coinId", "only this coin (a coinId of /public/currencies)")


def id_page(ctx: Ctx, after_name: str = "after", before_name: str = "before") -> Page:
    """Cursor paging: ``after`` older than, ``before`` newer than (ids, or ms for transfers).

    Pages come newest first, except for ``before`` alone: oldest first (the contract's "asc";
    see ``SqliteStore._paged``). Both given with ``before > after`` is an empty window
    backwards: 40707. ``limit`` default 100, at most 500 (larger values are capped).
    """
    after = id_param(ctx.params, after_name)
    before = id_param(ctx.params, before_name)
    if after is not None and before is not None and before > after:
        raise fail(errors.START_AFTER_END)
    return Page(after, before, limit_param(ctx.params, PAGE_LIMITS))


def _coin_name(ctx: Ctx) -> str | None:
    """The coin named by the optional ``coinId`` parameter (40017 when unknown)."""
    coin_id = opt_int(ctx.params, "coinId")
    if coin_id is None:
        return None
    coin = ctx.api.markets.coins_by_id.get(coin_id)
    if coin is None:
        raise fail(errors.PARAM_INVALID, f"unknown coinId {coin_id}")
    return coin.name


# Bitget v1 calls the spot account "exchange" (its own transferRecords example asks for
# fromType=exchange): the same account as SPOT.
ACCOUNT_TYPE_ALIASES: Mapping[str, str] = MappingProxyType({"EXCHANGE": "SPOT"})


def _choice(
    ctx: Ctx,
    name: str,
    allowed: frozenset[str],
    upper: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> str | None:
    """The optional enumeration ``name``, case-insensitive, in the case of ``allowed`` (or
    an alias of one of them) (40017 when it is none of them: a filter with a typo must not
    look like "no records")."""
    text = opt_str(ctx.params, name)
    if text is None:
        return None
    value = text.upper() if upper else text.lower()
    if aliases:
        value = aliases.get(value, value)
    if value not in allowed:
        raise fail(errors.PARAM_INVALID, f"{name} must be one of {', '.join(sorted(allowed))}")
    return value


@route(
    "GET",
    "/api/spot/v1/account/assets",
    permission=READ,
    params=(Param("coin", description="only this coin (case-insensitive)"),),
    response=schemas.ASSETS,
)
async def assets(ctx: Ctx) -> Any:
    """Balances of every coin the user holds (available, frozen, lock); with ``coin`` (as
    Bitget v1 takes it), only that coin's, if the user holds any."""
    acct = ctx.api.runtime.exchange.accounts[ctx.uid]
    text = opt_str(ctx.params, "coin")
    only = None if text is None else coin_param(ctx.api.markets, text)
    return [
        wire.asset_json(coin, b.available, b.frozen, b.locked, b.utime or acct.ctime)
        for coin, b in wire.balances_in_order(ctx.api.markets, acct.balances)
        if only is None or coin == only
    ]


@route(
    "POST",
    "/api/spot/v1/account/bills",
    permission=READ,
    params=(
        COIN_ID,
        Param("groupType", description="case-insensitive", enum=tuple(sorted(BILL_GROUP_TYPES))),
        Param("bizType", description="case-insensitive", enum=tuple(sorted(BILL_BIZ_TYPES))),
        *page_params("billId"),
    ),
    response=schemas.BILLS,
)
async def bills(ctx: Ctx) -> Any:
    """Balance movements, newest first (``before`` alone: oldest first), paged by billId."""
    m = ctx.api.markets
    coin = _coin_name(ctx)
    group = _choice(ctx, "groupType", BILL_GROUP_TYPES)
    biz = _choice(ctx, "bizType", BILL_BIZ_TYPES)
    rows = ctx.api.runtime.store.bills(
        ctx.uid, coin, group, biz, id_page(ctx), ctx.now - HISTORY_MS
    )
    return [wire.bill_json(m, b) for b in rows]


@route(
    "GET",
    "/api/spot/v1/account/transferRecords",
    permission=READ,
    params=(
        COIN_ID,
        Param(
            "fromType",
            description="case-insensitive; EXCHANGE (Bitget v1's name) is SPOT",
            enum=tuple(sorted(ACCOUNT_TYPES | set(ACCOUNT_TYPE_ALIASES))),
        ),
        *page_params("tradeTime (ms)"),
    ),
    response=schemas.TRANSFERS,
)
async def transfer_records(ctx: Ctx) -> Any:
    """Transfers, newest first (``before`` alone: oldest first); ``after``/``before`` are
    tradeTime cursors (ms)."""
    m = ctx.api.markets
    coin = _coin_name(ctx)
    from_type = _choice(ctx, "fromType", ACCOUNT_TYPES, upper=True, aliases=ACCOUNT_TYPE_ALIASES)
    page = id_page(ctx)
    since = ctx.now - HISTORY_MS
    if page.after is not None and page.after <= since:  # only records older than 3 months
        raise fail(errors.HISTORY_TOO_OLD)
    rows = ctx.api.runtime.store.transfers(ctx.uid, coin, from_type, page, since)
    return [wire.transfer_json(m, t) for t in rows]
