"""Helpers of the live SDK tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from openweex.client import AsyncClient, Client, RetryPolicy
from tests.support.server import ServerProcess, User

BTC = "BTCUSDT_SPBL"
ETH = "ETHUSDT_SPBL"
NO_RETRY = RetryPolicy(max_retries=0)
T = TypeVar("T")


def client_for(srv: ServerProcess, user: User, **options: Any) -> Client:
    """A sync SDK client for ``user`` on ``srv``."""
    return Client(srv.url, user.api_key, user.secret, user.passphrase, **options)


def async_client_for(srv: ServerProcess, user: User, **options: Any) -> AsyncClient:
    """An async SDK client for ``user`` on ``srv``."""
    return AsyncClient(srv.url, user.api_key, user.secret, user.passphrase, **options)


def eventually(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll ``check`` until it returns something other than None/False."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


class FailingTransport(httpx.BaseTransport):
    """Forwards requests to a real transport, failing the chosen ones.

    ``mode`` for a request whose path ends with ``path``: ``"connect"`` raises ConnectError
    without sending; ``"lost"`` sends it and then raises ReadError (the answer is lost);
    ``"drop"`` raises ReadError without sending (sent, but never arrived).
    """

    def __init__(self, path: str, mode: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.path = path
        self.mode = mode
        self.failed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith(self.path) or self.failed:
            return self.inner.handle_request(request)
        self.failed += 1
        if self.mode == "connect":
            raise httpx.ConnectError("refused", request=request)
        if self.mode == "lost":
            response = self.inner.handle_request(request)
            response.read()
            response.close()
        raise httpx.ReadError("connection reset", request=request)

    def close(self) -> None:
        self.inner.close()
