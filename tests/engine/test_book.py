"""The book's price levels: lazily removed cancels, compaction, FIFO kept through both."""

from __future__ import annotations

import itertools

from hypothesis import example, given, settings
from hypothesis import strategies as st

from openweex.domain.values import Force, OrderType, Side
from openweex.engine.book import SLACK, Book, Order

PRICE = 100


def order(oid: int, side: Side = Side.SELL, price: int = PRICE, lots: int = 1) -> Order:
    return Order(oid, 1, "X", side, OrderType.LIMIT, Force.NORMAL, price, lots, "", 0)


def queued(book: Book, price: int = PRICE) -> int:
    """Entries in the ask level's queue past its head, dead ones included."""
    level = book.asks[price]
    return len(level.orders) - level.head


def test_a_level_that_keeps_a_live_order_does_not_keep_every_cancel() -> None:
    book = Book("X")
    wall = order(0)
    book.add(wall)
    for oid in range(1, 10_001):  # orders placed and cancelled behind the wall
        o = order(oid)
        book.add(o)
        book.remove(o)
        assert queued(book) <= 1 + 1 + SLACK + 1
    book.check()
    late = order(10_001)
    book.add(late)
    fills = book.match(Side.BUY, PRICE, 2, -1, 1)
    assert [o.order_id for o in fills] == [0, 10_001]  # FIFO: the wall first
    assert PRICE not in book.asks


@settings(max_examples=200, deadline=None)
@given(
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(1, 3)),
            st.tuples(st.just("cancel"), st.integers(0, 10**6)),
            st.tuples(st.just("take"), st.integers(1, 6)),
            st.tuples(st.just("churn"), st.integers(1, 60)),
        ),
        max_size=400,
    )
)
# a fill after cancels: the dead ones left behind may then outnumber the one live order
@example(ops=[("add", 1), ("add", 1), ("churn", 1), ("churn", 8), ("churn", 60), ("take", 1)])
def test_cancels_adds_and_fills_keep_fifo_and_a_bounded_queue(
    ops: list[tuple[str, int]],
) -> None:
    """Against a plain list of the live orders: the same orders fill in the same order, the
    invariants hold, and dead entries stay bounded: a cancel leaves at most SLACK more dead
    than live ones, and placing or filling never adds any."""
    book = Book("X")
    live: list[Order] = []  # the model: resting orders, oldest first
    ids = itertools.count(1)
    dead_before = 0
    for op, arg in ops:
        if op == "add":
            o = order(next(ids), lots=arg)
            book.add(o)
            live.append(o)
        elif op == "cancel" and live:
            o = live.pop(arg % len(live))
            book.remove(o)
        elif op == "churn":  # orders placed and cancelled at once, behind the live ones
            for _ in range(arg):
                o = order(next(ids))
                book.add(o)
                book.remove(o)
        elif op == "take":
            before = [(o.order_id, o.remaining) for o in live]
            fills = book.match(Side.BUY, PRICE, arg, -1, 1)
            want, expect = arg, []
            for oid, remaining in before:  # oldest first, each as much as it has
                if want == 0:
                    break
                expect.append((oid, min(remaining, want)))
                want -= expect[-1][1]
            assert [(o.order_id, o.fill) for o in fills] == expect
            live = [o for o in live if o.remaining > 0]
        book.check()
        dead = 0
        if live:
            level = book.asks[PRICE]
            dead = len(level.orders) - level.head - level.count
            assert level.count == len(live)
            assert dead <= (level.count + SLACK if op in ("cancel", "churn") else dead_before)
            assert [o for o in level.orders[level.head :] if o.remaining > 0] == live
        else:
            assert PRICE not in book.asks
        dead_before = dead
