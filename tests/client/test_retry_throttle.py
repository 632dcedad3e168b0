"""Retries (idempotent calls only), the place_order recovery check, and the throttle."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from openweex.client import (
    AsyncClient,
    Client,
    OrderPlacementError,
    PlacedOrder,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    Throttle,
    TransportError,
)

from .conftest import BASE_URL
from .fakeweex import API_KEY, API_SECRET, NOW_MS, PASSPHRASE, FakeWeex, envelope, error

SYM = "BTCUSDT_SPBL"
TIME = "/api/spot/v1/public/time"
ORDERS = "/api/spot/v1/trade/orders"
ORDER_INFO = "/api/spot/v1/trade/orderInfo"
OPEN_ORDERS = "/api/spot/v1/trade/open-orders"
CANCEL = "/api/spot/v1/trade/cancel-order"
ASSETS = "/api/spot/v1/account/assets"

FOUND = envelope(
    [
        {
            "orderId": "555",
            "clientOrderId": "cid-1",
            "orderType": "limit",
            "side": "buy",
            "price": "100.00",
            "quantity": "1",
            "status": "new",
        }
    ]
)


def _place(c: Client, client_order_id: str | None = "cid-1") -> PlacedOrder:
    return c.place_order(SYM, "buy", "limit", "1", price="100", client_order_id=client_order_id)


def test_idempotent_get_is_retried_on_429(
    fake: FakeWeex, client: Client, sleeps: list[float]
) -> None:
    fake.on("GET", TIME, error("429", "too frequent", 429), error("429", "x", 429), envelope(42000))
    assert client.get_server_time() == 42_000_000
    assert len(fake.calls("GET", TIME)) == 3
    assert sleeps == [0.01, 0.02]


def test_retry_after_is_honoured(fake: FakeWeex, client: Client, sleeps: list[float]) -> None:
    fake.on("GET", TIME, error("429", "slow", 429, **{"Retry-After": "1.5"}), envelope(1))
    client.get_server_time()
    assert sleeps == [1.5]


def test_read_only_post_is_retried_on_transport_error(
    fake: FakeWeex, client: Client, sleeps: list[float]
) -> None:
    fake.on("POST", OPEN_ORDERS, httpx.ReadTimeout("slow"), envelope([]))
    assert client.get_open_orders(SYM) == []
    assert len(fake.calls("POST", OPEN_ORDERS)) == 2 and len(sleeps) == 1


def test_retries_give_up_after_the_budget(fake: FakeWeex, client: Client) -> None:
    fake.on("GET", TIME, error("429", "too frequent", 429))
    with pytest.raises(RateLimitError):
        client.get_server_time()
    assert len(fake.calls("GET", TIME)) == 4  # 1 + max_retries (3)


def test_place_order_is_never_retried_on_429(
    fake: FakeWeex, client: Client, sleeps: list[float]
) -> None:
    fake.on("POST", ORDERS, error("429", "too frequent", 429), envelope({"orderId": "1"}))
    with pytest.raises(RateLimitError):
        _place(client)
    assert len(fake.calls("POST", ORDERS)) == 1 and sleeps == []


def test_cancel_is_not_retried_on_transport_error(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", CANCEL, httpx.ReadTimeout("slow"), envelope("1"))
    with pytest.raises(TransportError):
        client.cancel_order(SYM, "1")
    assert len(fake.calls("POST", CANCEL)) == 1


def test_place_order_transport_error_finds_the_order_by_client_id(
    fake: FakeWeex, client: Client
) -> None:
    fake.on("POST", ORDERS, httpx.ReadTimeout("response lost"))
    fake.on("POST", ORDER_INFO, FOUND)
    assert _place(client) == PlacedOrder(order_id="555", client_order_id="cid-1")
    assert len(fake.calls("POST", ORDERS)) == 1
    assert fake.calls("POST", ORDER_INFO)[0].body == {"symbol": SYM, "clientOrderId": "cid-1"}


@pytest.mark.parametrize(
    "not_found", [error("43001", "Order does not exist"), envelope([])], ids=["43001", "empty"]
)
def test_place_order_not_found_after_transport_error(
    not_found: httpx.Response, fake: FakeWeex, client: Client
) -> None:
    fake.on("POST", ORDERS, httpx.ReadTimeout("response lost"))
    fake.on("POST", ORDER_INFO, not_found)
    with pytest.raises(OrderPlacementError) as info:
        _place(client)
    assert info.value.landed is False and info.value.client_order_id == "cid-1"
    assert len(fake.calls("POST", ORDERS)) == 1


@pytest.mark.parametrize(
    "other", [{"side": "sell"}, {"orderType": "market"}, {"price": "101"}, {"quantity": "2"}]
)
def test_place_order_found_with_other_values_did_not_land(
    other: dict[str, str], fake: FakeWeex, client: Client
) -> None:
    """An order under the same clientOrderId but not the one sent is an older one."""
    [found] = FOUND.json()["data"]
    fake.on("POST", ORDERS, httpx.ReadTimeout("response lost"))
    fake.on("POST", ORDER_INFO, envelope([{**found, **other}]))
    with pytest.raises(OrderPlacementError) as info:
        _place(client)
    assert info.value.landed is False


def test_place_order_without_client_id_is_unknown(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", ORDERS, httpx.ReadTimeout("response lost"))
    with pytest.raises(OrderPlacementError) as info:
        _place(client, client_order_id=None)
    assert info.value.landed is None
    assert fake.calls("POST", ORDER_INFO) == []


def test_place_order_connect_error_did_not_land(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", ORDERS, httpx.ConnectError("refused"))
    with pytest.raises(OrderPlacementError) as info:
        _place(client)
    assert info.value.landed is False and info.value.request_sent is False
    assert fake.calls("POST", ORDER_INFO) == []


def test_place_order_check_failing_leaves_it_unknown(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", ORDERS, httpx.ReadTimeout("response lost"))
    fake.on("POST", ORDER_INFO, httpx.ReadTimeout("still down"))
    with pytest.raises(OrderPlacementError) as info:
        _place(client)
    assert info.value.landed is None
    assert len(fake.calls("POST", ORDER_INFO)) == 4  # the check itself is retried
    assert len(fake.calls("POST", ORDERS)) == 1


async def test_async_place_order_recovery(fake: FakeWeex, aclient: AsyncClient) -> None:
    fake.on("POST", ORDERS, httpx.RemoteProtocolError("peer closed"))
    fake.on("POST", ORDER_INFO, FOUND)
    placed = await aclient.place_order(
        SYM, "buy", "limit", "1", price="100", client_order_id="cid-1"
    )
    assert placed.order_id == "555"
    fake.on("POST", ORDERS, error("429", "too frequent", 429))
    with pytest.raises(RateLimitError):
        await aclient.place_order(SYM, "buy", "limit", "1", price="1")
    assert len(fake.calls("POST", ORDERS)) == 2


async def test_async_retry_on_429(
    fake: FakeWeex, aclient: AsyncClient, sleeps: list[float]
) -> None:
    fake.on("GET", ASSETS, error("429", "x", 429), envelope([]))
    assert await aclient.get_assets() == []
    assert sleeps == [0.01]


def test_retry_policy_backoff() -> None:
    policy = RetryPolicy(initial_backoff=0.5, multiplier=2.0, max_backoff=3.0, jitter=0.0)
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.delay(0, retry_after=2.5) == 2.5
    jittered = RetryPolicy(initial_backoff=1.0, jitter=0.5).delay(0)
    assert 1.0 <= jittered <= 1.5


def test_throttle_sliding_window() -> None:
    now = [100.0]
    throttle = Throttle(clock=lambda: now[0], margin=0.0)
    limit = RateLimit(3, 1.0)
    assert [throttle.reserve("a", limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.reserve("a", limit) == pytest.approx(1.0)
    assert throttle.reserve("a", limit) == pytest.approx(1.0)
    assert throttle.reserve("b", limit) == 0.0  # keys are independent
    now[0] = 100.5
    assert throttle.reserve("a", limit) == pytest.approx(0.5)
    now[0] = 103.0
    assert throttle.reserve("a", limit) == 0.0


def test_throttle_keeps_a_margin_beyond_the_window() -> None:
    # A server counting arrivals in the same sliding window must never see more than the
    # limit, even when a request arrives a little earlier than it was due.
    throttle = Throttle(clock=lambda: 100.0)
    limit = RateLimit(2, 1.0)
    waits = [throttle.reserve("a", limit) for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == waits[3] == pytest.approx(1.0 + Throttle.MARGIN)
    assert 0 < Throttle.MARGIN <= 0.1


def _throttled_client(fake: FakeWeex, now: list[float], sleeps: list[float]) -> Client:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    return Client(
        BASE_URL,
        API_KEY,
        API_SECRET,
        PASSPHRASE,
        transport=fake.transport(),
        throttle=Throttle(clock=lambda: now[0]),
        sleep=sleep,
        clock=lambda: NOW_MS,
    )


def test_client_throttles_by_the_contract_limits(fake: FakeWeex) -> None:
    now, sleeps = [0.0], list[float]()
    fake.on("GET", ASSETS, envelope([]))
    fake.on("GET", TIME, envelope(1))
    with _throttled_client(fake, now, sleeps) as c:
        for _ in range(11):
            c.get_assets()  # 10 requests / 1 s
        margin = Throttle.MARGIN
        assert sleeps == [pytest.approx(1.0 + margin)]
        for _ in range(21):
            c.get_server_time()  # 20 requests / 2 s, counted apart from assets
        assert sleeps == [pytest.approx(1.0 + margin), pytest.approx(2.0 + margin)]


def test_the_listen_key_methods_share_one_budget(fake: FakeWeex) -> None:
    """The server counts /api/v3/userDataStream per path, whatever the method (10 / 1 s)."""
    now, sleeps = [0.0], list[float]()
    uds = "/api/v3/userDataStream"
    fake.on("POST", uds, '{"listenKey": "k"}')
    fake.on("GET", uds, '{"listenKey": ["k"]}')
    with _throttled_client(fake, now, sleeps) as c:
        for _ in range(5):
            c.create_listen_key()
        for _ in range(5):
            c.get_listen_keys()
        assert sleeps == []
        c.get_listen_keys()  # the 11th of the path within the second
        assert sleeps == [pytest.approx(1.0 + Throttle.MARGIN)]


def test_throttle_is_off_by_default(fake: FakeWeex, client: Client, sleeps: list[float]) -> None:
    fake.on("GET", ASSETS, envelope([]))
    for _ in range(30):
        client.get_assets()
    assert sleeps == []


async def test_async_throttle_queues_concurrent_calls(fake: FakeWeex) -> None:
    fake.on("POST", "/api/spot/v1/trade/batch-orders", envelope({"resultList": []}))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with AsyncClient(
        BASE_URL,
        API_KEY,
        API_SECRET,
        PASSPHRASE,
        transport=fake.transport(),
        throttle=Throttle(clock=lambda: 0.0),
        sleep=sleep,
        clock=lambda: NOW_MS,
    ) as c:
        await asyncio.gather(*(c.place_batch_orders(SYM, []) for _ in range(12)))
    # batch-orders: 5 requests / 1 s; each wait a margin longer than the window needs
    m = Throttle.MARGIN
    assert sorted(sleeps) == pytest.approx([1.0 + m] * 5 + [2.0 + 2 * m] * 2)
