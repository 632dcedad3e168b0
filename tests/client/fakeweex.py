"""A fake WEEX server for ``httpx.MockTransport``, written from the wire-compat rules alone.

It verifies every private request's signature with its own HMAC code (no SDK code is
imported), records every request, and answers from per-route scripts: a body, a status, a
callable, or an exception to raise (to simulate transport failures).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

API_KEY = "test-key"
API_SECRET = "test-secret"
PASSPHRASE = "test-pass"
NOW_MS = 1_700_000_000_000

PRIVATE_PREFIXES = ("/api/spot/v1/account/", "/api/spot/v1/trade/", "/api/v3/userDataStream")

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def envelope(
    data: Any, code: str = "00000", msg: str = "success", status: int = 200
) -> httpx.Response:
    body = {"code": code, "msg": msg, "requestTime": NOW_MS, "data": data}
    return httpx.Response(status, json=body)


def error(code: str, msg: str = "error", status: int = 400, **headers: str) -> httpx.Response:
    body = {"code": code, "msg": msg, "requestTime": NOW_MS, "data": None}
    return httpx.Response(status, json=body, headers=headers)


def raw(text: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=text.encode(), headers={"Content-Type": "application/json"}
    )


def expected_signature(secret: str, timestamp: str, method: str, target: str, body: bytes) -> str:
    message = timestamp.encode() + method.upper().encode() + target.encode() + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


@dataclass
class Seen:
    """One request as received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: httpx.Headers
    signed: bool


@dataclass
class FakeWeex:
    """Scriptable fake: ``on(method, path, *replies)``; the last reply repeats."""

    now_ms: int = NOW_MS
    seen: list[Seen] = field(default_factory=list)
    _scripts: dict[tuple[str, str], deque[Reply]] = field(
        default_factory=lambda: defaultdict(deque)
    )

    def on(self, method: str, path: str, *replies: Reply | str) -> FakeWeex:
        script = self._scripts[(method, path)]
        script.clear()
        for reply in replies:
            script.append(raw(reply) if isinstance(reply, str) else reply)
        return self

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if (s.method, s.path) == (method, path)]

    def _auth_failure(self, request: httpx.Request) -> httpx.Response | None:
        h = request.headers
        for name, code in (("ACCESS-KEY", "40001"), ("ACCESS-SIGN", "40002")):
            if not h.get(name):
                return error(code, f"missing {name}")
        if not h.get("ACCESS-TIMESTAMP"):
            return error("40003", "missing timestamp")
        if not h.get("ACCESS-PASSPHRASE"):
            return error("40011", "missing passphrase")
        if h["ACCESS-KEY"] != API_KEY:
            return error("40006", "Invalid ACCESS_KEY")
        if abs(int(h["ACCESS-TIMESTAMP"]) - self.now_ms) > 30_000:
            return error("40008", "The requested timestamp expired")
        target = request.url.raw_path.decode()
        want = expected_signature(
            API_SECRET, h["ACCESS-TIMESTAMP"], request.method, target, request.content
        )
        if not hmac.compare_digest(want, h["ACCESS-SIGN"]):
            return error("40009", "API verification failed")
        if h["ACCESS-PASSPHRASE"] != PASSPHRASE:
            return error("40012", "apikey/passphrase is incorrect")
        if request.method == "POST":
            if h.get("Content-Type") != "application/json":
                return error("40007", "Invalid Content-Type")
            json.loads(request.content)
        return None

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        signed = path.startswith(PRIVATE_PREFIXES)
        body = json.loads(request.content) if request.content else None
        query = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        self.seen.append(Seen(request.method, path, query, body, request.headers, signed))
        if signed:
            failure = self._auth_failure(request)
            if failure is not None:
                return failure
        script = self._scripts.get((request.method, path))
        if not script:
            return error("40404", f"no route {request.method} {path}", 404)
        reply = script.popleft() if len(script) > 1 else script[0]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        return reply(request)
