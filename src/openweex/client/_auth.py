"""Request signing for private endpoints (WEEX v1 scheme), as an ``httpx.Auth``.

    ACCESS-SIGN = base64(HMAC_SHA256(secret,
                         timestamp + METHOD + requestPath + ("?" + query if any) + body))

``timestamp`` is Unix time in milliseconds (also sent as ACCESS-TIMESTAMP), METHOD is upper
case, requestPath and query are exactly what goes on the wire (the query as encoded by
httpx, in the order the parameters were given) and body is the raw request body ("" for
GET/PUT/DELETE without a body). The server rejects a timestamp more than 30 s away from its
clock; pass a ``clock`` to correct a skewed local clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Generator

import httpx


def now_ms() -> int:
    """The local clock in Unix milliseconds."""
    return time.time_ns() // 1_000_000


def prehash(timestamp: str, method: str, request_path: str, query: str, body: str) -> str:
    """The string to sign: timestamp + METHOD + path + ("?" + query if any) + body."""
    target = f"{request_path}?{query}" if query else request_path
    return f"{timestamp}{method.upper()}{target}{body}"


def sign(secret: str, message: str) -> str:
    """base64(HMAC-SHA256(secret, message))."""
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class WeexAuth(httpx.Auth):
    """Adds ACCESS-KEY, ACCESS-SIGN, ACCESS-TIMESTAMP and ACCESS-PASSPHRASE to a request."""

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        passphrase: str,
        *,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.api_key = api_key
        self._secret = secret_key
        self.passphrase = passphrase
        self.clock = clock

    def __repr__(self) -> str:
        return f"WeexAuth(api_key={self.api_key!r})"

    def headers_for(self, method: str, raw_target: str, body: str) -> dict[str, str]:
        """The four ACCESS-* headers for a request (``raw_target`` = path[?query])."""
        path, _, query = raw_target.partition("?")
        timestamp = str(self.clock())
        signature = sign(self._secret, prehash(timestamp, method, path, query, body))
        return {
            "ACCESS-KEY": self.api_key,
            "ACCESS-SIGN": signature,
            "ACCESS-TIMESTAMP": timestamp,
            "ACCESS-PASSPHRASE": self.passphrase,
        }

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raw_target = request.url.raw_path.decode("ascii")
        body = request.content.decode("utf-8")
        request.headers.update(self.headers_for(request.method, raw_target, body))
        yield request
