"""Error mapping: every class of the tree, envelopes with HTTP 200, bare HTTP errors,
transport failures."""

from __future__ import annotations

import httpx
import pytest

from openweex.client import (
    ERROR_CODES,
    ApiError,
    AuthenticationError,
    Client,
    DuplicateClientOrderIdError,
    InsufficientBalanceError,
    InvalidParameterError,
    InvalidResponseError,
    ListenKeyLimitError,
    ListenKeyNotFoundError,
    OpenWeexError,
    OrderNotFoundError,
    OrderRejectedError,
    OrderType,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    Side,
    TransportError,
)
from openweex.client.errors import error_for

from .fakeweex import FakeWeex, error

ORDERS = "/api/spot/v1/trade/orders"
TIME = "/api/spot/v1/public/time"

EXPECTED: dict[type[ApiError], list[str]] = {
    AuthenticationError: [
        "40001",
        "40002",
        "40003",
        "40005",
        "40006",
        "40008",
        "40009",
        "40011",
        "40012",
    ],
    PermissionDeniedError: ["40013", "40014", "40016", "40018"],
    RateLimitError: ["429"],
    InvalidParameterError: (
        [
            "40007",
            "40017",
            "40019",
            "40102",
            "40305",
            "40409",
            "40704",
            "40707",
            "40724",
            "40912",
            "40913",
            "45110",
        ]
    ),
    InsufficientBalanceError: ["43012"],
    OrderNotFoundError: ["43001"],
    OrderRejectedError: ["43115", "43116", "43117"],
    DuplicateClientOrderIdError: ["43118"],
    ServerError: ["40015", "40200", "40725"],
    ListenKeyLimitError: ["40041"],
    ListenKeyNotFoundError: ["40042"],
}


def test_the_table_is_exactly_the_documented_mapping() -> None:
    flat = {code: cls for cls, codes in EXPECTED.items() for code in codes}
    assert dict(ERROR_CODES) == flat


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_envelope_error_raises_the_mapped_class(code: str, fake: FakeWeex, client: Client) -> None:
    status = 429 if code == "429" else 400
    fake.on("POST", ORDERS, error(code, f"message {code}", status))
    with pytest.raises(ERROR_CODES[code]) as info:
        client.place_order("BTCUSDT_SPBL", Side.BUY, OrderType.LIMIT, "1", price="1")
    err = info.value
    assert type(err) is ERROR_CODES[code]
    assert (err.code, err.msg, err.http_status) == (code, f"message {code}", status)
    assert isinstance(err, ApiError) and isinstance(err, OpenWeexError)


def test_error_code_with_http_200_still_raises(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", ORDERS, error("43012", "Insufficient balance", 200))
    with pytest.raises(InsufficientBalanceError) as info:
        client.place_order("BTCUSDT_SPBL", "buy", "limit", "1", price="1")
    assert info.value.http_status == 200


def test_message_key_and_spaced_code_key_are_read(fake: FakeWeex, client: Client) -> None:
    fake.on("GET", TIME, '{" code ": "40017", "message": "bad period", "data": null}')
    with pytest.raises(InvalidParameterError, match="bad period"):
        client.get_server_time()


def test_unknown_code_falls_back_on_http_status(fake: FakeWeex, client: Client) -> None:
    fake.on("GET", TIME, error("99999", "odd", 400))
    with pytest.raises(ApiError) as info:
        client.get_server_time()
    assert type(info.value) is ApiError and info.value.code == "99999"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, ApiError),
        (429, RateLimitError),
        (502, ServerError),
    ],
)
def test_bare_http_error_without_envelope(
    status: int, cls: type[ApiError], fake: FakeWeex, sleeps: list[float]
) -> None:
    fake.on("POST", ORDERS, httpx.Response(status, text="<html>nope</html>"))
    c = Client(
        "https://weex.test",
        "test-key",
        "test-secret",
        "test-pass",
        transport=fake.transport(),
        clock=lambda: 1_700_000_000_000,
    )
    with c, pytest.raises(cls) as info:
        c.place_order("BTCUSDT_SPBL", "buy", "limit", "1", price="1")
    assert type(info.value) is cls
    assert (info.value.code, info.value.http_status) == (str(status), status)
    assert "nope" in info.value.msg


def test_envelope_success_code_with_error_status(fake: FakeWeex, client: Client) -> None:
    fake.on("POST", ORDERS, httpx.Response(503, json={"code": "00000", "data": None}))
    with pytest.raises(ServerError) as info:
        client.place_order("BTCUSDT_SPBL", "buy", "limit", "1", price="1")
    assert info.value.http_status == 503


def test_non_json_success_is_an_invalid_response(fake: FakeWeex, client: Client) -> None:
    fake.on("GET", TIME, httpx.Response(200, text="hello"))
    with pytest.raises(InvalidResponseError):
        client.get_server_time()


def test_rate_limit_carries_retry_after() -> None:
    err = error_for("429", "slow down", 429, retry_after=1.5)
    assert isinstance(err, RateLimitError) and err.retry_after == 1.5


@pytest.mark.parametrize(
    ("exc", "sent"),
    [(httpx.ConnectError("refused"), False), (httpx.ReadTimeout("slow"), True)],
)
def test_transport_failures_become_transport_errors(
    exc: Exception, sent: bool, fake: FakeWeex, client: Client
) -> None:
    fake.on("GET", TIME, exc)
    with pytest.raises(TransportError) as info:
        client.get_server_time()
    assert info.value.request_sent is sent
    assert isinstance(info.value.__cause__, httpx.TransportError)


def test_unknown_enum_value_in_a_response(fake: FakeWeex, client: Client) -> None:
    reply = '{"code":"00000","data":[{"orderType":"limit","side":"up","status":"new"}]}'
    fake.on("POST", "/api/spot/v1/trade/open-orders", reply)
    with pytest.raises(InvalidResponseError, match="Side"):
        client.get_open_orders("BTCUSDT_SPBL")


def test_bad_request_arguments_raise_value_error(client: Client) -> None:
    with pytest.raises(ValueError):
        client.place_order("BTCUSDT_SPBL", "upwards", "limit", "1")
    with pytest.raises(TypeError):
        client.place_order("BTCUSDT_SPBL", "buy", "limit", 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.get_order("BTCUSDT_SPBL")
