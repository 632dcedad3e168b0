"""Public market data derived from trades: trade tape, candles, 24h tickers, merged depth.

Everything here is a pure function of the trades fed to :meth:`MarketData.on_trade` (in the
order the engine produced them) and of the ``now_ms`` passed to queries. Nothing reads a
clock. All values are ints: prices in ticks, quantities in lots, quote amounts in quote-coin
units (``price * qty * Symbol.notional_mult``), USDT amounts in USDT-coin units, times in ms.

What is derived, per symbol
- Trade tape: the last ``tape_size`` (default 1000) trades, newest first on query.
- Candles for every period of :data:`PERIODS`. A bucket starts at ``ts`` floored to the
  period, counted from the Unix epoch in UTC: days start at 00:00 UTC and ``7d`` buckets are
  epoch-aligned, so they start on Thursdays 00:00 UTC (1970-01-01 was a Thursday). Each
  candle is ``(start, open, high, low, close, base_vol, quote_vol)``; base volume in lots,
  quote volume in quote-coin units. A period without trades has NO candle: gaps are never
  filled with invented flat candles.
- Last price and the 24h rolling ticker (see :meth:`MarketData.ticker`).

Time order. Trade timestamps are expected to be non-decreasing (the engine stamps them). A
trade stamped earlier than the newest one-minute bucket is counted in that newest bucket
(its tape entry keeps its own ``ts``); buckets therefore only ever grow at the end.

Candle queries (:meth:`MarketData.candles`). ``after`` and ``before`` are millisecond
timestamps compared with the candle START time, both inclusive: a candle is selected when
``start >= after`` (if ``after`` is given) and ``start <= before`` (if ``before`` is given).
Of the selected candles the newest ``limit`` are returned, oldest first. ``limit <= 0`` gives
an empty list. The newest candle of each period is the one still forming.

24h window (:meth:`MarketData.ticker`). Built from one-minute buckets: the window holds the
buckets whose start is ``> now - 24h``, i.e. the current minute and the 1439 before it (and
any bucket stamped later than ``now``). So a trade more than 24h old is always out, a trade
less than 23h59m old is always in; in between it depends on where ``now`` falls in its
minute. ``open24h`` is the open of the oldest bucket in the window; ``close`` is the last
trade price ever. With no trade in the window the prices are all the last price and the
volumes 0; with no trade ever everything is 0 (the wire layer decides how to format that).

USDT volume. ``usdt_vol`` is the quote volume when the quote coin is ``USDT``; otherwise the
quote volume times the last price of the symbol with base = that quote coin and quote =
``USDT`` (e.g. ETHBTC volume in BTC x BTCUSDT last price), floored to USDT units; 0 when no
such symbol exists or it never traded.

Depth merging (:func:`merge_levels`). ``stepN`` merges price levels to a tick of ``10**N``
price ticks: bids round DOWN, asks round UP, quantities are summed.

Memory bounds, per symbol: ``tape_size`` tape entries and ``max_candles`` (default 2000, at
least 1440 so the 24h window always fits) candles per period, older ones dropped. 2000 one-
minute candles are about 33 hours; 2000 weekly candles are about 38 years.

Cost. :meth:`MarketData.on_trade` only touches the current one-minute candle and the tape;
the longer periods absorb a finished minute when the next minute's first trade arrives, and
queries fold the still-open minute in on the fly. Tickers reuse an aggregate of the window's
finished minutes, recomputed when the minute of ``now`` changes or a trade lands in one of
those minutes (at most a few times a minute per symbol).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from itertools import islice, pairwise
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from openweex.domain.events import Trade
from openweex.domain.markets import Markets, Symbol
from openweex.domain.values import Side
from openweex.engine.tuples import make

MINUTE_MS: Final = 60_000
DAY_MS: Final = 86_400_000
WINDOW_MINUTES = DAY_MS // MINUTE_MS
USDT = "USDT"
DEFAULT_TAPE_SIZE = 1000
DEFAULT_MAX_CANDLES = 2000
MAX_DEPTH_STEP = 5
EXPORT_FORMAT = 1
# Depth merge types by name: ``step0`` (price levels as they are) .. ``step5`` (prices
# merged to 10**5 ticks).
DEPTH_TYPES: Mapping[str, int] = MappingProxyType(
    {f"step{n}": n for n in range(MAX_DEPTH_STEP + 1)}
)

# The contract's candle periods, shortest first, in milliseconds.
PERIODS: Mapping[str, int] = MappingProxyType(
    {
        "1min": MINUTE_MS,
        "5min": 5 * MINUTE_MS,
        "15min": 15 * MINUTE_MS,
        "30min": 30 * MINUTE_MS,
        "1h": 60 * MINUTE_MS,
        "4h": 240 * MINUTE_MS,
        "12h": 720 * MINUTE_MS,
        "1d": DAY_MS,
        "7d": 7 * DAY_MS,
    }
)
# Bitget v1's names of two of the contract's periods.
PERIOD_ALIASES: Mapping[str, str] = MappingProxyType({"1day": "1d", "1week": "7d"})

# MEXC websocket kline intervals, in MEXC's order. Most are one of our periods
# (:data:`MEXC_INTERVALS`); the other two are made from shorter candles when asked for:
# ``Hour8`` (00:00, 08:00 and 16:00 UTC) from its hour candles and ``Month1`` (calendar
# months in UTC) from its day candles. ``Week1`` is our epoch-aligned ``7d`` (Thursday
# 00:00 UTC), not a Monday-aligned week.
KLINE_INTERVALS: tuple[str, ...] = (
    "Min1",
    "Min5",
    "Min15",
    "Min30",
    "Min60",
    "Hour4",
    "Hour8",
    "Day1",
    "Week1",
    "Month1",
)
MEXC_INTERVALS: Mapping[str, str] = MappingProxyType(
    {
        "Min1": "1min",
        "Min5": "5min",
        "Min15": "15min",
        "Min30": "30min",
        "Min60": "1h",
        "Hour4": "4h",
        "Day1": "1d",
        "Week1": "7d",
    }
)
HOUR8_MS: Final = 8 * 60 * MINUTE_MS
# Our period names -> MEXC interval names (``12h`` has none).
PERIOD_TO_MEXC: Mapping[str, str] = MappingProxyType({v: k for k, v in MEXC_INTERVALS.items()})

_PERIOD_MS: tuple[int, ...] = tuple(PERIODS.values())
_PERIOD_INDEX: dict[str, int] = {name: i for i, name in enumerate(PERIODS)}
_start = itemgetter(0)
_make: Final = make
_TRADE: Final = Trade


def parse_period(text: str) -> str | None:
    """Canonical period name for ``text`` (``1day`` -> ``1d``, ``1week`` -> ``7d``), or None
    when unknown."""
    name = text.strip().lower()
    name = PERIOD_ALIASES.get(name, name)
    return name if name in PERIODS else None


def period_ms(text: str) -> int | None:
    """Length in ms of the period named ``text`` (aliases accepted), or None when unknown."""
    name = parse_period(text)
    return None if name is None else PERIODS[name]


def parse_depth_type(text: str) -> int | None:
    """``step0`` .. ``step5`` -> 0 .. 5 (case-insensitive); None for anything else."""
    return DEPTH_TYPES.get(text.strip().lower())


def merge_levels(
    levels: Iterable[tuple[int, int]], step: int, is_bid: bool, limit: int
) -> list[tuple[int, int]]:
    """Merge ``(price_ticks, qty_lots)`` levels, given best first, to a tick of ``10**step``.

    Bids round down, asks round up; quantities of levels merged together are summed. The
    result is best first with at most ``limit`` levels; ``levels`` is read lazily and only
    as far as needed. ``step == 0`` returns the levels unchanged (truncated to ``limit``).
    """
    if limit <= 0:
        return []
    if step < 0 or step > MAX_DEPTH_STEP:
        raise ValueError(f"depth step must be 0..{MAX_DEPTH_STEP}, got {step}")
    if step == 0:
        return [(p, q) for p, q in islice(levels, limit)]
    tick = 10**step
    out: list[tuple[int, int]] = []
    cur_price = 0
    cur_qty = 0
    started = False
    for price, qty in levels:
        merged = price - price % tick if is_bid else -(-price // tick) * tick
        if started and merged == cur_price:
            cur_qty += qty
            continue
        if started:
            out.append((cur_price, cur_qty))
            if len(out) == limit:
                return out
        cur_price, cur_qty, started = merged, qty, True
    if started:
        out.append((cur_price, cur_qty))
    return out


class Candle(NamedTuple):
    start: int  # ms, bucket start
    open: int  # ticks
    high: int
    low: int
    close: int
    base_vol: int  # lots
    quote_vol: int  # quote-coin units


class TapeEntry(NamedTuple):
    trade_id: int
    ts: int
    price: int  # ticks
    qty: int  # lots
    taker_side: Side


class Ticker(NamedTuple):
    symbol: str  # canonical name, e.g. BTCUSDT_SPBL
    open24h: int  # ticks
    high24h: int
    low24h: int
    close: int  # last trade price
    base_vol: int  # lots
    quote_vol: int  # quote-coin units
    usdt_vol: int  # USDT-coin units
    ts: int  # the ``now_ms`` asked for


class _Prior(NamedTuple):
    """Aggregate of the window's finished minutes (start < the minute of now)."""

    minute: int
    rolls: int
    n_trades: int
    tail_live: bool
    n: int
    open: int
    high: int
    low: int
    base: int
    quote: int


class _SymbolState:
    """Per-symbol data. ``series[0]`` holds one-minute candles INCLUDING the current one
    (``cur``); ``series[i>0]`` hold the longer periods WITHOUT the current minute, which is
    folded in when the next minute starts (and on the fly by queries).

    Trades update the current minute in the ``c_*`` fields (plain ints, cheaper to update than
    the list row); ``dirty`` says the row ``cur`` is behind them. :func:`_sync` writes them
    back before anything reads the series.
    """

    __slots__ = (
        "c_base",
        "c_close",
        "c_end",
        "c_high",
        "c_low",
        "c_quote",
        "cur",
        "dirty",
        "last_price",
        "n_trades",
        "prior",
        "rolls",
        "series",
        "symbol",
        "tape",
    )

    def __init__(self, symbol: Symbol, tape_size: int) -> None:
        self.symbol = symbol
        # The trades themselves (only their TapeEntry fields are read): keeping the engine's
        # Trade event costs nothing, where a copy would cost a tuple per fill.
        self.tape: deque[Trade] = deque(maxlen=tape_size)
        self.series: list[list[list[int]]] = [[] for _ in _PERIOD_MS]
        self.cur: list[int] | None = None
        self.c_end = 0  # end (exclusive) of the current minute, ms
        self.c_high = 0
        self.c_low = 0
        self.c_close = 0
        self.c_base = 0
        self.c_quote = 0
        self.dirty = False
        self.last_price = 0
        self.n_trades = 0  # trades seen since construction or import (cache key only)
        self.rolls = 0  # one-minute buckets opened (cache key only)
        self.prior: _Prior | None = None


def _sync(st: _SymbolState) -> None:
    """Write the current minute's fields back into its row."""
    c = st.cur
    if c is not None:
        c[2] = st.c_high
        c[3] = st.c_low
        c[4] = st.c_close
        c[5] = st.c_base
        c[6] = st.c_quote
    st.dirty = False


def _load_current(st: _SymbolState) -> None:
    """Set the current minute's fields from its row ``cur``."""
    c = st.cur
    if c is not None:
        st.c_end = c[0] + MINUTE_MS
        st.c_high = c[2]
        st.c_low = c[3]
        st.c_close = c[4]
        st.c_base = c[5]
        st.c_quote = c[6]
    st.dirty = False


def _fold(series: list[list[int]], minute: list[int], period: int, keep: int) -> None:
    """Add a finished one-minute candle to a longer period's series."""
    b = minute[0] - minute[0] % period
    if series and series[-1][0] == b:
        last = series[-1]
        if minute[2] > last[2]:
            last[2] = minute[2]
        if minute[3] < last[3]:
            last[3] = minute[3]
        last[4] = minute[4]
        last[5] += minute[5]
        last[6] += minute[6]
        return
    series.append([b, *minute[1:]])
    if len(series) > keep:
        del series[0]


class MarketData:
    """Tape, candles and tickers for every symbol of ``markets``; see the module docstring."""

    def __init__(
        self,
        markets: Markets,
        *,
        tape_size: int = DEFAULT_TAPE_SIZE,
        max_candles: int = DEFAULT_MAX_CANDLES,
    ) -> None:
        if tape_size < 1:
            raise ValueError("tape_size must be at least 1")
        if max_candles < WINDOW_MINUTES:
            raise ValueError(f"max_candles must be at least {WINDOW_MINUTES}")
        self._markets = markets
        self._tape_size = tape_size
        self._max_candles = max_candles
        self._states = self._fresh_states()
        self._ticker_recomputes = 0
        # quote coin -> (symbol <coin>/USDT, multiplier, divisor) turning amount x price
        # into USDT units: amount * price * mult // div.
        usdt = markets.coins.get(USDT)
        self._usdt_route: dict[str, tuple[str, int, int]] = {}
        for s in markets.symbols.values():
            if usdt is None or s.quote != USDT or s.base in self._usdt_route:
                continue
            exp = usdt.scale - markets.coins[s.base].scale - s.price_scale
            mult, div = (10**exp, 1) if exp >= 0 else (1, 10**-exp)
            self._usdt_route[s.base] = (s.symbol, mult, div)

    def _fresh_states(self) -> dict[str, _SymbolState]:
        return {s.symbol: _SymbolState(s, self._tape_size) for s in self._markets.symbols.values()}

    def _state(self, symbol: str) -> _SymbolState:
        """The state of ``symbol`` (any accepted spelling), its series up to date."""
        st = self._states.get(symbol)
        if st is None:
            sym = self._markets.find_symbol(symbol)
            if sym is None:
                raise KeyError(f"unknown symbol: {symbol!r}")
            st = self._states[sym.symbol]
        if st.dirty:
            _sync(st)
        return st

    # -- feeding -------------------------------------------------------------------------

    def on_trade(
        self,
        symbol: str,
        ts: int,
        trade_id: int,
        price: int,
        qty: int,
        quote: int,
        taker_side: Side,
    ) -> None:
        """Record one fill."""
        st = self._states.get(symbol)
        if st is None:
            st = self._state(symbol)
        self._add(st, _tape_trade(st.symbol.symbol, trade_id, ts, price, qty, taker_side), quote)

    def on_trade_event(self, trade: Trade) -> None:
        """:meth:`on_trade` for a :class:`~openweex.domain.events.Trade` event."""
        st = self._states.get(trade.symbol)
        if st is None:
            st = self._state(trade.symbol)
        self._add(st, trade, trade.quote)

    def _add(self, st: _SymbolState, trade: Trade, quote: int) -> None:
        """Hot path: a handful of attribute and list operations."""
        st.tape.append(trade)
        ts = trade.ts
        price = trade.price
        qty = trade.qty
        st.last_price = price
        st.n_trades += 1
        if st.cur is not None and ts < st.c_end:
            if price > st.c_high:
                st.c_high = price
            elif price < st.c_low:
                st.c_low = price
            st.c_close = price
            st.c_base += qty
            st.c_quote += quote
            st.dirty = True
            return
        self._roll(st, ts - ts % MINUTE_MS, price, qty, quote)

    def _roll(self, st: _SymbolState, start: int, price: int, qty: int, quote: int) -> None:
        """Open a new one-minute bucket, folding the finished one into the longer periods."""
        if st.dirty:
            _sync(st)
        prev = st.cur
        keep = self._max_candles
        if prev is not None:
            for i in range(1, len(_PERIOD_MS)):
                _fold(st.series[i], prev, _PERIOD_MS[i], keep)
        c = [start, price, price, price, price, qty, quote]
        minutes = st.series[0]
        minutes.append(c)
        if len(minutes) > keep:
            del minutes[0]
        st.cur = c
        _load_current(st)
        st.rolls += 1

    # -- candles -------------------------------------------------------------------------

    def _view(self, st: _SymbolState, idx: int) -> tuple[list[list[int]], int, int, Candle | None]:
        """Visible series of period ``idx``: ``stored[lo:hi]`` followed by ``tail`` if any."""
        stored = st.series[idx]
        c = st.cur
        if idx == 0 or c is None:
            return stored, 0, len(stored), None
        b = c[0] - c[0] % _PERIOD_MS[idx]
        if stored and stored[-1][0] == b:
            last = stored[-1]
            tail = Candle(
                b,
                last[1],
                max(last[2], c[2]),
                min(last[3], c[3]),
                c[4],
                last[5] + c[5],
                last[6] + c[6],
            )
            return stored, 0, len(stored) - 1, tail
        lo = max(0, len(stored) + 1 - self._max_candles)
        return stored, lo, len(stored), Candle(b, c[1], c[2], c[3], c[4], c[5], c[6])

    def candles(
        self,
        symbol: str,
        period: str,
        after: int | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[Candle]:
        """Candles with ``after <= start <= before`` (each bound optional), the newest
        ``limit`` of them, oldest first. ``period`` is a name of :data:`PERIODS` or an alias;
        an unknown one raises ValueError, an unknown symbol KeyError."""
        name = parse_period(period)
        if name is None:
            raise ValueError(f"unknown candle period: {period!r}")
        if limit <= 0:
            return []
        stored, lo, hi, tail = self._view(self._state(symbol), _PERIOD_INDEX[name])
        if after is not None:
            lo = bisect_left(stored, after, lo, hi, key=_start)
        if before is not None:
            hi = bisect_right(stored, before, lo, hi, key=_start)
        take_tail = (
            tail is not None
            and (after is None or tail.start >= after)
            and (before is None or tail.start <= before)
        )
        lo = max(lo, hi - (limit - 1 if take_tail else limit))
        out = [Candle(*row) for row in stored[lo:hi]]
        if take_tail and tail is not None:
            out.append(tail)
        return out

    def current_candle(self, symbol: str, period: str) -> Candle | None:
        """The newest candle of ``period`` (the one still forming), None before any trade."""
        got = self.candles(symbol, period, limit=1)
        return got[0] if got else None

    def kline(self, symbol: str, interval: str) -> tuple[Candle, int] | None:
        """The newest candle of the MEXC kline ``interval`` (one of :data:`KLINE_INTERVALS`)
        and the end of its interval (ms, exclusive); None before the first trade.

        That is the candle still forming, or the last one with trades. ``Hour8`` and
        ``Month1`` merge the hour or day candles of their interval (at most 8 or 31).
        An unknown interval raises ValueError, an unknown symbol KeyError.
        """
        name = MEXC_INTERVALS.get(interval)
        if name is not None:
            c = self.current_candle(symbol, name)
            return None if c is None else (c, c.start + PERIODS[name])
        made = _MADE_INTERVALS.get(interval)
        if made is None:
            raise ValueError(f"unknown kline interval: {interval!r}")
        period, most, bounds = made
        last = self.current_candle(symbol, period)
        if last is None:
            return None
        start, end = bounds(last.start)
        return _merged(start, self.candles(symbol, period, after=start, limit=most)), end

    # -- tape and prices -----------------------------------------------------------------

    def recent_trades(self, symbol: str, limit: int = 100) -> list[TapeEntry]:
        """Up to ``limit`` most recent trades, newest first."""
        if limit <= 0:
            return []
        return [
            TapeEntry(t.trade_id, t.ts, t.price, t.qty, t.taker_side)
            for t in islice(reversed(self._state(symbol).tape), limit)
        ]

    def last_price(self, symbol: str) -> int:
        """Price of the last trade in ticks; 0 before any trade."""
        return self._state(symbol).last_price

    def to_usdt(self, coin: str, amount: int) -> int:
        """``amount`` units of ``coin`` in USDT units at the last ``<coin>USDT`` price, floored.

        USDT itself converts 1:1. 0 when no symbol prices ``coin`` in USDT or it never traded.
        """
        if coin == USDT:
            return amount
        route = self._usdt_route.get(coin)
        if route is None:
            return 0
        sym, mult, div = route
        return amount * self._states[sym].last_price * mult // div

    # -- tickers -------------------------------------------------------------------------

    def _prior(self, st: _SymbolState, start: int, minute: int) -> _Prior:
        """Aggregate the one-minute buckets with ``start <= bucket start < minute``."""
        self._ticker_recomputes += 1
        series = st.series[0]
        lo = bisect_left(series, start, key=_start)
        hi = bisect_left(series, minute, lo, key=_start)
        tail_live = bool(series) and series[-1][0] >= minute
        if lo == hi:
            return _Prior(minute, st.rolls, st.n_trades, tail_live, 0, 0, 0, 0, 0, 0)
        first = series[lo]
        high, low = first[2], first[3]
        base = quote = 0
        for row in islice(series, lo, hi):
            if row[2] > high:
                high = row[2]
            if row[3] < low:
                low = row[3]
            base += row[5]
            quote += row[6]
        return _Prior(
            minute, st.rolls, st.n_trades, tail_live, hi - lo, first[1], high, low, base, quote
        )

    def _window(self, st: _SymbolState, now_ms: int) -> tuple[int, int, int, int, int, int]:
        """``(count, open, high, low, base, quote)`` over the 24h window ending at now."""
        minute = now_ms - now_ms % MINUTE_MS
        p = st.prior
        if (
            p is None
            or p.minute != minute
            or p.rolls != st.rolls
            or (not p.tail_live and p.n_trades != st.n_trades)
        ):
            p = st.prior = self._prior(st, minute - (WINDOW_MINUTES - 1) * MINUTE_MS, minute)
        count, open_, high, low, base, quote = p.n, p.open, p.high, p.low, p.base, p.quote
        series = st.series[0]
        i = len(series)
        while i and series[i - 1][0] >= minute:
            i -= 1
        for row in islice(series, i, None):
            if count == 0:
                open_, high, low = row[1], row[2], row[3]
            else:
                high = max(high, row[2])
                low = min(low, row[3])
            count += 1
            base += row[5]
            quote += row[6]
        return count, open_, high, low, base, quote

    def ticker(self, symbol: str, now_ms: int) -> Ticker:
        """The 24h rolling ticker of ``symbol`` at ``now_ms`` (window: module docstring)."""
        st = self._state(symbol)
        count, open_, high, low, base, quote = self._window(st, now_ms)
        last = st.last_price
        if count == 0:
            open_ = high = low = last
        sym = st.symbol
        return Ticker(
            sym.symbol,
            open_,
            high,
            low,
            last,
            base,
            quote,
            self.to_usdt(sym.quote, quote),
            now_ms,
        )

    def tickers(self, now_ms: int) -> list[Ticker]:
        """Tickers of every symbol, in configuration order."""
        return [self.ticker(name, now_ms) for name in self._states]

    # -- snapshots -----------------------------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        """Plain, JSON-serialisable data from which :meth:`import_state` restores exactly.

        Layout: ``{"format": 1, "symbols": {name: {"last_price": int, "tape": [[trade_id,
        ts, price, qty, side], ...] oldest first, "candles": {period: [[start, open, high,
        low, close, base_vol, quote_vol], ...] oldest first}}}}``. The one-minute list ends
        with the current minute; the longer periods' lists do not include it yet.
        """
        symbols: dict[str, Any] = {}
        for name, st in self._states.items():
            if st.dirty:
                _sync(st)
            symbols[name] = {
                "last_price": st.last_price,
                "tape": [[t.trade_id, t.ts, t.price, t.qty, int(t.taker_side)] for t in st.tape],
                "candles": {
                    period: [list(row) for row in st.series[i]] for i, period in enumerate(PERIODS)
                },
            }
        return {"format": EXPORT_FORMAT, "symbols": symbols}

    def import_state(self, data: Mapping[str, Any]) -> None:
        """Replace all state with ``data`` from :meth:`export_state`.

        Raises ValueError on an unknown format, an unknown symbol or a malformed row (the
        current state is then left unchanged).
        """
        if data.get("format") != EXPORT_FORMAT:
            raise ValueError(f"unsupported market data format: {data.get('format')!r}")
        states = self._fresh_states()
        for name, raw in dict(data.get("symbols", {})).items():
            st = states.get(name)
            if st is None:
                raise ValueError(f"market data snapshot has unknown symbol {name!r}")
            self._load_symbol(st, raw)
        self._states = states

    def _load_symbol(self, st: _SymbolState, raw: Mapping[str, Any]) -> None:
        try:
            st.last_price = _int(raw["last_price"])
            for row in raw["tape"]:
                tid, ts, price, qty, side = (_int(v) for v in row)
                st.tape.append(_tape_trade(st.symbol.symbol, tid, ts, price, qty, Side(side)))
            candles = raw["candles"]
            for i, period in enumerate(PERIODS):
                rows = [[_int(v) for v in row] for row in candles.get(period, [])]
                if any(len(r) != len(Candle._fields) for r in rows):
                    raise ValueError(f"{st.symbol.symbol} {period}: malformed candle")
                if any(a[0] >= b[0] for a, b in pairwise(rows)):
                    raise ValueError(f"{st.symbol.symbol} {period}: candles out of order")
                st.series[i] = rows[-self._max_candles :]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{st.symbol.symbol}: malformed market data: {exc!r}") from exc
        st.cur = st.series[0][-1] if st.series[0] else None
        _load_current(st)


def hour8_bounds(ms: int) -> tuple[int, int]:
    """Start and end (ms) of the 8-hour interval (00:00, 08:00, 16:00 UTC) that holds ``ms``."""
    start = ms - ms % HOUR8_MS
    return start, start + HOUR8_MS


def month_bounds(ms: int) -> tuple[int, int]:
    """Start and end (ms, UTC) of the calendar month that holds time ``ms``.

    Plain integer calendar arithmetic (the proleptic Gregorian calendar, as in UTC), so the
    engine reads no clock and imports no date library.
    """
    year, month = _year_month(ms // DAY_MS)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return _first_day(year, month) * DAY_MS, _first_day(*following) * DAY_MS


# Day counts in 400-year cycles of the Gregorian calendar, with years counted from March
# (so that February, with its leap day, ends the year): 146,097 days a cycle, and day 0 of
# 1970-01-01 is day 719,468 from 0000-03-01.
_CYCLE_DAYS: Final = 146_097
_TO_MARCH_0000: Final = 719_468


def _year_month(days: int) -> tuple[int, int]:
    """The year and month of the day ``days`` days after 1970-01-01."""
    z = days + _TO_MARCH_0000
    cycle, day_of_cycle = divmod(z, _CYCLE_DAYS)
    year_of_cycle = (
        day_of_cycle - day_of_cycle // 1460 + day_of_cycle // 36524 - day_of_cycle // 146096
    ) // 365
    day_of_year = day_of_cycle - (365 * year_of_cycle + year_of_cycle // 4 - year_of_cycle // 100)
    march_month = (5 * day_of_year + 2) // 153  # 0 = March ... 11 = February
    month = march_month + 3 if march_month < 10 else march_month - 9
    year = cycle * 400 + year_of_cycle + (1 if month <= 2 else 0)
    return year, month


def _first_day(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first day of ``month`` of ``year``."""
    march_year = year - 1 if month <= 2 else year
    cycle, year_of_cycle = divmod(march_year, 400)
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5
    day_of_cycle = year_of_cycle * 365 + year_of_cycle // 4 - year_of_cycle // 100 + day_of_year
    return cycle * _CYCLE_DAYS + day_of_cycle - _TO_MARCH_0000


# The MEXC intervals made from shorter candles: the period merged, how many of its candles an
# interval holds at most, and the interval's bounds around a time.
_MADE_INTERVALS: dict[str, tuple[str, int, Callable[[int], tuple[int, int]]]] = {
    "Hour8": ("1h", 8, hour8_bounds),
    "Month1": ("1d", 31, month_bounds),
}


def _merged(start: int, rows: list[Candle]) -> Candle:
    """One candle starting at ``start`` from ``rows`` (consecutive candles, oldest first)."""
    return Candle(
        start,
        rows[0].open,
        max(r.high for r in rows),
        min(r.low for r in rows),
        rows[-1].close,
        sum(r.base_vol for r in rows),
        sum(r.quote_vol for r in rows),
    )


def _tape_trade(
    symbol: str, trade_id: int, ts: int, price: int, qty: int, taker_side: Side
) -> Trade:
    """A tape entry recorded without its Trade event: the tape fields, the rest zero."""
    return _make(
        _TRADE, ts, symbol, trade_id, price, qty, 0, taker_side, 0, 0, "", 0, 0, "", 0, 0, False
    )


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError(f"expected an int, got {value!r}")
    return value
