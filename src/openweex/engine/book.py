"""Order book of one symbol: price levels with FIFO queues, price-time priority matching.

Invariants (checked by :meth:`Book.check`):

* ``bid_prices`` is sorted ascending and the best bid is last; ``ask_keys`` holds negated ask
  prices sorted ascending so the best ask is last too. Both lists name exactly the levels in
  ``bids`` / ``asks``.
* every level has at least one live order; its ``volume`` is the sum of its live orders'
  remaining lots and ``count`` their number.
* the book is never crossed after a command: best bid < best ask.

Cancelled orders are removed lazily from a level's queue: cancel adjusts the level's volume
and count at once (O(1) plus removing an emptied price) and marks the order dead; matching
skips dead orders when it meets them. A level whose last live order leaves is deleted, and
a queue is compacted (its live orders kept, in order) when its dead orders outnumber the
live ones by more than :data:`SLACK`: a level that always keeps a live order, far from
where trades happen, would otherwise hold every order ever cancelled at its price (amortised
O(1) a cancel: at least ``count + SLACK`` cancels come between two compactions).

Matching walks the opposite side from its best price while the taker's limit allows. Every
fill trades at the maker's price. Self-trades are allowed (the engine flags them).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Any, Final

from openweex.domain.orders import Status
from openweex.domain.values import Force, OrderType, Side
from openweex.engine.amounts import affordable_lots
from openweex.engine.tuples import untrack

BUY: Final = Side.BUY
SELL: Final = Side.SELL
FULL_FILL: Final = Status.FULL_FILL
CANCELLED: Final = Status.CANCELLED
INIT: Final = Status.INIT
SLACK: Final = 32  # dead orders beyond the live ones that a level's queue may keep


class Order:
    """A live order. ``remaining`` is in lots; ``hold`` is what it still has frozen.

    ``fill`` is the lots this order traded in the last :meth:`Book.match` that took from it.
    Its attributes are ints, strs and IntEnum members (the compiled class checks them), so an
    order cannot be part of a reference cycle: it is left to reference counting
    (:func:`~openweex.engine.tuples.untrack`), and the garbage collector's generations do not
    hold the resting orders of a large book.
    """

    __slots__ = (
        "client_oid",
        "ctime",
        "fill",
        "filled_qty",
        "filled_quote",
        "force",
        "hold",
        "order_id",
        "order_type",
        "price",
        "quantity",
        "remaining",
        "side",
        "status",
        "symbol",
        "uid",
    )

    def __init__(
        self,
        order_id: int,
        uid: int,
        symbol: str,
        side: Side,
        order_type: OrderType,
        force: Force,
        price: int,
        quantity: int,
        client_oid: str,
        ctime: int,
    ) -> None:
        self.order_id = order_id
        self.uid = uid
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.force = force
        self.price = price
        self.quantity = quantity
        self.client_oid = client_oid
        self.ctime = ctime
        self.remaining = quantity
        self.hold = 0
        self.filled_qty = 0
        self.filled_quote = 0
        self.fill = 0
        self.status = INIT
        untrack(self)


class Level:
    """One price of one side: a FIFO queue of orders, ``orders[head:]``.

    The orders before ``head`` are done (filled or cancelled); the list is compacted when
    they are the larger part. ``key`` is the level's ``(side, price)`` entry for
    ``Book.touched``.
    """

    __slots__ = ("count", "head", "key", "orders", "price", "volume")

    def __init__(self, side: Side, price: int) -> None:
        self.price = price
        # Kept as a built tuple (typed Any so that it is not unpacked and rebuilt on use).
        self.key: Any = (side, price)
        self.orders: list[Order] = []
        self.head = 0
        self.volume = 0
        self.count = 0


class Book:
    __slots__ = ("ask_keys", "asks", "bid_prices", "bids", "symbol", "touched")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.bid_prices: list[int] = []
        self.ask_keys: list[int] = []
        # (side, price) of levels changed since the owner last cleared it (depth diffs).
        self.touched: set[tuple[Side, int]] = set()

    # -- queries -----------------------------------------------------------------------
    def best_bid(self) -> int:
        """Best bid price in ticks, 0 when there is none."""
        return self.bid_prices[-1] if self.bid_prices else 0

    def best_ask(self) -> int:
        """Best ask price in ticks, 0 when there is none."""
        return -self.ask_keys[-1] if self.ask_keys else 0

    def levels(self, side: Side, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` (price, volume) levels of a side, best first."""
        if side is BUY:
            prices = self.bid_prices[-limit:] if limit > 0 else []
            book = self.bids
            return [(p, book[p].volume) for p in reversed(prices)]
        keys = self.ask_keys[-limit:] if limit > 0 else []
        asks = self.asks
        return [(-k, asks[-k].volume) for k in reversed(keys)]

    def volume(self, side: Side, price: int) -> int:
        level = (self.bids if side is BUY else self.asks).get(price)
        return level.volume if level is not None else 0

    def would_take(self, side: Side, price: int) -> bool:
        """Would a limit order at ``price`` trade on arrival?"""
        if side is BUY:
            return bool(self.ask_keys) and price >= -self.ask_keys[-1]
        return bool(self.bid_prices) and price <= self.bid_prices[-1]

    def fillable(self, side: Side, price: int, lots: int) -> bool:
        """Can a taker on ``side`` with limit ``price`` fill ``lots`` completely?"""
        got = 0
        if side is BUY:
            asks = self.asks
            for key in reversed(self.ask_keys):
                if -key > price:
                    return False
                got += asks[-key].volume
                if got >= lots:
                    return True
            return False
        bids = self.bids
        for p in reversed(self.bid_prices):
            if p < price:
                return False
            got += bids[p].volume
            if got >= lots:
                return True
        return False

    # -- changes -----------------------------------------------------------------------
    def add(self, order: Order) -> None:
        """Rest ``order`` at the back of its price level."""
        price = order.price
        if order.side is BUY:
            level = self.bids.get(price)
            if level is None:
                level = self.bids[price] = Level(BUY, price)
                insort(self.bid_prices, price)
        else:
            level = self.asks.get(price)
            if level is None:
                level = self.asks[price] = Level(SELL, price)
                insort(self.ask_keys, -price)
        level.orders.append(order)
        level.volume += order.remaining
        level.count += 1
        self.touched.add(level.key)

    def remove(self, order: Order) -> None:
        """Take a resting order out of the book (cancel). The order is left dead in the queue."""
        price = order.price
        side = order.side
        levels = self.bids if side is BUY else self.asks
        level = levels[price]
        level.volume -= order.remaining
        count = level.count - 1
        level.count = count
        order.remaining = 0
        self.touched.add(level.key)
        if count == 0:
            self._drop_level(side, price)
        else:
            queue = level.orders
            head = level.head
            if len(queue) - head - count > count + SLACK:  # dead ones outnumber the live
                level.orders = [o for o in queue[head:] if o.remaining > 0]
                level.head = 0

    def _drop_level(self, side: Side, price: int) -> None:
        if side is BUY:
            del self.bids[price]
            prices = self.bid_prices
            del prices[bisect_left(prices, price)]
        else:
            del self.asks[price]
            keys = self.ask_keys
            del keys[bisect_left(keys, -price)]

    def match(self, side: Side, limit: int, lots: int, budget: int, mult: int) -> list[Order]:
        """Take liquidity for a taker on ``side``.

        ``limit`` is the worst acceptable price (0: none, a market order). ``lots`` caps the
        base quantity; ``budget`` (>= 0) caps the quote spent, with ``mult`` the symbol's
        notional multiplier, or is -1 for no budget. Makers are updated in place (their
        ``remaining`` drops; filled ones leave the book). Returns the makers that traded, best
        price first; each one's ``fill`` is the lots it traded, at its own ``price``.
        """
        fills: list[Order] = []
        touched = self.touched
        if side is BUY:
            keys = self.ask_keys
            levels = self.asks
        else:
            keys = self.bid_prices
            levels = self.bids
        while keys and lots > 0:
            price = -keys[-1] if side is BUY else keys[-1]
            if limit and (price > limit if side is BUY else price < limit):
                break
            if budget >= 0:
                afford = affordable_lots(mult, price, budget)
                if afford == 0:
                    break
                want = afford if afford < lots else lots
            else:
                want = lots
            level = levels[price]
            queue = level.orders
            head = level.head
            took = 0
            while want > 0 and level.count > 0:
                maker = queue[head]
                rem = maker.remaining
                if rem == 0:
                    head += 1
                    continue
                q = rem if rem <= want else want
                maker.remaining = rem - q
                maker.fill = q
                want -= q
                took += q
                fills.append(maker)
                if rem == q:
                    head += 1
                    level.count -= 1
            if head > 32 and head * 2 > len(queue):
                del queue[:head]
                head = 0
            level.head = head
            level.volume -= took
            lots -= took
            if budget >= 0:
                budget -= price * (took * mult)
            touched.add(level.key)
            if level.count == 0:
                del levels[price]
                keys.pop()
            else:
                break
        return fills

    def live_orders(self) -> list[Order]:
        """Every resting order, bids best-first then asks best-first, FIFO within a level."""
        out: list[Order] = []
        for p in reversed(self.bid_prices):
            level = self.bids[p]
            out.extend(o for o in level.orders[level.head :] if o.remaining > 0)
        for k in reversed(self.ask_keys):
            level = self.asks[-k]
            out.extend(o for o in level.orders[level.head :] if o.remaining > 0)
        return out

    def check(self) -> None:
        """Assert the invariants in the module docstring (for tests and debugging)."""
        assert self.bid_prices == sorted(self.bids), "bid index out of sync"
        assert self.ask_keys == sorted(-p for p in self.asks), "ask index out of sync"
        for side, levels in ((BUY, self.bids), (SELL, self.asks)):
            for price, level in levels.items():
                done = level.orders[: level.head]
                assert all(o.remaining == 0 for o in done), f"level {price} head"
                live = [o for o in level.orders if o.remaining > 0]
                assert live, f"empty level {price}"
                assert level.count == len(live), f"level {price} count"
                assert level.volume == sum(o.remaining for o in live), f"level {price} volume"
                for o in live:
                    assert o.side is side and o.price == price, "order on wrong level"
        if self.bid_prices and self.ask_keys:
            assert self.best_bid() < self.best_ask(), "book crossed"
