"""The base URL is checked when a client is made: only http:// and https:// URLs with a host."""

from __future__ import annotations

import pytest

from openweex.client import AsyncClient, Client

BAD = [
    "127.0.0.1:8080",
    "localhost:8080",
    "127.0.0.1",
    "ws://127.0.0.1:8080",
    "ftp://example.test",
    "http://",
    "https://:8080",
    "http://host:port",
    "http://host:99999",
    "http://[::1",
    "",
]


@pytest.mark.parametrize("url", BAD)
def test_a_bad_base_url_is_refused_at_construction(url: str) -> None:
    with pytest.raises(ValueError, match="must be an http:// or https:// URL with a host"):
        Client(url)


@pytest.mark.parametrize("url", BAD)
async def test_a_bad_base_url_is_refused_by_the_async_client(url: str) -> None:
    with pytest.raises(ValueError, match="must be an http:// or https:// URL with a host"):
        AsyncClient(url)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://api.weex.test/", "https://api.weex.test"),
        ("http://[::1]:8080/prefix/", "http://[::1]:8080/prefix"),
        ("HTTPS://API.WEEX.TEST", "HTTPS://API.WEEX.TEST"),
    ],
)
def test_a_good_base_url_is_kept_without_its_trailing_slash(url: str, kept: str) -> None:
    with Client(url) as client:
        assert client.base_url == kept


def test_the_message_names_the_url() -> None:
    with pytest.raises(ValueError, match=r"\(got '127\.0\.0\.1:8080'\)"):
        Client("127.0.0.1:8080", "key", "secret", "passphrase")
