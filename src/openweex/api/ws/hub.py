"""WebSocket hub (minimal placeholder: accepts connections, answers PING)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


class Hub:
    def __init__(self, api: Any) -> None:
        self.api = api
        self._stop = asyncio.Event()

    def on_command(self, seq: int, cmd: Any, result: Any, events: list[Any]) -> None:
        return None

    async def run(self) -> None:
        await self._stop.wait()

    async def close(self) -> None:
        self._stop.set()

    async def endpoint(self, ws: WebSocket) -> None:
        await ws.accept()
        await ws.close()


def ws_route(hub: Hub) -> WebSocketRoute:
    return WebSocketRoute("/ws", hub.endpoint)
