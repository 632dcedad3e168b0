"""Public endpoints: server time, currencies, products."""

from __future__ import annotations

from typing import Any

from openweex.api import wire
from openweex.api.params import symbol_param
from openweex.api.routing import Ctx, route

S = "string"


@route("GET", "/api/spot/v1/public/time")
async def server_time(ctx: Ctx) -> Any:
    """Server time in milliseconds."""
    return ctx.now


@route("GET", "/api/spot/v1/public/currencies")
async def currencies(ctx: Ctx) -> Any:
    """Every coin with its chains."""
    return [wire.currency_json(c) for c in ctx.api.markets.coins.values()]


@route("GET", "/api/spot/v1/public/products")
async def products(ctx: Ctx) -> Any:
    """Every trading pair with scales, limits and fees."""
    m = ctx.api.markets
    return [wire.product_json(m, s) for s in m.symbols.values()]


@route("GET", "/api/spot/v1/public/product", params=(("symbol", S, True),))
async def product(ctx: Ctx) -> Any:
    """One trading pair (as a one-element list, like the contract)."""
    m = ctx.api.markets
    return [wire.product_json(m, symbol_param(ctx.params, m))]
