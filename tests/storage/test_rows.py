"""Read-model rows made by position: a fill's bills as its Settlement's legs say."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openweex.domain.events import Settlement, settlement_legs
from openweex.storage.rows import amount, event_rows

COINS = {"BTCUSDT_SPBL": ("BTC", "USDT")}
amounts = st.integers(min_value=0, max_value=2**70)  # beyond 64 bits too


@st.composite
def settlements(draw: st.DrawFn) -> Settlement:
    taker = draw(st.integers(1, 3))
    maker = draw(st.sampled_from([taker, taker + 1]))  # self-trades too
    pay, get = draw(st.sampled_from([("USDT", "BTC"), ("BTC", "USDT")]))
    fees = st.one_of(st.just(0), amounts)
    return Settlement(
        draw(st.integers(0, 2**41)),
        taker,
        maker,
        pay,
        get,
        draw(amounts),
        draw(amounts),
        draw(fees),
        draw(fees),
        draw(st.sampled_from(["buy", "sell"])),
        draw(st.integers(1, 2**40)),
        *draw(st.lists(amounts, min_size=12, max_size=12)),
    )


@given(st.lists(settlements(), min_size=1, max_size=4))
def test_a_fills_bill_rows_are_its_legs_bills(fills: list[Settlement]) -> None:
    wanted = [
        (
            leg.bill_id,
            leg.uid,
            leg.coin,
            leg.group_type,
            leg.biz_type,
            amount(leg.bill_qty),
            amount(leg.balance_before),
            amount(leg.fee),
            leg.ts,
        )
        for s in fills
        for leg in settlement_legs(s)
    ]
    assert event_rows(fills, COINS)[2] == wanted
