"""What ``openweex client`` prints: aligned tables, the order book with bids and asks side by
side, one line per stream event, and JSON for ``--json``.

Tables have a header row and columns padded to their widest cell; a column whose cells are
all numbers is right-aligned. Amounts are printed as the server sent them, without an
exponent. Times are UTC (``2026-01-02 03:04:05``; stream lines ``03:04:05.678``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

from .events import (
    AccountEvent,
    BookTickerEvent,
    DealEvent,
    DepthEvent,
    KlineEvent,
    OrderEvent,
    PublicDealsEvent,
    StreamEvent,
    UnknownEvent,
)
from .models import (
    Asset,
    Bill,
    Candle,
    Currency,
    Fill,
    MarketTrade,
    Order,
    OrderBook,
    PlacedOrder,
    Product,
    Ticker,
)

_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?%?$")
NONE = "(none)"


# -- values ------------------------------------------------------------------------------


def num(value: Decimal | int) -> str:
    """A number without exponent (``1E+1`` prints ``10``)."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def when(ms: int) -> str:
    """A Unix-ms time as ``YYYY-MM-DD HH:MM:SS`` UTC ("-" for 0)."""
    if ms <= 0:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def clock(ms: int) -> str:
    """A Unix-ms time as ``HH:MM:SS.mmm`` UTC."""
    moment = datetime.fromtimestamp(max(ms, 0) / 1000, UTC)
    return moment.strftime("%H:%M:%S.") + f"{ms % 1000:03d}"


def plain(value: object) -> object:
    """JSON-ready data: dataclasses as objects, Decimal as strings, enums as values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    return value


def to_json(value: object) -> str:
    """One line of JSON for SDK results (amounts as strings, enums as wire values)."""
    return json.dumps(plain(value), ensure_ascii=False)


# -- tables ------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns under a header; numeric columns are right-aligned."""
    if not rows:
        return NONE
    widths = [len(h) for h in headers]
    numeric = [True] * len(headers)
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
            numeric[i] = numeric[i] and (cell in ("", "-") or bool(_NUMBER.match(cell)))

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def fields(pairs: Sequence[tuple[str, str]]) -> str:
    """A two-column ``name  value`` list (one record)."""
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in pairs)


def time_text(ms: int) -> str:
    return f"{ms}  ({when(ms)} UTC)"


def products(items: Sequence[Product]) -> str:
    headers = ["SYMBOL", "BASE", "QUOTE", "MIN QTY", "MAX QTY", "PRICE DP", "QTY DP"]
    headers += ["MAKER FEE", "TAKER FEE", "STATUS"]
    rows = [
        [
            p.symbol,
            p.base_coin,
            p.quote_coin,
            num(p.min_trade_amount),
            num(p.max_trade_amount),
            str(p.price_scale),
            str(p.quantity_scale),
            num(p.maker_fee_rate),
            num(p.taker_fee_rate),
            p.status,
        ]
        for p in items
    ]
    return table(headers, rows)


def currencies(items: Sequence[Currency]) -> str:
    rows = [[c.coin_id, c.coin_name, ",".join(ch.chain or "-" for ch in c.chains)] for c in items]
    return table(["ID", "COIN", "CHAINS"], rows)


def tickers(items: Sequence[Ticker]) -> str:
    headers = ["SYMBOL", "LAST", "HIGH 24H", "LOW 24H", "BASE VOL", "QUOTE VOL", "TIME"]
    rows = [
        [
            t.symbol,
            num(t.close),
            num(t.high_24h),
            num(t.low_24h),
            num(t.base_vol),
            num(t.quote_vol),
            when(t.ts),
        ]
        for t in items
    ]
    return table(headers, rows)


def trades(items: Sequence[MarketTrade]) -> str:
    rows = [
        [when(t.fill_time), t.side.value, num(t.fill_price), num(t.fill_quantity), t.trade_id]
        for t in items
    ]
    return table(["TIME", "SIDE", "PRICE", "QUANTITY", "TRADE ID"], rows)


def depth(book: OrderBook, symbol: str) -> str:
    """Bids (best first, descending) and asks (best first, ascending) side by side."""
    title = f"{symbol}  {when(book.timestamp)} UTC"
    if book.bids and book.asks:
        best_bid, best_ask = book.bids[0].price, book.asks[0].price
        title += f"  spread {num(best_ask - best_bid)}"
    rows: list[list[str]] = []
    for i in range(max(len(book.bids), len(book.asks))):
        bid = book.bids[i] if i < len(book.bids) else None
        ask = book.asks[i] if i < len(book.asks) else None
        rows.append(
            [
                num(bid.quantity) if bid else "",
                num(bid.price) if bid else "",
                "|",
                num(ask.price) if ask else "",
                num(ask.quantity) if ask else "",
            ]
        )
    body = table(["BID QTY", "BID", "|", "ASK", "ASK QTY"], rows)
    return f"{title}\n{body}" if rows else f"{title}\n(empty book)"


def candles(items: Sequence[Candle]) -> str:
    headers = ["TIME", "OPEN", "HIGH", "LOW", "CLOSE", "BASE VOL", "QUOTE VOL"]
    rows = [
        [
            when(c.ts),
            num(c.open),
            num(c.high),
            num(c.low),
            num(c.close),
            num(c.base_vol),
            num(c.quote_vol),
        ]
        for c in items
    ]
    return table(headers, rows)


def balances(items: Sequence[Asset]) -> str:
    rows = [[a.coin_name.upper(), num(a.available), num(a.frozen), num(a.lock)] for a in items]
    return table(["COIN", "AVAILABLE", "FROZEN", "LOCKED"], rows)


def placed(result: PlacedOrder) -> str:
    extra = f" (client order id {result.client_order_id})" if result.client_order_id else ""
    return f"placed order {result.order_id}{extra}"


def cancelled(order_ids: Sequence[str]) -> str:
    if not order_ids:
        return "no order to cancel"
    return "\n".join(f"cancelled order {order_id}" for order_id in order_ids)


def orders(items: Sequence[Order]) -> str:
    headers = ["ORDER ID", "CLIENT ID", "SYMBOL", "SIDE", "TYPE", "PRICE", "QUANTITY"]
    headers += ["FILLED", "AVG PRICE", "STATUS", "CREATED"]
    rows = [
        [
            o.order_id,
            o.client_order_id or "-",
            o.symbol.upper(),
            o.side.value,
            o.order_type.value,
            num(o.price),
            num(o.quantity),
            num(o.fill_quantity),
            num(o.fill_price),
            o.status.value,
            when(o.c_time),
        ]
        for o in items
    ]
    return table(headers, rows)


def order(o: Order) -> str:
    return fields(
        [
            ("order id", o.order_id),
            ("client order id", o.client_order_id or "-"),
            ("symbol", o.symbol.upper()),
            ("side", o.side.value),
            ("type", o.order_type.value),
            ("force", o.force.value if o.force else "-"),
            ("price", num(o.price)),
            ("quantity", num(o.quantity)),
            ("filled", num(o.fill_quantity)),
            ("avg price", num(o.fill_price)),
            ("filled amount", num(o.fill_total_amount)),
            ("status", o.status.value),
            ("created", f"{when(o.c_time)} UTC"),
        ]
    )


def fills(items: Sequence[Fill]) -> str:
    headers = ["FILL ID", "ORDER ID", "SYMBOL", "SIDE", "PRICE", "QUANTITY", "AMOUNT"]
    headers += ["FEE", "FEE COIN", "TIME"]
    rows = [
        [
            f.fill_id,
            f.order_id,
            f.symbol.upper(),
            f.side.value,
            num(f.fill_price),
            num(f.fill_quantity),
            num(f.fill_total_amount),
            num(f.fees),
            f.fee_ccy.upper(),
            when(f.c_time),
        ]
        for f in items
    ]
    return table(headers, rows)


def bills(items: Sequence[Bill]) -> str:
    headers = ["BILL ID", "TIME", "COIN", "GROUP", "TYPE", "QUANTITY", "BALANCE", "FEES"]
    rows = [
        [
            b.bill_id,
            when(b.c_time),
            b.coin_name.upper(),
            b.group_type,
            b.biz_type,
            num(b.quantity),
            num(b.balance),
            num(b.fees),
        ]
        for b in items
    ]
    return table(headers, rows)


# -- stream events -----------------------------------------------------------------------


def _levels_text(event: DepthEvent) -> str:
    bids = " ".join(f"{num(lv.quantity)}@{num(lv.price)}" for lv in event.bids) or "-"
    asks = " ".join(f"{num(lv.quantity)}@{num(lv.price)}" for lv in event.asks) or "-"
    return f"bids {bids} | asks {asks}"


def _order_size(e: OrderEvent) -> str:
    if e.price > 0:
        return f"{num(e.quantity)}@{num(e.price)}"
    if e.quantity > 0:
        return f"{num(e.quantity)} at market"
    return f"{num(e.amount)} (quote) at market"


def _order_line(e: OrderEvent) -> str:
    return (
        f"order {e.symbol} {e.order_id} {e.side.value} {e.order_type.value} {_order_size(e)}"
        f" {e.order_status.value} filled {num(e.cumulative_quantity)} avg {num(e.avg_price)}"
        f" client-id {e.client_order_id or '-'}"
    )


def _deal_line(e: DealEvent) -> str:
    role = "maker" if e.is_maker else "taker"
    return (
        f"deal {e.symbol} order {e.order_id} {e.side.value} {num(e.quantity)}@{num(e.price)}"
        f" {role} fee {num(e.fee)} {e.fee_asset} trade {e.trade_id}"
    )


def _signed(value: Decimal) -> str:
    return ("+" if value >= 0 else "") + num(value)


def _account_line(e: AccountEvent) -> str:
    return (
        f"account {e.asset} free {num(e.free)} ({_signed(e.free_change)})"
        f" frozen {num(e.frozen)} ({_signed(e.frozen_change)}) {e.change_type}"
    )


def event_line(event: StreamEvent) -> str:
    """One readable line for a stream event, starting with its time."""
    body: str
    if isinstance(event, OrderEvent):
        body = _order_line(event)
    elif isinstance(event, DealEvent):
        body = _deal_line(event)
    elif isinstance(event, AccountEvent):
        body = _account_line(event)
    elif isinstance(event, PublicDealsEvent):
        deals = ", ".join(f"{d.side.value} {num(d.quantity)}@{num(d.price)}" for d in event.deals)
        body = f"trades {event.symbol} {deals}"
    elif isinstance(event, KlineEvent):
        body = (
            f"kline {event.symbol} {event.interval} {when(event.start_time)} o {num(event.open)}"
            f" h {num(event.high)} l {num(event.low)} c {num(event.close)}"
            f" vol {num(event.quantity)}"
        )
    elif isinstance(event, DepthEvent):
        kind = "depth" if event.snapshot else "depth-diff"
        body = f"{kind} {event.symbol} {_levels_text(event)}"
    elif isinstance(event, BookTickerEvent):
        body = (
            f"book {event.symbol} bid {num(event.bid_quantity)}@{num(event.bid_price)}"
            f" ask {num(event.ask_quantity)}@{num(event.ask_price)}"
        )
    else:
        body = f"{event.channel} {to_json(event.raw)}"
    return f"{clock(event.event_time)} {body}"


_KINDS: dict[type, str] = {
    OrderEvent: "order",
    DealEvent: "deal",
    AccountEvent: "account",
    PublicDealsEvent: "trades",
    KlineEvent: "kline",
    DepthEvent: "depth",
    BookTickerEvent: "book",
    UnknownEvent: "unknown",
}


def event_json(event: StreamEvent) -> str:
    """One JSON line for a stream event, with its kind in ``"event"``."""
    data = plain(event)
    assert isinstance(data, dict)
    return json.dumps({"event": _KINDS[type(event)], **data}, ensure_ascii=False)
