"""Market data: candles, tickers, tape, USDT volume, depth merging, snapshots."""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openweex.domain.events import Trade
from openweex.domain.markets import build_markets, default_markets
from openweex.domain.values import Side
from openweex.engine.marketdata import (
    DAY_MS,
    KLINE_INTERVALS,
    MEXC_INTERVALS,
    MINUTE_MS,
    PERIOD_TO_MEXC,
    PERIODS,
    Candle,
    MarketData,
    TapeEntry,
    Ticker,
    merge_levels,
    month_bounds,
    parse_depth_type,
    parse_period,
    period_ms,
)

BTC = "BTCUSDT_SPBL"
ETHBTC = "ETHBTC_SPBL"
# Thursday 2023-12-21 00:00 UTC: a boundary of every period, 7d included.
W = 2816 * 7 * DAY_MS
H = 3_600_000
MARKETS = default_markets()


def feed(md: MarketData, symbol: str, ts: int, price: int, qty: int, tid: int = 0) -> None:
    mult = MARKETS.symbols[symbol].notional_mult
    md.on_trade(symbol, ts, tid, price, qty, price * qty * mult, Side.BUY)


# -- periods and parsing ------------------------------------------------------------------


def test_periods_and_aliases() -> None:
    assert list(PERIODS) == ["1min", "5min", "15min", "30min", "1h", "4h", "12h", "1d", "7d"]
    assert [v // 1000 for v in PERIODS.values()] == [
        60,
        300,
        900,
        1800,
        3600,
        14400,
        43200,
        86400,
        604800,
    ]
    assert parse_period("1day") == "1d"
    assert parse_period(" 1H ") == "1h"
    assert parse_period("2h") is None
    assert parse_period("") is None
    assert period_ms("1day") == DAY_MS
    assert parse_period("1week") == "7d"  # Bitget v1's name
    assert period_ms("1week") == 7 * DAY_MS
    assert period_ms("2week") is None


def test_mexc_intervals() -> None:
    assert all(p in PERIODS for p in MEXC_INTERVALS.values())
    assert MEXC_INTERVALS["Min60"] == "1h"
    assert MEXC_INTERVALS["Week1"] == "7d"
    # MEXC's list, in its order
    assert " ".join(KLINE_INTERVALS) == "Min1 Min5 Min15 Min30 Min60 Hour4 Hour8 Day1 Week1 Month1"
    assert set(KLINE_INTERVALS) - set(MEXC_INTERVALS) == {"Hour8", "Month1"}
    assert PERIOD_TO_MEXC["4h"] == "Hour4"
    assert "12h" not in PERIOD_TO_MEXC


def test_parse_depth_type() -> None:
    assert [parse_depth_type(f"step{n}") for n in range(6)] == [0, 1, 2, 3, 4, 5]
    assert parse_depth_type("STEP2") == 2
    for bad in ("step6", "step", "step-1", "step10", "", "2", "steps"):
        assert parse_depth_type(bad) is None


# -- candles --------------------------------------------------------------------------------

# (offset from W in ms, price, qty)
TRADES = [
    (0, 100, 2),
    (59_999, 105, 1),
    (60_000, 95, 3),
    (299_999, 98, 1),
    (300_000, 110, 4),
    (H, 90, 1),
    (4 * H, 120, 2),
    (12 * H, 80, 1),
    (DAY_MS, 130, 5),
    (7 * DAY_MS, 70, 1),
    (7 * DAY_MS + 1, 75, 2),
]


def c(off: int, o: int, h: int, lo: int, cl: int, bv: int, qv: int) -> Candle:
    return Candle(W + off, o, h, lo, cl, bv, qv)


F = c(H, 90, 90, 90, 90, 1, 90)
G = c(4 * H, 120, 120, 120, 120, 2, 240)
HH = c(12 * H, 80, 80, 80, 80, 1, 80)
I = c(DAY_MS, 130, 130, 130, 130, 5, 650)  # noqa: E741
JK = c(7 * DAY_MS, 70, 75, 70, 75, 3, 220)
FIRST_HOUR = c(0, 100, 110, 95, 110, 11, 1128)
EXPECTED = {
    "1min": [
        c(0, 100, 105, 100, 105, 3, 305),
        c(60_000, 95, 95, 95, 95, 3, 285),
        c(240_000, 98, 98, 98, 98, 1, 98),
        c(300_000, 110, 110, 110, 110, 4, 440),
        F,
        G,
        HH,
        I,
        JK,
    ],
    "5min": [
        c(0, 100, 105, 95, 98, 7, 688),
        c(300_000, 110, 110, 110, 110, 4, 440),
        F,
        G,
        HH,
        I,
        JK,
    ],
    "15min": [FIRST_HOUR, F, G, HH, I, JK],
    "30min": [FIRST_HOUR, F, G, HH, I, JK],
    "1h": [FIRST_HOUR, F, G, HH, I, JK],
    "4h": [c(0, 100, 110, 90, 90, 12, 1218), G, HH, I, JK],
    "12h": [c(0, 100, 120, 90, 120, 14, 1458), HH, I, JK],
    "1d": [c(0, 100, 120, 80, 80, 15, 1538), I, JK],
    "7d": [c(0, 100, 130, 80, 130, 20, 2188), JK],
}


@pytest.fixture
def md() -> MarketData:
    m = MarketData(MARKETS)
    for i, (off, price, qty) in enumerate(TRADES):
        feed(m, BTC, W + off, price, qty, tid=i + 1)
    return m


def test_candles_every_period(md: MarketData) -> None:
    assert set(EXPECTED) == set(PERIODS)
    for period, expected in EXPECTED.items():
        assert md.candles(BTC, period, limit=1000) == expected, period
        assert md.current_candle(BTC, period) == expected[-1]
    assert md.candles(BTC, "1day", limit=1000) == EXPECTED["1d"]
    assert md.candles(ETHBTC, "1min") == []
    assert md.current_candle(ETHBTC, "7d") is None


def test_kline_of_a_period_is_its_current_candle(md: MarketData) -> None:
    for interval, period in MEXC_INTERVALS.items():
        candle = md.current_candle(BTC, period)
        assert candle is not None
        assert md.kline(BTC, interval) == (candle, candle.start + PERIODS[period])
    assert all(md.kline(ETHBTC, i) is None for i in KLINE_INTERVALS)
    with pytest.raises(ValueError, match="kline interval"):
        md.kline(BTC, "Hour2")
    with pytest.raises(KeyError):
        md.kline("NOPE", "Min1")


def test_kline_hour8_merges_the_hours_of_its_interval() -> None:
    md = MarketData(MARKETS)
    hour8 = 8 * H
    steps = [
        # (offset from W, price, qty) -> the Hour8 candle after it
        ((7 * H + 59 * MINUTE_MS, 100, 1), c(0, 100, 100, 100, 100, 1, 100)),
        ((8 * H + 10_000, 110, 2), c(hour8, 110, 110, 110, 110, 2, 220)),
        ((9 * H + 30 * MINUTE_MS, 90, 3), c(hour8, 110, 110, 90, 90, 5, 490)),
        ((9 * H + 31 * MINUTE_MS, 95, 1), c(hour8, 110, 110, 90, 95, 6, 585)),
        ((16 * H - 1, 105, 1), c(hour8, 110, 110, 90, 105, 7, 690)),
        ((16 * H, 80, 1), c(2 * hour8, 80, 80, 80, 80, 1, 80)),
    ]
    for (off, price, qty), expected in steps:
        feed(md, BTC, W + off, price, qty)
        assert md.kline(BTC, "Hour8") == (expected, expected.start + hour8), off
    # the same from hour candles taken back from a snapshot
    again = MarketData(MARKETS)
    again.import_state(json.loads(json.dumps(md.export_state())))
    assert again.kline(BTC, "Hour8") == md.kline(BTC, "Hour8")


def utc_ms(*when: int) -> int:
    return calendar.timegm((*when, 0, 0, 0)[:6]) * 1000


def test_kline_month1_merges_the_days_of_its_calendar_month() -> None:
    md = MarketData(MARKETS)
    jan, feb, mar = utc_ms(2024, 1, 1), utc_ms(2024, 2, 1), utc_ms(2024, 3, 1)
    steps = [
        (utc_ms(2024, 1, 31, 23, 59), 100, 1, (jan, 100, 100, 100, 100, 1, 100), feb),
        (utc_ms(2024, 2, 1), 120, 1, (feb, 120, 120, 120, 120, 1, 120), mar),
        (utc_ms(2024, 2, 10, 12), 90, 2, (feb, 120, 120, 90, 90, 3, 300), mar),
        (utc_ms(2024, 2, 29, 23, 59), 130, 1, (feb, 120, 130, 90, 130, 4, 430), mar),
        (mar, 70, 1, (mar, 70, 70, 70, 70, 1, 70), utc_ms(2024, 4, 1)),
    ]
    for ts, price, qty, expected, end in steps:
        feed(md, BTC, ts, price, qty)
        assert md.kline(BTC, "Month1") == (Candle(*expected), end), ts


def test_month_bounds_at_year_end() -> None:
    dec, jan = utc_ms(2023, 12, 1), utc_ms(2024, 1, 1)
    assert month_bounds(dec) == (dec, jan)
    assert month_bounds(jan - 1) == (dec, jan)
    assert month_bounds(jan) == (jan, utc_ms(2024, 2, 1))
    assert month_bounds(0) == (0, utc_ms(1970, 2, 1))


@given(st.integers(min_value=0, max_value=utc_ms(2200, 1, 1)))
def test_month_bounds(ms: int) -> None:
    start, end = month_bounds(ms)
    assert start <= ms < end
    first, following = (datetime.fromtimestamp(t // 1000, UTC) for t in (start, end))
    when = datetime.fromtimestamp(ms // 1000, UTC)
    assert start % DAY_MS == 0 and end % DAY_MS == 0
    assert (first.year, first.month, first.day) == (when.year, when.month, 1)
    assert following.day == 1 and (following - first).days in (28, 29, 30, 31)


def test_candles_while_minute_is_open() -> None:
    md = MarketData(MARKETS)
    for off, price, qty in TRADES[:3]:
        feed(md, BTC, W + off, price, qty)
    # Minute 0 is folded into 5min, minute 1 is still open: the query merges both.
    assert md.candles(BTC, "5min") == [c(0, 100, 105, 95, 95, 6, 590)]
    assert md.candles(BTC, "7d") == [c(0, 100, 105, 95, 95, 6, 590)]
    feed(md, BTC, W + 61_000, 200, 1)
    assert md.candles(BTC, "1h") == [c(0, 100, 200, 95, 200, 7, 790)]
    assert md.candles(BTC, "1min")[-1] == c(60_000, 95, 200, 95, 200, 4, 485)


def test_late_trade_counts_in_newest_bucket() -> None:
    md = MarketData(MARKETS)
    feed(md, BTC, W + 120_000, 100, 1)
    feed(md, BTC, W + 5_000, 90, 2, tid=7)  # stamped before the newest minute
    assert md.candles(BTC, "1min") == [c(120_000, 100, 100, 90, 90, 3, 280)]
    assert md.recent_trades(BTC, 1)[0] == TapeEntry(7, W + 5_000, 90, 2, Side.BUY)


def starts(candles: list[Candle]) -> list[int]:
    return [x.start - W for x in candles]


def test_candle_queries(md: MarketData) -> None:
    q = md.candles
    assert starts(q(BTC, "1min", after=W + 60_000))[:2] == [60_000, 240_000]
    assert starts(q(BTC, "1min", before=W + 240_000)) == [0, 60_000, 240_000]
    assert starts(q(BTC, "1min", after=W + 1, before=W + 299_999)) == [60_000, 240_000]
    assert starts(q(BTC, "1min", limit=2)) == [DAY_MS, 7 * DAY_MS]
    assert starts(q(BTC, "1min", after=W, limit=2)) == [DAY_MS, 7 * DAY_MS]
    assert starts(q(BTC, "1min", before=W + 300_000, limit=2)) == [240_000, 300_000]
    assert q(BTC, "1min", after=W + 1, before=W) == []
    assert q(BTC, "1min", limit=0) == []
    assert q(BTC, "1min", after=W + 8 * DAY_MS) == []
    assert q(BTC, "1min", before=W - 1) == []
    assert len(q(BTC, "1min")) == 9  # default limit 100
    # Longer periods: the last candle is folded in on the fly and obeys the same bounds.
    assert q(BTC, "7d", before=W) == EXPECTED["7d"][:1]
    assert q(BTC, "7d", after=W + 1) == [JK]
    assert q(BTC, "7d", limit=1) == [JK]
    assert q(BTC, "1d", after=W + DAY_MS, before=W + 7 * DAY_MS) == [I, JK]
    assert q(BTC, "1d", after=W + DAY_MS, before=W + 7 * DAY_MS - 1) == [I]


def test_candle_query_errors(md: MarketData) -> None:
    with pytest.raises(ValueError):
        md.candles(BTC, "2min")
    with pytest.raises(KeyError):
        md.candles("NOPE_SPBL", "1min")
    assert md.candles("btcusdt_spbl", "1min") == md.candles("BTCUSDT", "1min")


def test_candle_memory_bound() -> None:
    md = MarketData(MARKETS, max_candles=1440)
    n = 1500
    for i in range(n):
        feed(md, BTC, W + i * 7 * DAY_MS, 100 + i, 1)
    for period in PERIODS:
        got = md.candles(BTC, period, limit=10_000)
        assert len(got) == 1440, period
        assert got[-1] == c((n - 1) * 7 * DAY_MS, *(100 + n - 1,) * 4, 1, 100 + n - 1)
        assert got[0].open == 100 + n - 1440
    with pytest.raises(ValueError):
        MarketData(MARKETS, max_candles=1439)


# -- tape -------------------------------------------------------------------------------------


def test_tape_order_and_bound() -> None:
    md = MarketData(MARKETS)
    for i in range(1, 1006):
        md.on_trade(BTC, W + i, i, 100 + i, 1, 100 + i, Side.SELL if i % 2 else Side.BUY)
    tape = md.recent_trades(BTC, 5000)
    assert len(tape) == 1000
    assert [e.trade_id for e in tape[:3]] == [1005, 1004, 1003]
    assert tape[-1].trade_id == 6
    assert tape[0] == TapeEntry(1005, W + 1005, 1105, 1, Side.SELL)
    assert md.recent_trades(BTC, 2) == tape[:2]
    assert md.recent_trades(BTC, 0) == []
    assert md.recent_trades(ETHBTC, 10) == []
    assert md.last_price(BTC) == 1105
    assert MarketData(MARKETS, tape_size=3).recent_trades(BTC, 5) == []


def test_trade_event() -> None:
    md = MarketData(MARKETS)
    t = Trade(W, BTC, 9, 300, 2, 600, Side.SELL, 1, 2, "a", 3, 4, "b", 0, 0, False)
    md.on_trade_event(t)
    assert md.recent_trades(BTC, 1) == [TapeEntry(9, W, 300, 2, Side.SELL)]
    assert md.candles(BTC, "1min") == [c(0, 300, 300, 300, 300, 2, 600)]


# -- tickers ----------------------------------------------------------------------------------


def test_ticker_without_trades() -> None:
    md = MarketData(MARKETS)
    assert md.ticker(BTC, W) == Ticker(BTC, 0, 0, 0, 0, 0, 0, 0, W)
    assert [t.symbol for t in md.tickers(W)] == list(MARKETS.symbols)


def test_ticker_window_edges() -> None:
    md = MarketData(MARKETS)
    feed(md, BTC, W + 59_999, 100, 2)
    inside = md.ticker(BTC, W + 59_999 + DAY_MS - MINUTE_MS)
    assert inside == Ticker(BTC, 100, 100, 100, 100, 2, 200, 200, inside.ts)
    gone = md.ticker(BTC, W + 59_999 + DAY_MS + 1)  # 24h + 1 ms old
    assert gone == Ticker(BTC, 100, 100, 100, 100, 0, 0, 0, W + 59_999 + DAY_MS + 1)
    md2 = MarketData(MARKETS)
    feed(md2, BTC, W, 100, 2)
    assert md2.ticker(BTC, W + DAY_MS - 1).base_vol == 2
    assert md2.ticker(BTC, W + DAY_MS).base_vol == 0  # exactly 24h old: out


def test_ticker_rolling_window() -> None:
    md = MarketData(MARKETS)
    feed(md, BTC, W, 100, 1)
    feed(md, BTC, W + H, 120, 2)
    feed(md, BTC, W + 2 * H, 90, 3)
    assert md.ticker(BTC, W + DAY_MS - 1) == Ticker(
        BTC, 100, 120, 90, 90, 6, 610, 610, W + DAY_MS - 1
    )
    assert md.ticker(BTC, W + DAY_MS + 1)[1:7] == (120, 120, 90, 90, 5, 510)
    assert md.ticker(BTC, W + DAY_MS + H)[1:7] == (90, 90, 90, 90, 3, 270)
    assert md.ticker(BTC, W + DAY_MS + 2 * H)[1:7] == (90, 90, 90, 90, 0, 0)
    # A trade stamped after ``now`` (clock skew) is in the window.
    assert md.ticker(BTC, W - 1)[1:7] == (100, 120, 90, 90, 6, 610)


def test_ticker_cache() -> None:
    md = MarketData(MARKETS)
    now = W + 10 * MINUTE_MS + 5
    feed(md, BTC, W, 100, 1)
    t1 = md.ticker(BTC, now)
    n = md._ticker_recomputes
    assert md.ticker(BTC, now + 1000) == t1._replace(ts=now + 1000)
    assert md._ticker_recomputes == n  # same minute, no trade: cached
    # A trade in the current minute opens a new bucket: one recompute, then cheap again.
    feed(md, BTC, now, 150, 2)
    assert md.ticker(BTC, now)[1:7] == (100, 150, 100, 150, 3, 400)
    n = md._ticker_recomputes
    feed(md, BTC, now + 1, 50, 1)
    assert md.ticker(BTC, now + 2)[1:7] == (100, 150, 50, 50, 4, 450)
    assert md._ticker_recomputes == n  # the trade landed in the live minute
    # Minute change: recompute, and the old minute drops out a day later.
    later = W + DAY_MS + 1
    assert md.ticker(BTC, later)[1:7] == (150, 150, 50, 50, 3, 350)
    assert md._ticker_recomputes == n + 1


def test_ticker_cache_sees_late_trade() -> None:
    md = MarketData(MARKETS)
    feed(md, BTC, W, 100, 1)
    now = W + 3 * MINUTE_MS
    assert md.ticker(BTC, now).base_vol == 1
    feed(md, BTC, W + 1, 200, 4)  # engine time behind the query's ``now``
    assert md.ticker(BTC, now)[1:7] == (100, 200, 100, 200, 5, 900)


def test_usdt_volume() -> None:
    md = MarketData(MARKETS)
    feed(md, BTC, W, 3_000_000, 1_000_000)  # 1 BTC at 30000.00
    assert md.ticker(BTC, W).usdt_vol == 3_000_000_000_000  # 30000 USDT, 8 decimals
    feed(md, ETHBTC, W, 5_000, 1_000)  # 1 ETH at 0.05 BTC: 0.05 BTC
    assert md.ticker(ETHBTC, W).quote_vol == 5_000_000
    assert md.ticker(ETHBTC, W).usdt_vol == 150_000_000_000  # 1500 USDT
    assert md.to_usdt("USDT", 123) == 123
    assert md.to_usdt("SOL", 10**8) == 0  # SOLUSDT never traded


def test_usdt_volume_floors_and_missing_route() -> None:
    md = MarketData(MARKETS)
    feed(md, ETHBTC, W, 333, 1)
    assert md.ticker(ETHBTC, W).usdt_vol == 0  # BTCUSDT has no price yet
    feed(md, BTC, W, 1, 1)  # 0.01 USDT per BTC
    assert md.ticker(ETHBTC, W).usdt_vol == 3  # 333e-8 BTC x 0.01 = 3.33e-8 USDT
    no_usdt = build_markets(
        {
            "coins": [{"id": 1, "name": "BTC"}, {"id": 2, "name": "ETH"}],
            "symbols": [
                {"symbol": "ETHBTC_SPBL", "base": "ETH", "quote": "BTC"}
                | {"price_scale": 5, "quantity_scale": 3}
            ],
        }
    )
    md2 = MarketData(no_usdt)
    md2.on_trade(ETHBTC, W, 1, 5_000, 1_000, 5_000_000, Side.BUY)
    assert md2.ticker(ETHBTC, W).usdt_vol == 0


# -- depth merging ----------------------------------------------------------------------------

BIDS = [(12345, 1), (12340, 2), (12299, 3), (12000, 4), (9999, 5), (5, 6)]
ASKS = [(5, 6), (9999, 5), (12000, 4), (12001, 3), (12345, 2), (100001, 1)]


def test_merge_bids() -> None:
    assert merge_levels(BIDS, 0, True, 100) == BIDS
    assert merge_levels(BIDS, 0, True, 3) == BIDS[:3]
    assert merge_levels(BIDS, 1, True, 100) == [
        (12340, 3),
        (12290, 3),
        (12000, 4),
        (9990, 5),
        (0, 6),
    ]
    assert merge_levels(BIDS, 2, True, 100) == [
        (12300, 3),
        (12200, 3),
        (12000, 4),
        (9900, 5),
        (0, 6),
    ]
    assert merge_levels(BIDS, 3, True, 100) == [(12000, 10), (9000, 5), (0, 6)]
    assert merge_levels(BIDS, 3, True, 2) == [(12000, 10), (9000, 5)]
    assert merge_levels(BIDS, 4, True, 100) == [(10000, 10), (0, 11)]
    assert merge_levels(BIDS, 5, True, 100) == [(0, 21)]


def test_merge_asks() -> None:
    assert merge_levels(ASKS, 0, False, 100) == ASKS
    assert merge_levels(ASKS, 1, False, 100) == [
        (10, 6),
        (10000, 5),
        (12000, 4),
        (12010, 3),
        (12350, 2),
        (100010, 1),
    ]
    assert merge_levels(ASKS, 2, False, 100) == [
        (100, 6),
        (10000, 5),
        (12000, 4),
        (12100, 3),
        (12400, 2),
        (100100, 1),
    ]
    assert merge_levels(ASKS, 3, False, 100) == [
        (1000, 6),
        (10000, 5),
        (12000, 4),
        (13000, 5),
        (101000, 1),
    ]
    assert merge_levels(ASKS, 4, False, 100) == [(10000, 11), (20000, 9), (110000, 1)]
    assert merge_levels(ASKS, 5, False, 100) == [(100000, 20), (200000, 1)]
    assert merge_levels(ASKS, 5, False, 1) == [(100000, 20)]


def test_merge_edges() -> None:
    assert merge_levels([], 3, True, 10) == []
    assert merge_levels(BIDS, 2, True, 0) == []
    with pytest.raises(ValueError):
        merge_levels(BIDS, 6, True, 10)

    def lazy() -> Iterator[tuple[int, int]]:
        yield (5, 1)
        yield (9, 1)
        yield (11, 1)
        raise AssertionError("read past what the limit needs")

    assert merge_levels(lazy(), 1, False, 1) == [(10, 2)]


@given(
    st.lists(st.tuples(st.integers(1, 10**7), st.integers(1, 1000)), max_size=40),
    st.integers(0, 5),
    st.booleans(),
    st.integers(1, 50),
)
def test_merge_matches_naive(
    raw: list[tuple[int, int]], step: int, is_bid: bool, limit: int
) -> None:
    book = dict(raw)
    levels = sorted(book.items(), reverse=is_bid)
    tick = 10**step
    naive: dict[int, int] = {}
    for p, q in levels:
        m = p // tick * tick if is_bid else -(-p // tick) * tick
        naive[m] = naive.get(m, 0) + q
    expected = sorted(naive.items(), reverse=is_bid)[:limit]
    assert merge_levels(iter(levels), step, is_bid, limit) == expected


# -- snapshots and an oracle ------------------------------------------------------------------

Step = tuple[int, int, int, bool]  # (dt, price, qty, eth)
steps = st.lists(
    st.tuples(
        st.one_of(
            st.integers(0, 2 * MINUTE_MS),
            st.integers(-2 * MINUTE_MS, 0),
            st.integers(0, 8 * DAY_MS),
            st.sampled_from([1, MINUTE_MS, H, DAY_MS, 7 * DAY_MS]),
        ),
        st.integers(1, 10**6),
        st.integers(1, 10**4),
        st.booleans(),
    ),
    max_size=60,
)


def run(md: MarketData, stream: list[Step]) -> list[tuple[str, int, int, int]]:
    ts = W + 12_345
    fed = []
    for i, (dt, price, qty, eth) in enumerate(stream):
        ts += dt
        sym = ETHBTC if eth else BTC
        feed(md, sym, ts, price, qty, tid=i)
        fed.append((sym, ts, price, qty))
    return fed


def oracle(fed: list[tuple[str, int, int, int]], symbol: str, period: int) -> list[Candle]:
    newest: int | None = None
    out: dict[int, list[int]] = {}
    for sym, ts, price, qty in fed:
        if sym != symbol:
            continue
        m = ts - ts % MINUTE_MS
        m = m if newest is None else max(m, newest)
        newest = m
        b = m - m % period
        quote = price * qty * MARKETS.symbols[sym].notional_mult
        if b in out:
            r = out[b]
            r[2], r[3], r[4] = max(r[2], price), min(r[3], price), price
            r[5] += qty
            r[6] += quote
        else:
            out[b] = [b, price, price, price, price, qty, quote]
    return [Candle(*r) for r in out.values()]


def answers(md: MarketData, nows: list[int]) -> list[object]:
    got: list[object] = []
    for sym in (BTC, ETHBTC):
        got.append(md.recent_trades(sym, 2000))
        got.append(md.last_price(sym))
        for period in PERIODS:
            got.append(md.candles(sym, period, limit=5000))
            got.append(md.candles(sym, period, after=W + DAY_MS, limit=3))
            got.append(md.candles(sym, period, before=W + 3 * DAY_MS, limit=2))
        got.extend(md.ticker(sym, now) for now in nows)
    return got


@settings(max_examples=60, deadline=None)
@given(steps, steps)
def test_candles_match_oracle_and_snapshot_round_trip(first: list[Step], more: list[Step]) -> None:
    md = MarketData(MARKETS)
    fed = run(md, first)
    for sym in (BTC, ETHBTC):
        for name, ms in PERIODS.items():
            assert md.candles(sym, name, limit=5000) == oracle(fed, sym, ms)
    nows = [W, W + DAY_MS, W + 3 * DAY_MS + 17] + [
        ts + d for _, ts, _, _ in fed for d in (0, DAY_MS)
    ]
    data = json.loads(json.dumps(md.export_state()))
    restored = MarketData(MARKETS)
    restored.import_state(data)
    assert answers(restored, nows) == answers(md, nows)
    assert restored.export_state() == md.export_state()
    # Both continue identically after the restore.
    run(md, more)
    run(restored, more)
    assert answers(restored, nows) == answers(md, nows)


def test_ticker_matches_oracle() -> None:
    md = MarketData(MARKETS)
    fed = run(
        md, [(k * 997_003 % (3 * H), 100 + k * 37 % 50, 1 + k % 7, False) for k in range(300)]
    )
    for now in [fed[0][1] + k * 1_234_567 for k in range(200)]:
        window = [f for f in fed if f[1] - f[1] % MINUTE_MS > now - DAY_MS]
        last = [p for _, ts, p, _ in fed][-1]
        t = md.ticker(BTC, now)
        if not window:
            assert t[1:7] == (last, last, last, last, 0, 0)
            continue
        prices = [p for _, _, p, _ in window]
        assert t.open24h == prices[0]
        assert (t.high24h, t.low24h, t.close) == (max(prices), min(prices), last)
        assert t.base_vol == sum(q for _, _, _, q in window)
        assert t.quote_vol == sum(p * q for _, _, p, q in window)


def test_import_rejects_bad_data(md: MarketData) -> None:
    before = md.export_state()
    bad_rows = json.loads(json.dumps(before))
    bad_rows["symbols"][BTC]["candles"]["1h"][0] = [1, 2, 3]
    unordered = json.loads(json.dumps(before))
    unordered["symbols"][BTC]["candles"]["1min"].reverse()
    for bad in (
        {"format": 99, "symbols": {}},
        {"format": 1, "symbols": {"NOPE_SPBL": {}}},
        {"format": 1, "symbols": {BTC: {"tape": []}}},
        {"format": 1, "symbols": {BTC: {"last_price": 1.5, "tape": [], "candles": {}}}},
        bad_rows,
        unordered,
    ):
        with pytest.raises(ValueError):
            md.import_state(bad)
        assert md.export_state() == before
    md.import_state({"format": 1, "symbols": {}})
    assert md.candles(BTC, "1min") == [] and md.last_price(BTC) == 0


def test_ticker_cache_after_trim_matches_restored() -> None:
    # ``now`` lags the trades, so trimming the oldest minute changes the window's history.
    md = MarketData(MARKETS, max_candles=1440)
    for i in range(1440):
        feed(md, BTC, W + i * MINUTE_MS, 100 + i % 3, 1)
    now = W + 1439 * MINUTE_MS
    assert md.ticker(BTC, now).base_vol == 1440
    feed(md, BTC, now + MINUTE_MS, 100, 1)
    restored = MarketData(MARKETS, max_candles=1440)
    restored.import_state(md.export_state())
    assert md.ticker(BTC, now) == restored.ticker(BTC, now)
    assert md.ticker(BTC, now).base_vol == 1440  # oldest minute trimmed, newest added
