"""``place_order`` when the transport fails, against the real server.

A wrapping transport fails the placement request in three ways: before sending (connect
refused), after the server got it (the answer is lost), and sent but never arrived. The SDK
then looks the order up by its clientOrderId on the real server.
"""

from __future__ import annotations

import pytest

from openweex.client import Client, ListenKeyNotFoundError, OrderPlacementError, TransportError
from tests.support.server import ServerProcess, User

from .helpers import BTC, FailingTransport, client_for

ORDERS = "/trade/orders"


def test_answer_lost_after_the_order_landed(live: ServerProcess, user: User) -> None:
    transport = FailingTransport(ORDERS, "lost")
    with client_for(live, user, transport=transport) as c:
        placed = c.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="lost-1")
        assert transport.failed == 1
        assert placed.client_order_id == "lost-1"
        assert [o.order_id for o in c.get_open_orders(BTC)] == [placed.order_id]
        c.cancel_order(BTC, placed.order_id)


def test_an_older_order_under_the_same_id_is_not_the_one_placed(
    live: ServerProcess, user: User
) -> None:
    """The lost placement was refused as a duplicate (43118): the order found by its
    clientOrderId is an older one, of another side and size, so it did not land."""
    with client_for(live, user) as c:
        old = c.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="reuse-1")
        c.cancel_order(BTC, old.order_id)
    transport = FailingTransport(ORDERS, "lost")
    with client_for(live, user, transport=transport) as c:
        with pytest.raises(OrderPlacementError) as info:
            c.place_order(BTC, "sell", "limit", "0.02", price="20000", client_order_id="reuse-1")
        assert transport.failed == 1
        assert info.value.landed is False and info.value.request_sent is True
        assert c.get_open_orders(BTC) == []


def test_a_lost_answer_of_a_market_order_finds_it(live: ServerProcess, user: User) -> None:
    transport = FailingTransport(ORDERS, "lost")
    with client_for(live, user, transport=transport) as c:
        placed = c.place_order(BTC, "buy", "market", "5", client_order_id="mkt-lost-1")
        assert transport.failed == 1 and placed.client_order_id == "mkt-lost-1"
        assert c.get_order(BTC, placed.order_id).order_type.value == "market"


def test_connect_failure_did_not_land(live: ServerProcess, user: User) -> None:
    transport = FailingTransport(ORDERS, "connect")
    with client_for(live, user, transport=transport) as c:
        with pytest.raises(OrderPlacementError) as info:
            c.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="conn-1")
        assert info.value.landed is False and info.value.request_sent is False
        assert c.get_open_orders(BTC) == []
        # the safe retry: the same clientOrderId
        placed = c.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="conn-1")
        c.cancel_order(BTC, placed.order_id)


def test_sent_but_not_found_did_not_land(live: ServerProcess, user: User) -> None:
    transport = FailingTransport(ORDERS, "drop")
    with client_for(live, user, transport=transport) as c:
        with pytest.raises(OrderPlacementError) as info:
            c.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="drop-1")
        assert info.value.landed is False and info.value.request_sent is True
        assert info.value.client_order_id == "drop-1"


def test_without_client_order_id_the_outcome_is_unknown(live: ServerProcess, user: User) -> None:
    transport = FailingTransport(ORDERS, "lost")
    with client_for(live, user, transport=transport) as c:
        with pytest.raises(OrderPlacementError) as info:
            c.place_order(BTC, "buy", "limit", "0.01", price="1000")
        assert info.value.landed is None
        assert len(c.get_open_orders(BTC)) == 1  # it did land: look before placing again
        c.cancel_order(BTC, c.get_open_orders(BTC)[0].order_id)


def test_cancel_transport_failure_is_a_plain_transport_error(
    live: ServerProcess, user: User
) -> None:
    transport = FailingTransport("/trade/cancel-order", "lost")
    with client_for(live, user, transport=transport) as c:
        placed = c.place_order(BTC, "buy", "limit", "0.01", price="1000")
        with pytest.raises(TransportError) as info:
            c.cancel_order(BTC, placed.order_id)
        assert not isinstance(info.value, OrderPlacementError)
        assert c.get_open_orders(BTC) == []  # it was cancelled; only the answer was lost


def test_server_down(user: User) -> None:
    dead = Client("http://127.0.0.1:9", user.api_key, user.secret, user.passphrase)
    with dead as c, pytest.raises(OrderPlacementError) as info:
        c.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="down-1")
    assert info.value.landed is False


def test_a_listen_key_closed_by_a_lost_answer_is_closed(live: ServerProcess, user: User) -> None:
    """The DELETE is repeated after its answer is lost; the repeat finds the key gone, which
    the lost attempt did: no error. A key that never existed is still an error."""
    with client_for(live, user) as c:
        key = c.create_listen_key()
    transport = FailingTransport("/userDataStream", "lost")
    with client_for(live, user, transport=transport) as c:
        c.close_listen_key(key)
        assert transport.failed == 1
        assert key not in c.get_listen_keys()
        with pytest.raises(ListenKeyNotFoundError):
            c.close_listen_key(key)
