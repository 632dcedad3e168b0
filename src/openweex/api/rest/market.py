"""Market data endpoints: ticker(s), recent trades, candles, depth.

Everything here reads the engine's in-memory state (books and market data), which only ever
holds durable changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orjson import Fragment, dumps

from openweex.api import schemas, wire
from openweex.api.params import (
    HISTORY_MS,
    SYMBOL,
    PageLimit,
    fail,
    id_spec,
    limit_param,
    opt_int,
    opt_str,
    symbol_param,
)
from openweex.api.routing import Ctx, Param, route
from openweex.domain import errors
from openweex.domain.markets import Symbol
from openweex.domain.values import Side
from openweex.engine.marketdata import (
    DEPTH_TYPES,
    PERIOD_ALIASES,
    PERIODS,
    merge_levels,
    parse_depth_type,
    parse_period,
)

DEPTH_LIMIT = 500  # the contract's default; also the most levels a side returned
DEPTH_LIMITS = PageLimit(DEPTH_LIMIT, DEPTH_LIMIT)
FILLS_LIMITS = PageLimit(100, 500)
CANDLE_LIMITS = PageLimit(100, 1000)
DEFAULT_DEPTH_TYPE = "step0"


def _view(ctx: Ctx, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()``, reused until the next durable batch changes the state.

    The cache holds the views of the runtime's current applied seq only: it is emptied
    when the seq moves on (views of an older state are never asked for again, and a full
    depth view is tens of kilobytes), and when it grows large.
    """
    api = ctx.api
    seq = api.runtime.applied_seq
    cache = api.view_cache
    if seq != api.view_seq:
        cache.clear()
        api.view_seq = seq
    cached = cache.get(key)
    if cached is None:
        cached = build()
        if len(cache) >= 512:
            cache.clear()
        cache[key] = cached
    return cached


def _best(ctx: Ctx, sym: Symbol) -> tuple[int, int, int, int]:
    book = ctx.api.runtime.exchange.books[sym.symbol]
    bid, ask = book.best_bid(), book.best_ask()
    return bid, book.volume(Side.BUY, bid), ask, book.volume(Side.SELL, ask)


DAY_MS = 86_400_000


def _ticker(ctx: Ctx, sym: Symbol) -> dict[str, Any]:
    """The ticker of ``sym`` now, with the price at 00:00 UTC today as ``openUtc0``: the
    open of today's first trade, or the last price when there was none yet today."""
    md = ctx.api.runtime.exchange.market
    t = md.ticker(sym.symbol, ctx.now)
    today = md.candles(sym.symbol, "1d", after=ctx.now - ctx.now % DAY_MS, limit=1)
    open_utc0 = today[0].open if today else t.close
    return wire.ticker_json(ctx.api.markets, sym, t, _best(ctx, sym), open_utc0)


@route("GET", "/api/spot/v1/market/ticker", params=(SYMBOL,), response=schemas.TICKER)
async def ticker(ctx: Ctx) -> Any:
    """24h rolling ticker of one symbol."""
    sym = symbol_param(ctx.params, ctx.api.markets)
    # the 24h window (and the day) move by the minute; only ``ts`` changes within one
    key = ("ticker", sym.symbol, ctx.now // 60_000)
    view: dict[str, Any] = _view(ctx, key, lambda: _ticker(ctx, sym))
    return {**view, "ts": str(ctx.now)}


@route("GET", "/api/spot/v1/market/tickers", response=schemas.TICKERS)
async def tickers(ctx: Ctx) -> Any:
    """24h rolling tickers of every symbol."""
    return [_ticker(ctx, s) for s in ctx.api.markets.symbols.values()]


@route(
    "GET",
    "/api/spot/v1/market/fills",
    params=(SYMBOL, FILLS_LIMITS.param()),
    response=schemas.TRADES,
)
async def recent_fills(ctx: Ctx) -> Any:
    """Recent trades, newest first (limit default 100, at most 500)."""
    sym = symbol_param(ctx.params, ctx.api.markets)
    limit = limit_param(ctx.params, FILLS_LIMITS)
    tape = ctx.api.runtime.exchange.market.recent_trades(sym.symbol, limit)
    horizon = ctx.now - HISTORY_MS  # nothing older than 90 days
    return [wire.trade_json(sym, t) for t in tape if t.ts >= horizon]


@route(
    "GET",
    "/api/spot/v1/market/candles",
    params=(
        SYMBOL,
        Param(
            "period",
            required=True,
            description="the candle length (case-insensitive)",
            enum=(*PERIODS, *PERIOD_ALIASES),
        ),
        id_spec("after", "candles starting at or after this time (ms)"),
        id_spec("before", "candles starting at or before this time (ms), within 90 days"),
        CANDLE_LIMITS.param(),
    ),
    response=schemas.CANDLES,
)
async def candles(ctx: Ctx) -> Any:
    """Candles oldest first; ``after``/``before`` bound the candle start time (ms)."""
    m = ctx.api.markets
    sym = symbol_param(ctx.params, m)
    text = opt_str(ctx.params, "period")
    if text is None:
        raise fail(errors.PARAM_REQUIRED, "period")
    period = parse_period(text)
    if period is None:
        raise fail(errors.PARAM_INVALID, f"unknown period {text}")
    after = opt_int(ctx.params, "after")
    before = opt_int(ctx.params, "before")
    if after is not None and before is not None and after > before:
        raise fail(errors.START_AFTER_END)
    if before is not None and before < ctx.now - HISTORY_MS:
        raise fail(errors.HISTORY_TOO_OLD)
    limit = limit_param(ctx.params, CANDLE_LIMITS)
    # Nothing older than 90 days: the horizon rounded up to the minute, so that a cached
    # view (one per start bound) is right for as long as it may be served.
    horizon = -(-(ctx.now - HISTORY_MS) // 60_000) * 60_000
    after = horizon if after is None else max(after, horizon)

    def build() -> Fragment:
        md = ctx.api.runtime.exchange.market
        rows = md.candles(sym.symbol, period, after, before, limit)
        return Fragment(
            dumps([wire.candle_json(m, sym, c, md.to_usdt(sym.quote, c.quote_vol)) for c in rows])
        )

    return _view(ctx, ("candles", sym.symbol, period, after, before, limit), build)


@route(
    "GET",
    "/api/spot/v1/market/depth",
    params=(
        SYMBOL,
        Param(
            "type",
            description="merge prices to 10**n ticks (case-insensitive)",
            enum=tuple(DEPTH_TYPES),
            default=DEFAULT_DEPTH_TYPE,
        ),
        DEPTH_LIMITS.param(),
    ),
    response=schemas.DEPTH,
)
async def depth(ctx: Ctx) -> Any:
    """Order book, merged to ``type`` step0..step5 (default step0), ``limit`` levels a side.

    ``version`` is the book's depth version, the ``r`` of the WebSocket depth streams.
    """
    sym = symbol_param(ctx.params, ctx.api.markets)
    text = opt_str(ctx.params, "type") or DEFAULT_DEPTH_TYPE
    step = parse_depth_type(text)
    if step is None:
        raise fail(errors.PARAM_INVALID, f"unknown depth type {text}")
    limit = limit_param(ctx.params, DEPTH_LIMITS)

    def build() -> tuple[Fragment, Fragment, str]:
        asks, bids, version = _depth_levels(ctx, sym, step, limit)
        return Fragment(dumps(asks)), Fragment(dumps(bids)), version

    asks, bids, version = _view(ctx, ("depth", sym.symbol, step, limit), build)
    return {"asks": asks, "bids": bids, "timestamp": str(ctx.now), "version": version}


def _depth_levels(
    ctx: Ctx, sym: Symbol, step: int, limit: int
) -> tuple[list[list[str]], list[list[str]], str]:
    """Formatted asks, bids and the depth version, read together on the event loop."""
    book = ctx.api.runtime.exchange.books[sym.symbol]
    if step == 0:
        bids, asks = book.levels(Side.BUY, limit), book.levels(Side.SELL, limit)
    else:
        raw = limit * 10**step
        bids = merge_levels(book.levels(Side.BUY, raw), step, True, limit)
        asks = merge_levels(book.levels(Side.SELL, raw), step, False, limit)
    hub = ctx.api.hub  # read together with the book, on the event loop: they agree
    version = hub.depth_version(sym.symbol) if hub is not None else 0
    return wire.levels_json(sym, asks), wire.levels_json(sym, bids), str(version)
