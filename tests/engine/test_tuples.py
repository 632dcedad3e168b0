"""``tuples.make`` builds exactly what ``tuple.__new__`` builds, in both builds."""

from __future__ import annotations

import gc
import os
import weakref

import pytest

from openweex.domain.events import BalanceUpdate, Trade
from openweex.domain.values import Force, OrderType, Side
from openweex.engine import tuples
from openweex.engine.book import Order


def test_make_equals_tuple_new() -> None:
    items = (1, 2, "USDT", 10**22, 0, -5, 5, "ENTRUST_PLACE", 0, "", "", 0, 0, 0)
    got = tuples.make(BalanceUpdate, *items)
    assert type(got) is BalanceUpdate
    assert got == tuple.__new__(BalanceUpdate, items)
    assert got.available == 10**22 and got.reason == "ENTRUST_PLACE"
    assert got._replace(fee=7).fee == 7
    assert repr(got).startswith("BalanceUpdate(ts=1, uid=2, coin='USDT'")


def test_make_keeps_the_item_objects() -> None:
    big = 10**40
    t = tuples.make(
        Trade, 1, "BTCUSDT_SPBL", 7, 100, 2, big, Side.BUY, 1, 2, "", 3, 4, "", 0, 0, False
    )
    assert t.quote is big and t.taker_side is Side.BUY
    assert tuples.make(tuple) == ()


class _Box:
    item: object = None


def test_an_event_of_scalars_is_left_to_reference_counting_in_the_compiled_build() -> None:
    """Ints, strs, bools, None and IntEnum members cannot lead back to the tuple: the C
    version leaves such a tuple untracked by the garbage collector (the fallback keeps
    Python's own rules). Anything else keeps it tracked, so cycles through it are found."""
    event = tuples.make(
        Trade, 1, "BTCUSDT_SPBL", 7, 100, 2, 10**40, Side.BUY, 1, 2, "", 3, 4, None, 0, 0, True
    )
    assert gc.is_tracked(Side.BUY)  # an IntEnum member is tracked itself
    assert gc.is_tracked(event) is not tuples.compiled()
    box = _Box()
    holder = tuples.make(Trade, 1, box, 7, 100, 2, 0, Side.BUY, 1, 2, "", 3, 4, "", 0, 0, False)
    assert gc.is_tracked(holder)
    box.item = holder  # a cycle through the tuple
    ref = weakref.ref(box)
    del box, holder
    gc.collect()
    assert ref() is None  # collected: the tuple was tracked


def test_the_books_orders_are_left_to_reference_counting_in_the_compiled_build() -> None:
    order = Order(1, 10001, "BTCUSDT_SPBL", Side.BUY, OrderType.LIMIT, Force.NORMAL, 5, 1, "", 0)
    assert gc.is_tracked(order) is not tuples.compiled()
    if tuples.compiled():  # what makes that safe: the compiled class holds its attributes' types
        with pytest.raises(TypeError):
            order.symbol = [order]  # type: ignore[assignment]
    box = _Box()
    assert gc.is_tracked(box)
    tuples.untrack(box)
    assert gc.is_tracked(box) is not tuples.compiled()
    tuples.untrack(1)  # not a tracked kind of object: nothing to do


def test_make_wants_a_tuple_class() -> None:
    with pytest.raises(TypeError):
        tuples.make(list, 1, 2)  # type: ignore[type-var]


def test_the_compiled_build_has_the_c_version() -> None:
    if os.environ.get("OPENWEEX_EXPECT_COMPILED") == "1":
        assert tuples.compiled()
