"""A WEEX request signer written for the tests from the wire-compat rules alone.

It shares no code with the server or the SDK, so that a test using it checks the server
against the documented scheme, not against itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.support.server import User


def signature(secret: str, prehash: str | bytes) -> str:
    data = prehash if isinstance(prehash, bytes) else prehash.encode()
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


class SignedClient:
    """Minimal signing HTTP client: ``get(path, params)`` and ``post(path, body)``."""

    def __init__(self, base_url: str, user: User, client: httpx.Client | None = None) -> None:
        self.base_url = base_url
        self.user = user
        self.http = client or httpx.Client(base_url=base_url, timeout=30)

    def headers(
        self, method: str, path: str, query: str, body: bytes | str, ts: str | None = None
    ) -> dict[str, str]:
        ts = ts or str(time.time_ns() // 1_000_000)
        raw = body.encode() if isinstance(body, str) else body
        prehash = (ts + method.upper() + path + (f"?{query}" if query else "")).encode() + raw
        return {
            "ACCESS-KEY": self.user.api_key,
            "ACCESS-SIGN": signature(self.user.secret, prehash),
            "ACCESS-TIMESTAMP": ts,
            "ACCESS-PASSPHRASE": self.user.passphrase,
            "Content-Type": "application/json",
        }

    def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        query = urlencode(params or {})
        raw = b"" if body is None else json.dumps(body).encode()
        hdrs = self.headers(method, path, query, raw)
        url = path + (f"?{query}" if query else "")
        return self.http.request(method, url, content=raw or None, headers=hdrs)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body=body if body is not None else {}).json()
