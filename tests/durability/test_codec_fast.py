"""The fast command decoders and the snapshot state codec agree with the generic ones."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openweex.domain.commands import CancelOrder, Command, PlaceBatch, PlaceOrder
from openweex.domain.values import Force, OrderType, Side
from openweex.storage import codec
from tests.durability.helpers import make_commands

ints = st.one_of(
    st.integers(min_value=0, max_value=10**15),
    st.integers(min_value=-(10**31), max_value=10**31),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1]),
)
text = st.one_of(st.text(max_size=12), st.sampled_from(["", "BTCUSDT_SPBL", "oid-1"]))
place = st.builds(
    PlaceOrder,
    ts=ints,
    uid=ints,
    symbol=text,
    side=st.sampled_from(Side),
    order_type=st.sampled_from(OrderType),
    force=st.sampled_from(Force),
    price=ints,
    quantity=ints,
    client_oid=text,
)
commands = st.one_of(
    place,
    st.builds(CancelOrder, ts=ints, uid=ints, symbol=text, order_id=ints, client_oid=text),
    st.builds(PlaceBatch, ts=ints, uid=ints, orders=st.lists(place, max_size=4).map(tuple)),
)


def generic(data: bytes) -> Command:
    return codec._decode_fields(json.loads(data.decode()))


def same_types(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return all(same_types(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(commands)
def test_fast_decoders_equal_the_generic_decoder(cmd: Command) -> None:
    data = codec.encode(cmd)
    assert data.isascii()
    fast = codec.decode(data)
    assert fast == cmd == generic(data)
    assert same_types(fast, cmd)


def test_real_streams_decode_identically() -> None:
    for cmd in make_commands(3000, 30):
        data = codec.encode(cmd)
        assert json.loads(data) == json.loads(
            codec._JSON_ENCODE((codec.COMMAND_TAGS[type(cmd)], *cmd))
        )
        assert same_types(codec.decode(data), cmd)


@given(
    st.recursive(
        st.one_of(st.integers(min_value=-(10**40), max_value=10**40), st.text(max_size=5)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=20,
    )
)
def test_state_codec_round_trips_plain_state(value: Any) -> None:
    assert codec.decode_state(codec.encode_state(value)) == value


def test_state_with_one_huge_int_encodes_the_rest_exactly_too() -> None:
    rows = [[1000 + i, 10001, 1, 2999999, 1000, "oid-é" if i == 7 else ""] for i in range(5000)]
    rows[4321][3] = 2**80  # one order whose amount is beyond 64 bits
    state = {
        "version": 3,
        "counters": [1, 2, 3],
        "inflow": [["USDT", 10**30], ["BTC", 5]],
        "books": {"BTCUSDT_SPBL": rows, "ETHUSDT_SPBL": []},
        "odd": [{"__tuple__": [2**70]}, {1: 2**65}, {"k": [1, 2]}],
    }
    data = codec.encode_state(state)
    assert codec.decode_state(data) == codec.decode_data(codec.encode_data(state))
    back = codec.decode_state(data)
    assert back["books"] == state["books"] and back["inflow"] == state["inflow"]
    assert back["odd"] == [{"__tuple__": [2**70]}, {1: 2**65}, {"k": [1, 2]}]
    assert json.loads(data)["counters"] == [1, 2, 3]  # plain JSON, like the orjson-only path
