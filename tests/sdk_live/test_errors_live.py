"""Every error class of the SDK, as produced by the real server."""

from __future__ import annotations

import asyncio
import time

import pytest

from openweex.client import (
    ApiError,
    AsyncClient,
    AuthenticationError,
    Client,
    DuplicateClientOrderIdError,
    InsufficientBalanceError,
    InvalidParameterError,
    MissingCredentialsError,
    OrderNotFoundError,
    OrderRejectedError,
    OrderStatus,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
)
from tests.support.server import ServerProcess, User

from .helpers import BTC, NO_RETRY, client_for


def _code(exc: pytest.ExceptionInfo[ApiError]) -> str:
    return exc.value.code


def test_authentication_errors(live: ServerProcess, user: User) -> None:
    cases = [
        (Client(live.url, user.api_key, "wrong-secret", user.passphrase), "40009"),
        (Client(live.url, "unknown-key", user.secret, user.passphrase), "40006"),
        (Client(live.url, user.api_key, user.secret, "wrong-passphrase"), "40012"),
        (client_for(live, user, clock=lambda: time.time_ns() // 1_000_000 - 60_000), "40008"),
    ]
    for c, code in cases:
        with c, pytest.raises(AuthenticationError) as info:
            c.get_assets()
        assert _code(info) == code, info.value
        assert info.value.http_status in (400, 401, 403)


def test_missing_credentials_are_caught_before_sending(live: ServerProcess) -> None:
    with Client(live.url) as c, pytest.raises(MissingCredentialsError):
        c.get_assets()


def test_read_only_key_cannot_trade(live: ServerProcess) -> None:
    reader = live.new_user({"USDT": "100"}, permissions=["SPOT_ACCOUNT_R"])
    with client_for(live, reader) as c:
        assert c.get_assets()
        with pytest.raises(PermissionDeniedError) as info:
            c.place_order(BTC, "buy", "limit", "0.001", price="1000")
    assert _code(info) == "40014"


def test_ip_whitelist(live: ServerProcess) -> None:
    elsewhere = live.new_user({"USDT": "100"}, ipWhitelist=["10.9.8.7"])
    with client_for(live, elsewhere) as c, pytest.raises(PermissionDeniedError) as info:
        c.get_assets()
    assert _code(info) == "40018"


def test_frozen_user(live: ServerProcess, user: User, client: Client) -> None:
    live.admin("POST", f"/accounts/{user.uid}/freeze")
    try:
        with pytest.raises(PermissionDeniedError) as info:
            client.get_assets()
        assert _code(info) == "40013"
    finally:
        live.admin("POST", f"/accounts/{user.uid}/unfreeze")
    assert client.get_assets()


def test_order_errors(client: Client) -> None:
    with pytest.raises(InsufficientBalanceError) as balance:
        client.place_order(BTC, "buy", "limit", "1000", price="30000")
    assert _code(balance) == "43012"
    with pytest.raises(OrderNotFoundError) as missing:
        client.cancel_order(BTC, "123456789")
    assert _code(missing) == "43001"
    with pytest.raises(OrderNotFoundError):
        client.get_order(BTC, "123456789")
    client.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="dup-1")
    with pytest.raises(DuplicateClientOrderIdError) as duplicate:
        client.place_order(BTC, "buy", "limit", "0.01", price="1000", client_order_id="dup-1")
    assert _code(duplicate) == "43118"


def test_rejections_by_the_matching_rules(client: Client, counterparty: Client) -> None:
    counterparty.place_order(BTC, "sell", "limit", "0.01", price="41000")
    with pytest.raises(OrderRejectedError) as post_only:
        client.place_order(BTC, "buy", "limit", "0.01", price="41000", force="post_only")
    assert _code(post_only) == "43115"
    with pytest.raises(OrderRejectedError) as fok:
        client.place_order(BTC, "buy", "limit", "1", price="41000", force="fok")
    assert _code(fok) == "43116"
    # A market order on an empty book is accepted and ends cancelled (43117 is not used).
    placed = client.place_order("SOLUSDT_SPBL", "buy", "market", "10")
    assert client.get_order("SOLUSDT_SPBL", placed.order_id).status is OrderStatus.CANCELLED


def test_invalid_parameters(client: Client) -> None:
    with pytest.raises(InvalidParameterError) as symbol:
        client.place_order("NOPE_SPBL", "buy", "limit", "1", price="1")
    assert _code(symbol) == "40102"
    with pytest.raises(InvalidParameterError):
        client.place_order(BTC, "buy", "limit", "0.01", price="1000.123456789")
    with pytest.raises(InvalidParameterError):
        client.place_order(BTC, "buy", "limit", "0.00000001", price="1000")


async def test_rate_limit(limited_server: ServerProcess) -> None:
    """A burst over the contract's limit (depth: 20 per second) is refused with 429; with
    the default retry policy the same burst goes through, only slower."""
    async with AsyncClient(limited_server.url, retry=NO_RETRY) as c:
        answers = await asyncio.gather(
            *(c.get_depth(BTC) for _ in range(60)), return_exceptions=True
        )
    refused = [a for a in answers if isinstance(a, BaseException)]
    assert refused and all(isinstance(a, RateLimitError) for a in refused), refused[:1]
    assert isinstance(refused[0], RateLimitError)
    assert (refused[0].code, refused[0].http_status) == ("429", 429)
    assert refused[0].retry_after == 1.0  # the server's Retry-After (a 1 s window)
    patient = RetryPolicy(max_retries=8, initial_backoff=0.2, max_backoff=1.0)
    async with AsyncClient(limited_server.url, retry=patient) as c:
        books = await asyncio.gather(*(c.get_depth(BTC) for _ in range(30)))
    assert len(books) == 30


async def test_a_throttled_client_is_never_refused(limited_server: ServerProcess) -> None:
    """The SDK's throttle and the server count the same window: a throttled client sending
    as fast as it may (10 orders/s) never gets a 429, even without retries."""
    user = limited_server.new_user({"USDT": "1000"})
    with client_for(limited_server, user, throttle=True, retry=NO_RETRY) as c:
        started = time.monotonic()
        for _ in range(22):
            c.place_order(BTC, "buy", "limit", "0.001", price="1000")
        took = time.monotonic() - started
        assert len(c.get_open_orders(BTC)) == 22
    assert took >= 2.0  # it did wait: the third window began 2 s after the first
