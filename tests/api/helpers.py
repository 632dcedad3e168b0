"""In-process exchange for API tests: a Runtime in a temp dir, the ASGI app, an httpx client.

Requests are signed with the independent signer of ``tests/support/signing.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from openweex.api.app import Api, Settings, WeexApp, build_app
from openweex.domain.markets import default_markets
from openweex.runtime import Runtime
from tests.support.server import User
from tests.support.signing import signature

ADMIN_TOKEN = "inproc-admin-token"
ORDERS = "/api/spot/v1/trade/orders"


def auth_headers(
    user: User, method: str, path: str, query: str, body: bytes, ts: str | None = None
) -> dict[str, str]:
    ts = ts or str(time.time_ns() // 1_000_000)
    prehash = (ts + method + path + (f"?{query}" if query else "")).encode() + body
    return {
        "ACCESS-KEY": user.api_key,
        "ACCESS-SIGN": signature(user.secret, prehash),
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": user.passphrase,
    }


@dataclass
class InProc:
    """An exchange served in-process; ``await start()`` before use, ``await stop()`` after."""

    data_dir: Path
    settings: Settings = field(
        default_factory=lambda: Settings(admin_token=ADMIN_TOKEN, rate_limits=False)
    )
    clock: Any = None
    runtime: Runtime = field(init=False)
    app: WeexApp = field(init=False)
    http: httpx.AsyncClient = field(init=False)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> InProc:
        kwargs = {"clock": self.clock} if self.clock else {}
        self.runtime = Runtime.open(self.data_dir, default_markets(), **kwargs)
        self.app = build_app(self.runtime, self.settings)
        transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
        self.http = httpx.AsyncClient(transport=transport, base_url="http://test")
        self._task = asyncio.create_task(self.runtime.run())
        return self

    async def stop(self) -> None:
        await self.http.aclose()
        await self.runtime.close()
        if self._task is not None:
            await self._task
        await self.runtime.finish()

    @property
    def api(self) -> Api:
        return self.app.api

    async def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = await self.http.request(
            method, f"/admin/v1{path}", json=body or {}, headers={"X-Admin-Token": ADMIN_TOKEN}
        )
        payload = r.json()
        assert payload["code"] == "00000", payload
        return payload["data"]

    async def new_user(self, funds: dict[str, str] | None = None, **key_opts: Any) -> User:
        uid = (await self.admin("POST", "/accounts"))["uid"]
        key = await self.admin(
            "POST", "/api-keys", {"uid": uid, "passphrase": "pass-" + uid, **key_opts}
        )
        for coin, amount in (funds or {}).items():
            await self.admin("POST", "/deposits", {"uid": uid, "coin": coin, "amount": amount})
        return User(uid, key["apiKey"], key["secretKey"], key["passphrase"])

    async def call(
        self,
        user: User | None,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A request signed for ``user`` (unsigned when None); ``raw`` is sent as the body."""
        query = urlencode(params or {})
        content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        hdrs = auth_headers(user, method, path, query, content) if user else {}
        hdrs.update(headers or {})
        url = path + (f"?{query}" if query else "")
        return await self.http.request(method, url, content=content or None, headers=hdrs)

    async def ok(self, user: User | None, method: str, path: str, **kw: Any) -> Any:
        r = await self.call(user, method, path, **kw)
        payload = r.json()
        assert r.status_code == 200 and payload["code"] == "00000", payload
        return payload["data"]


def limit_order(side: str, price: str, qty: str, **extra: Any) -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT_SPBL",
        "side": side,
        "orderType": "limit",
        "force": "normal",
        "price": price,
        "quantity": qty,
        **extra,
    }
