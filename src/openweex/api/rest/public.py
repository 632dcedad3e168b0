"""Public endpoints: server time, currencies, products."""

from __future__ import annotations

from typing import Any

from openweex.api import schemas, wire
from openweex.api.params import SYMBOL, symbol_param
from openweex.api.routing import Ctx, route


@route("GET", "/api/spot/v1/public/time", response=schemas.SERVER_TIME)
async def server_time(ctx: Ctx) -> Any:
    """Server time in milliseconds."""
    return ctx.now


@route("GET", "/api/spot/v1/public/currencies", response=schemas.CURRENCIES)
async def currencies(ctx: Ctx) -> Any:
    """Every coin with its chains."""
    return [wire.currency_json(c) for c in ctx.api.markets.coins.values()]


@route("GET", "/api/spot/v1/public/products", response=schemas.PRODUCTS)
async def products(ctx: Ctx) -> Any:
    """Every trading pair with scales, limits and fees."""
    m = ctx.api.markets
    return [wire.product_json(m, s) for s in m.symbols.values()]


@route("GET", "/api/spot/v1/public/product", params=(SYMBOL,), response=schemas.ONE_PRODUCT)
async def product(ctx: Ctx) -> Any:
    """One trading pair (as a one-element list, like the contract)."""
    m = ctx.api.markets
    return [wire.product_json(m, symbol_param(ctx.params, m))]
