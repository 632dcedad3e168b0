"""Public market streams: subscriptions by topic, depth versions, per-batch publication.

Publication happens once per durable batch (:meth:`PublicFeed.publish`, called from the
runtime's batch hook), when the engine state is exactly the state after the batch. It looks
at every book's ``touched`` set (O(symbols) per batch) and at the trades buffered by the hub
for symbols that have public subscribers:

* deals: one frame per symbol with every trade of the batch, oldest first;
* kline: for each subscribed interval, the current candle of a symbol that traded;
  besides, :meth:`PublicFeed.tick` (every second) pushes the candle still forming of each
  kline topic, as MEXC pushes the current candle every second (an interval without a trade
  yet has no candle, so nothing is pushed for it);
* increase.depth: the levels changed in the batch (from ``Book.touched``, cleared after
  reading) with their ABSOLUTE volumes, ``v`` "0" for a removed level; asks ascending, bids
  descending. ``r`` is the symbol's depth version;
* limit.depth N: the top N levels a side, when they differ from the last frame pushed;
* bookTicker: best bid/ask and their volumes, when they differ from the last frame pushed.

Depth versions. Every symbol has a version that grows by exactly 1 for each batch that
changed its book, whether or not anybody subscribes; an increase.depth frame carries the
version of the state after it. The REST depth endpoint returns the version of the book it
shows (both are read on the event loop, between batches, so they always agree). A client
applies the diffs with ``r`` greater than its snapshot's version and resynchronises from
REST when it sees a gap (``r`` not previous + 1). Versions start at the runtime's applied
sequence number when the server starts, so they never go back across restarts.

Fan-out. The ``d`` object is built once per topic and serialised once per channel spelling
(``BTCUSDT`` and ``BTCUSDT_SPBL`` forms, whose frames differ in ``c`` and in ``s``, the symbol
as the channel spells it), and the same frame, bytes included, goes to every subscriber of
that spelling (see :mod:`.fastpath`).
On subscription to limit.depth or bookTicker the current state is sent at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openweex.api.ws.channels import (
    PUBLIC_BOOK_TICKER,
    PUBLIC_DEALS,
    PUBLIC_INCREASE_DEPTH,
    PUBLIC_KLINE,
    PUBLIC_LIMIT_DEPTH,
    Channel,
    Topic,
)
from openweex.api.ws.conn import Conn
from openweex.api.ws.frames import Formatter, Frame, push
from openweex.domain.events import Trade
from openweex.domain.values import Side
from openweex.engine.book import Book
from openweex.engine.exchange import Exchange

BUY = Side.BUY
SELL = Side.SELL
Forms = dict[str, set[Conn]]  # channel text -> subscribers


class PublicFeed:
    """Public subscriptions and the market state last pushed on each topic."""

    def __init__(self, fmt: Formatter, exchange: Exchange, start_version: int) -> None:
        self.fmt = fmt
        self.books: dict[str, Book] = exchange.books
        self.market = exchange.market
        self.versions: dict[str, int] = {}
        for name, book in self.books.items():
            self.versions[name] = start_version
            book.touched.clear()
        self.subs: dict[Topic, Forms] = {}
        # symbol -> topics with subscribers, in the order they were first subscribed
        self.topics: dict[str, dict[Topic, None]] = {}
        self.last: dict[Topic, Any] = {}  # limit.depth / bookTicker state last pushed
        self.trades: dict[str, list[Trade]] = {}  # this batch's trades of watched symbols
        # channel text -> the frames' ``s``: the symbol as that channel spells it
        self.spelled: dict[str, str] = {}

    # -- subscriptions -------------------------------------------------------------------
    def add(self, conn: Conn, ch: Channel, now: int) -> Frame | None:
        """Subscribe; returns the initial frame for limit.depth and bookTicker."""
        topic = ch.topic
        self.subs.setdefault(topic, {}).setdefault(ch.text, set()).add(conn)
        self.spelled.setdefault(ch.text, ch.text.split("@")[2])
        self.topics.setdefault(topic.symbol, {})[topic] = None
        if topic.kind == PUBLIC_LIMIT_DEPTH:
            state = self._limit_state(topic)
            self.last[topic] = state
            data = self.fmt.depth(topic.symbol, *state, self.versions[topic.symbol], False)
        elif topic.kind == PUBLIC_BOOK_TICKER:
            best = self._best(topic.symbol)
            self.last[topic] = best
            data = self.fmt.book_ticker(topic.symbol, best)
        else:
            return None
        return push(ch.text, data, self.spelled[ch.text], now)

    def remove(self, conn: Conn, ch: Channel) -> None:
        topic = ch.topic
        forms = self.subs.get(topic)
        if forms is None:
            return
        conns = forms.get(ch.text)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del forms[ch.text]
                del self.spelled[ch.text]
        if not forms:
            del self.subs[topic]
            self.last.pop(topic, None)
            watched = self.topics.get(topic.symbol)
            if watched is not None:
                watched.pop(topic, None)
                if not watched:
                    del self.topics[topic.symbol]

    def subscribers(self, topic: Topic) -> int:
        return sum(len(c) for c in self.subs.get(topic, {}).values())

    # -- engine side ---------------------------------------------------------------------
    def on_trade(self, tr: Trade) -> None:
        if tr.symbol in self.topics:
            got = self.trades.get(tr.symbol)
            if got is None:
                self.trades[tr.symbol] = [tr]
            else:
                got.append(tr)

    def publish(self, clock: Callable[[], int]) -> None:
        """Push this batch's frames and advance depth versions (see the module docstring)."""
        now = 0
        trades = self.trades
        for symbol, book in self.books.items():
            changed = bool(book.touched)
            if not changed and symbol not in trades:
                continue
            if changed:
                self.versions[symbol] += 1
            topics = self.topics.get(symbol)
            if topics:
                now = now or clock()
                self._publish_symbol(symbol, book, topics, changed, now)
            if changed:
                book.touched.clear()
        trades.clear()

    def _publish_symbol(
        self, symbol: str, book: Book, topics: dict[Topic, None], changed: bool, now: int
    ) -> None:
        trades = self.trades.get(symbol)
        for topic in topics:
            kind = topic.kind
            if kind == PUBLIC_DEALS:
                if trades:
                    self._fan(topic, self.fmt.deals(symbol, trades), now)
            elif kind == PUBLIC_KLINE:
                if trades:
                    self._kline(topic, now)
            elif not changed:
                continue
            elif kind == PUBLIC_INCREASE_DEPTH:
                asks, bids = self._diff(book)
                data = self.fmt.depth(symbol, asks, bids, self.versions[symbol], True)
                self._fan(topic, data, now)
            elif kind == PUBLIC_LIMIT_DEPTH:
                state = self._limit_state(topic)
                if state != self.last.get(topic):
                    self.last[topic] = state
                    data = self.fmt.depth(symbol, *state, self.versions[symbol], False)
                    self._fan(topic, data, now)
            elif kind == PUBLIC_BOOK_TICKER:
                best = self._best(symbol)
                if best != self.last.get(topic):
                    self.last[topic] = best
                    self._fan(topic, self.fmt.book_ticker(symbol, best), now)

    def _fan(self, topic: Topic, data: Any, now: int) -> None:
        spelled = self.spelled
        for text, conns in self.subs[topic].items():
            msg = push(text, data, spelled[text], now)
            for conn in conns:
                conn.push(msg)

    def _kline(self, topic: Topic, now: int, forming: bool = False) -> None:
        """Push the topic's newest candle; with ``forming``, only while ``start <= now < end``."""
        got = self.market.kline(topic.symbol, topic.arg)
        if got is not None and (not forming or got[0].start <= now < got[1]):
            self._fan(topic, self.fmt.kline(topic.symbol, topic.arg, *got), now)

    def tick(self, now: int) -> None:
        """Push the forming candle of every kline topic."""
        for topic in list(self.subs):
            if topic.kind == PUBLIC_KLINE:
                self._kline(topic, now, forming=True)

    # -- book reads ----------------------------------------------------------------------
    @staticmethod
    def _diff(book: Book) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        asks: list[tuple[int, int]] = []
        bids: list[tuple[int, int]] = []
        volume = book.volume
        for side, price in book.touched:
            (bids if side is BUY else asks).append((price, volume(side, price)))
        asks.sort()
        bids.sort(reverse=True)
        return asks, bids

    def _limit_state(self, topic: Topic) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        book = self.books[topic.symbol]
        n = int(topic.arg)
        return book.levels(SELL, n), book.levels(BUY, n)

    def _best(self, symbol: str) -> tuple[int, int, int, int]:
        book = self.books[symbol]
        bid, ask = book.best_bid(), book.best_ask()
        return bid, book.volume(BUY, bid), ask, book.volume(SELL, ask)
