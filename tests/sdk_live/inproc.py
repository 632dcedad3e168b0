"""The exchange in the test's own process and event loop: a Runtime in a temp dir, the app of
``openweex.server.build``, its journal flusher and WebSocket hub as tasks, and optionally
uvicorn on a loopback port (for WebSocket streams, which ASGITransport cannot carry)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from openweex.client import AsyncClient
from openweex.domain.markets import default_markets
from openweex.runtime import Runtime
from openweex.server import ServeOptions, bind, build
from tests.support.server import User

TOKEN = "inproc-token"
BASE_URL = "http://test"


@dataclass
class InProcess:
    """A running in-process exchange; ``url`` is set when uvicorn serves it."""

    runtime: Runtime
    api: Any
    app: Any
    url: str = ""

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    async def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(transport=self.transport(), base_url=BASE_URL) as http:
            r = await http.post(
                f"/admin/v1{path}", json=body or {}, headers={"X-Admin-Token": TOKEN}
            )
        payload = r.json()
        assert payload["code"] == "00000", payload
        return payload["data"]

    async def new_user(self, funds: dict[str, str]) -> User:
        uid = (await self.admin("/accounts"))["uid"]
        key = await self.admin("/api-keys", {"uid": uid, "passphrase": f"pass-{uid}"})
        for coin, amount in funds.items():
            await self.admin("/deposits", {"uid": uid, "coin": coin, "amount": amount})
        return User(uid, key["apiKey"], key["secretKey"], key["passphrase"])

    def client(self, user: User, **options: Any) -> AsyncClient:
        """An async SDK client: over uvicorn when it runs, else straight into the app."""
        if self.url:
            return AsyncClient(self.url, user.api_key, user.secret, user.passphrase, **options)
        return AsyncClient(
            BASE_URL,
            user.api_key,
            user.secret,
            user.passphrase,
            transport=self.transport(),
            **options,
        )


@contextlib.asynccontextmanager
async def in_process(data_dir: Path, *, http: bool = False) -> AsyncIterator[InProcess]:
    """Run the exchange in this event loop until the block ends."""
    runtime = Runtime.open(data_dir, default_markets())
    api, app = build(runtime, ServeOptions(data_dir=data_dir, rate_limits=False), TOKEN)
    exchange = InProcess(runtime, api, app)
    tasks = [asyncio.create_task(runtime.run()), asyncio.create_task(api.hub.run())]
    server: uvicorn.Server | None = None
    if http:
        sock = bind("127.0.0.1", 0)
        exchange.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
        while not server.started:
            await asyncio.sleep(0.01)
    try:
        yield exchange
    finally:
        if server is not None:
            server.should_exit = True
            await tasks[-1]
        await api.hub.close()
        await runtime.close()
        await asyncio.gather(*tasks[:2])
        await runtime.finish()
