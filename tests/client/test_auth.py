"""Signing: the wire-compat example, headers, and a fake server that checks signatures with
its own HMAC code."""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal

import httpx
import pytest

from openweex.client import (
    AuthenticationError,
    Client,
    MissingCredentialsError,
    OrderType,
    Side,
)
from openweex.client._auth import WeexAuth, prehash, sign

from .fakeweex import API_KEY, API_SECRET, NOW_MS, PASSPHRASE, FakeWeex, expected_signature

# The exact example of wire-compat.md, "Authentication".
WIRE_EXAMPLE = "1591089508404GET/api/spot/v1/market/depth?symbol=btcusdt_spbl&limit=20"


def _hmac_b64(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_prehash_reproduces_the_wire_compat_example() -> None:
    got = prehash(
        "1591089508404", "get", "/api/spot/v1/market/depth", "symbol=btcusdt_spbl&limit=20", ""
    )
    assert got == WIRE_EXAMPLE


def test_auth_flow_signs_the_wire_compat_example() -> None:
    auth = WeexAuth("k", "s3cret", "pp", clock=lambda: 1591089508404)
    request = httpx.Request(
        "GET",
        "https://api.weex.test/api/spot/v1/market/depth",
        params={"symbol": "btcusdt_spbl", "limit": "20"},
    )
    signed = next(auth.auth_flow(request))
    assert signed.headers["ACCESS-TIMESTAMP"] == "1591089508404"
    assert signed.headers["ACCESS-SIGN"] == _hmac_b64("s3cret", WIRE_EXAMPLE)
    assert signed.headers["ACCESS-KEY"] == "k"
    assert signed.headers["ACCESS-PASSPHRASE"] == "pp"


def test_sign_is_base64_hmac_sha256() -> None:
    assert sign("secret", "message") == _hmac_b64("secret", "message")


def test_post_body_is_signed_as_sent(fake: FakeWeex, client: Client) -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": "00000", "data": {"orderId": "1"}})

    fake.on("POST", "/api/spot/v1/trade/orders", reply)
    client.place_order("BTCUSDT_SPBL", Side.SELL, OrderType.MARKET, Decimal("1.5"))
    request = seen[0]
    message_body = request.content
    assert message_body == (
        b'{"symbol":"BTCUSDT_SPBL","side":"sell","orderType":"market",'
        b'"force":"normal","quantity":"1.5"}'
    )
    want = expected_signature(
        API_SECRET, str(NOW_MS), "POST", "/api/spot/v1/trade/orders", message_body
    )
    assert request.headers["ACCESS-SIGN"] == want
    assert request.headers["Content-Type"] == "application/json"


def test_query_is_signed_as_encoded(fake: FakeWeex, client: Client) -> None:
    fake.on("PUT", "/api/v3/userDataStream", '{"listenKey":"a b/c"}')
    client.keep_alive_listen_key("a b/c")  # the fake verifies the raw encoded query
    assert fake.seen[0].query == {"listenKey": "a b/c"}


def test_get_has_no_content_type(fake: FakeWeex, client: Client) -> None:
    fake.on("GET", "/api/spot/v1/account/assets", '{"code":"00000","data":[]}')
    assert client.get_assets() == []
    headers = fake.seen[0].headers
    assert "Content-Type" not in headers
    assert headers["ACCESS-TIMESTAMP"] == str(NOW_MS)


def test_wrong_secret_is_rejected_by_the_fake(fake: FakeWeex) -> None:
    fake.on("GET", "/api/spot/v1/account/assets", '{"code":"00000","data":[]}')
    with (
        Client(
            "https://weex.test",
            API_KEY,
            "not-the-secret",
            PASSPHRASE,
            transport=fake.transport(),
            clock=lambda: NOW_MS,
        ) as c,
        pytest.raises(AuthenticationError) as info,
    ):
        c.get_assets()
    assert info.value.code == "40009"


def test_public_calls_need_no_credentials_and_private_ones_do(fake: FakeWeex) -> None:
    fake.on("GET", "/api/spot/v1/public/time", '{"code":"00000","data":1}')
    with Client("https://weex.test", transport=fake.transport()) as c:
        assert c.get_server_time() == 1000  # 1 is taken as seconds
        with pytest.raises(MissingCredentialsError):
            c.get_assets()
    assert [s.path for s in fake.seen] == ["/api/spot/v1/public/time"]
    assert "ACCESS-KEY" not in fake.seen[0].headers


def test_auth_repr_hides_the_secret() -> None:
    assert API_SECRET not in repr(WeexAuth(API_KEY, API_SECRET, PASSPHRASE))


def test_credentials_come_together() -> None:
    with pytest.raises(ValueError):
        Client("https://weex.test", API_KEY, API_SECRET)
    with Client("https://weex.test", throttle=True) as c:
        assert c.throttle is not None and c.auth is None
