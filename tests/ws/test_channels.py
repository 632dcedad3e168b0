"""Channel names and the listen key query parameter (no server needed)."""

from __future__ import annotations

import pytest

from openweex.api.ws.channels import Channel, Topic, parse_channel
from openweex.api.ws.session import listen_key
from openweex.domain.markets import default_markets

M = default_markets()


@pytest.mark.parametrize(
    ("text", "topic", "canonical"),
    [
        ("spot@private.orders.v3.api", Topic("spot@private.orders.v3.api"), None),
        (
            "spot@public.deals.v3.api@btcusdt",
            Topic("spot@public.deals.v3.api", "BTCUSDT_SPBL"),
            "spot@public.deals.v3.api@BTCUSDT",
        ),
        (
            "spot@public.deals.v3.api@BTCUSDT_spbl",
            Topic("spot@public.deals.v3.api", "BTCUSDT_SPBL"),
            "spot@public.deals.v3.api@BTCUSDT_SPBL",
        ),
        (
            "spot@public.kline.v3.api@ETHBTC@Week1",
            Topic("spot@public.kline.v3.api", "ETHBTC_SPBL", "Week1"),
            None,
        ),
        (
            "spot@public.kline.v3.api@ETHBTC@Hour8",
            Topic("spot@public.kline.v3.api", "ETHBTC_SPBL", "Hour8"),
            None,
        ),
        (
            "spot@public.kline.v3.api@BTCUSDT_SPBL@Month1",
            Topic("spot@public.kline.v3.api", "BTCUSDT_SPBL", "Month1"),
            None,
        ),
        (
            "spot@public.limit.depth.v3.api@SOLUSDT@20",
            Topic("spot@public.limit.depth.v3.api", "SOLUSDT_SPBL", "20"),
            None,
        ),
    ],
)
def test_valid_channels(text: str, topic: Topic, canonical: str | None) -> None:
    assert parse_channel(text, M) == Channel(topic, canonical or text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("spot@private.orders.v3.api@BTCUSDT", "unknown channel"),
        ("spot@public.deals.v3.api@BTCUSDT@Min1", "malformed"),
        ("spot@public.bookTicker.v3.api@DOGEUSDT", "unknown symbol"),
        ("spot@public.kline.v3.api@BTCUSDT@Hour2", "unknown kline interval"),
        ("spot@public.kline.v3.api@BTCUSDT@min1", "unknown kline interval"),
        ("spot@public.limit.depth.v3.api@BTCUSDT@50", "5, 10 or 20"),
        ("", "unknown channel"),
    ],
)
def test_invalid_channels(text: str, why: str) -> None:
    got = parse_channel(text, M)
    assert isinstance(got, str) and why in got


@pytest.mark.parametrize(
    ("query", "key"),
    [(b"", None), (b"listenKey=abc", "abc"), (b"listenkey=abc&x=1", "abc"), (b"listenKey=", "")],
)
def test_listen_key_parameter(query: bytes, key: str | None) -> None:
    assert listen_key({"type": "websocket", "query_string": query}) == key
