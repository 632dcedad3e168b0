from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openweex.domain.commands import (
    COMMAND_TAGS,
    CancelBatch,
    CancelOrder,
    Command,
    CreateAccount,
    CreateApiKey,
    CreateListenKey,
    DeleteListenKey,
    Deposit,
    KeepAliveListenKey,
    PlaceBatch,
    PlaceOrder,
    SetUserFrozen,
    Transfer,
    Withdraw,
)
from openweex.domain.values import Force, OrderType, Side
from openweex.storage import codec

ints = st.integers(min_value=-(10**31), max_value=10**31)
small = st.integers(min_value=0, max_value=2**63)
text = st.text(max_size=20)
strs = st.lists(text, max_size=4).map(tuple)

place_order = st.builds(
    PlaceOrder,
    ts=small,
    uid=small,
    symbol=text,
    side=st.sampled_from(Side),
    order_type=st.sampled_from(OrderType),
    force=st.sampled_from(Force),
    price=ints,
    quantity=ints,
    client_oid=text,
)

STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {
    CreateAccount: st.builds(CreateAccount, ts=small),
    CreateApiKey: st.builds(
        CreateApiKey,
        ts=small,
        uid=small,
        api_key=text,
        secret=text,
        passphrase=text,
        permissions=strs,
        ip_whitelist=strs,
    ),
    SetUserFrozen: st.builds(SetUserFrozen, ts=small, uid=small, frozen=st.booleans()),
    Deposit: st.builds(Deposit, ts=small, uid=small, coin=text, amount=ints),
    Withdraw: st.builds(Withdraw, ts=small, uid=small, coin=text, amount=ints),
    Transfer: st.builds(
        Transfer, ts=small, uid=small, coin=text, amount=ints, from_type=text, to_type=text
    ),
    PlaceOrder: place_order,
    PlaceBatch: st.builds(
        PlaceBatch, ts=small, uid=small, orders=st.lists(place_order, max_size=5).map(tuple)
    ),
    CancelOrder: st.builds(
        CancelOrder, ts=small, uid=small, symbol=text, order_id=small, client_oid=text
    ),
    CancelBatch: st.builds(
        CancelBatch,
        ts=small,
        uid=small,
        symbol=text,
        order_ids=st.lists(small, max_size=6).map(tuple),
    ),
    CreateListenKey: st.builds(CreateListenKey, ts=small, uid=small, key=text),
    KeepAliveListenKey: st.builds(KeepAliveListenKey, ts=small, uid=small, key=text),
    DeleteListenKey: st.builds(DeleteListenKey, ts=small, uid=small, key=text),
}


def test_every_command_type_has_a_strategy() -> None:
    assert set(STRATEGIES) == set(COMMAND_TAGS)


def assert_same(a: Any, b: Any) -> None:
    """Equal, and of the same types all the way down."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


@given(st.one_of(*STRATEGIES.values()))
def test_command_round_trip(cmd: Command) -> None:
    data = codec.encode(cmd)
    assert isinstance(data, bytes)
    back = codec.decode(data)
    assert back == cmd
    assert_same(back, cmd)


def test_known_encoding_is_stable() -> None:
    cmd = PlaceOrder(
        1700000000000, 12, "BTCUSDT", Side.SELL, OrderType.LIMIT, Force.IOC, 65, 3, "o"
    )
    data = b'[7,1700000000000,12,"BTCUSDT",2,1,3,65,3,"o"]'
    assert codec.encode(cmd) == data
    back = codec.decode(data)
    assert isinstance(back, PlaceOrder)
    assert back.side is Side.SELL and back.force is Force.IOC
    batch = PlaceBatch(1, 2, (cmd,))
    assert codec.decode(codec.encode(batch)) == batch
    assert codec.decode_command(codec.encode_command(batch)) == batch


@pytest.mark.parametrize(
    "data",
    [
        b"[99,1]",
        b"[0]",
        b"[]",
        b"{}",
        b"7",
        b'"x"',
        b"[true,1]",
        b"[1]",
        b"[1,2,3]",
        b'[7,1,2,3,9,1,1,1,1,"x"]',  # no Side 9
        b'[10,1,2,"s",5]',  # order_ids is not a list
        b"[8,1,2,[[1]]]",
        b"not json",
        b"\xff\xfe",
    ],
)
def test_malformed_input_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        codec.decode(data)


def test_encode_rejects_non_commands() -> None:
    with pytest.raises(TypeError):
        codec.encode((1, 2))  # type: ignore[arg-type]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
plain = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(), st.text(max_size=3)), inner, max_size=4),
    ),
    max_leaves=30,
)


@given(plain)
def test_plain_data_round_trip(value: Any) -> None:
    back = codec.decode_data(codec.encode_data(value))
    assert_same(back, value)


def test_plain_data_special_cases() -> None:
    value = {
        1: "int key",
        (2, "x"): [1, (2, 3)],
        "__tuple__": "not a marker",
        "nested": {"__map__": 1},
    }
    assert_same(codec.decode_data(codec.encode_data(value)), value)
    assert codec.encode_data({"a": [1, None, True]}) == b'{"a":[1,null,true]}'
    assert codec.decode_data(codec.encode_data(Side.BUY)) == 1
    with pytest.raises(TypeError):
        codec.encode_data({1.5j})
    with pytest.raises(ValueError):
        codec.encode_data(float("nan"))
    with pytest.raises(ValueError):
        codec.decode_data(b"{")
