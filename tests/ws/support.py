"""Helpers for the WebSocket tests: a frame-collecting client and an in-process server.

``WsClient`` wraps a real ``websockets`` client connection. ``drain()`` is a barrier: it
sends a PING with a unique id and returns every push frame received before the PONG. Frames
caused by a REST call are queued on the server before that call's response is sent, so
after the response a ``drain()`` returns all of them, without sleeping.

``InProcessServer`` serves the app built by :func:`openweex.server.build` with uvicorn on a
free loopback port, in a thread with its own event loop, so that a test can inject a fake
runtime clock and WebSocket limits. By default it runs uvicorn's own WebSocket protocol, so
frames go through the ASGI ``send``; with ``direct=True`` it runs the server's protocol
(:func:`openweex.api.ws.fastpath.server_options`), which writes frames to the transports.
It offers the same ``admin``/``new_user`` helpers as
:class:`tests.support.server.ServerProcess`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from openweex.api.app import Api
from openweex.api.ws.conn import WsConfig
from openweex.api.ws.fastpath import server_options
from openweex.domain.markets import default_markets
from openweex.runtime import Runtime
from openweex.server import ServeOptions, bind, build
from tests.support.server import ADMIN_TOKEN, ServerProcess, User
from tests.support.signing import SignedClient

TIMEOUT = 5.0
# Run a test with frames written straight to the transports and through the ASGI send.
PATHS = pytest.mark.parametrize("direct", [True, False], ids=["direct", "asgi"])
_ids = itertools.count(1)

PRIVATE = [
    "spot@private.orders.v3.api",
    "spot@private.deals.v3.api",
    "spot@private.account.v3.api",
]


def loads(text: str | bytes) -> Any:
    """JSON with exact decimals (so ``0.5`` compares equal to ``Decimal("0.5")``)."""
    return json.loads(text, parse_float=Decimal)


class WsClient:
    """A connected client collecting push frames (see the module docstring)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.pending: list[Any] = []  # push frames seen while waiting for a reply

    @classmethod
    async def open(cls, url: str, key: str | None = None, **kwargs: Any) -> WsClient:
        full = url if key is None else f"{url}?listenKey={key}"
        ws = await connect(full, open_timeout=TIMEOUT, **kwargs)
        return cls(ws)

    async def close(self) -> None:
        await self.ws.close()

    async def send(self, msg: Any) -> None:
        await self.ws.send(msg if isinstance(msg, str) else json.dumps(msg))

    async def recv(self, timeout: float = TIMEOUT) -> Any:
        return loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def request(self, method: str, params: list[str] | None = None, **extra: Any) -> Any:
        msg: dict[str, Any] = {"method": method, **extra}
        if params is not None:
            msg["params"] = params
        await self.send(msg)
        return await self.reply()

    async def reply(self, timeout: float = TIMEOUT) -> Any:
        """The next reply (``id``/``code``/``msg``); push frames meanwhile are kept."""
        while True:
            frame = await self.recv(timeout)
            if "c" not in frame:
                return frame
            self.pending.append(frame)

    async def subscribe(self, *channels: str) -> None:
        reply = await self.request("SUBSCRIPTION", list(channels))
        assert reply == {"id": 0, "code": 0, "msg": ",".join(channels)}, reply

    async def drain(self, timeout: float = TIMEOUT) -> list[Any]:
        """Every push frame received until the answer to a fresh PING."""
        rid = f"barrier-{next(_ids)}"
        await self.send({"method": "PING", "id": rid})
        got, self.pending = self.pending, []
        while True:
            frame = await self.recv(timeout)
            if frame.get("id") == rid:
                assert frame == {"id": rid, "code": 0, "msg": "PONG"}, frame
                return got
            got.append(frame)

    async def closed_with(self, timeout: float = TIMEOUT) -> tuple[list[Any], int | None]:
        """Read until the server closes: ``(frames received, close code)``."""
        got: list[Any] = []
        try:
            while True:
                got.append(loads(await asyncio.wait_for(self.ws.recv(), timeout)))
        except ConnectionClosed as exc:
            return got, exc.rcvd.code if exc.rcvd is not None else None


_clients: dict[str, httpx.Client] = {}


def http(base_url: str) -> httpx.Client:
    """One shared HTTP client per server (making a client costs ~0.1 s)."""
    client = _clients.get(base_url)
    if client is None:
        client = _clients[base_url] = httpx.Client(base_url=base_url, timeout=30)
    return client


def new_user(server: ServerProcess, funds: dict[str, str] | None = None) -> User:
    """Like ``ServerProcess.new_user``, over the shared client."""

    def admin(path: str, body: dict[str, Any]) -> Any:
        r = http(server.url).post(f"/admin/v1{path}", json=body, headers=headers)
        assert r.json()["code"] == "00000", r.text
        return r.json()["data"]

    headers = {"X-Admin-Token": server.admin_token}
    uid = admin("/accounts", {})["uid"]
    key = admin("/api-keys", {"uid": uid, "passphrase": f"pass-{uid}"})
    for coin, amount in (funds or {}).items():
        admin("/deposits", {"uid": uid, "coin": coin, "amount": amount})
    return User(uid, key["apiKey"], key["secretKey"], key["passphrase"])


class RestUser:
    """A user with a signing REST client and listen-key helpers."""

    def __init__(
        self, server: ServerProcess, funds: dict[str, str] | None = None, user: User | None = None
    ) -> None:
        self.user = user or new_user(server, funds)
        self.rest = SignedClient(server.url, self.user, http(server.url))

    def order(self, **fields: str) -> str:
        body = {"symbol": "BTCUSDT_SPBL", "force": "normal", **fields}
        r = self.rest.post("/api/spot/v1/trade/orders", body)
        assert r["code"] == "00000", r
        return str(r["data"]["orderId"])

    def order_raw(self, **fields: str) -> Any:
        body = {"symbol": "BTCUSDT_SPBL", "force": "normal", **fields}
        return self.rest.post("/api/spot/v1/trade/orders", body)

    def cancel(self, order_id: str) -> None:
        body = {"symbol": "BTCUSDT_SPBL", "orderId": order_id}
        r = self.rest.post("/api/spot/v1/trade/cancel-order", body)
        assert r["code"] == "00000", r

    def info(self, order_id: str) -> Any:
        return self.rest.post("/api/spot/v1/trade/orderInfo", {"orderId": order_id})["data"][0]

    def listen_key(self) -> str:
        r = self.rest.request("POST", "/api/v3/userDataStream", body={})
        assert r.status_code == 200, r.text
        return str(r.json()["listenKey"])

    def keys(self, method: str, key: str | None = None) -> Any:
        params = None if key is None else {"listenKey": key}
        r = self.rest.request(method, "/api/v3/userDataStream", params=params)
        return r.status_code, r.json()


class AsyncRest:
    """A signing REST client on ``httpx.AsyncClient``, for concurrent requests in a test."""

    def __init__(self, server: ServerProcess, user: User) -> None:
        self.signer = SignedClient(server.url, user, http(server.url))
        self.http = httpx.AsyncClient(base_url=server.url, timeout=30, verify=False)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        raw = json.dumps(body).encode()
        r = await self.http.post(
            path, content=raw, headers=self.signer.headers("POST", path, "", raw)
        )
        return r.json()

    async def get(self, path: str, params: dict[str, str]) -> Any:
        return (await self.http.get(path, params=params)).json()

    async def close(self) -> None:
        await self.http.aclose()


class RawSubscriber:
    """A WebSocket client on a bare socket that subscribes and then does not read.

    Its receive buffer is made small, so the server's queue for it fills up quickly.
    """

    def __init__(self, url: str, path: str, params: list[str], rcvbuf: int = 4096) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((host, int(port)))
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        payload = json.dumps({"method": "SUBSCRIPTION", "params": params}).encode()
        mask = b"\x01\x02\x03\x04"
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert len(payload) < 65536
        size = (
            bytes([0x80 | len(payload)])
            if len(payload) < 126
            else b"\xfe" + len(payload).to_bytes(2, "big")
        )
        self.sock.sendall(b"\x81" + size + mask + masked)

    def read_to_end(self) -> list[tuple[int, bytes]]:
        """The frames ``(opcode, payload)`` the server still sends until it hangs up.

        A close frame is answered (as a client must), which lets the server hang up at once.
        """
        data = b""
        frames: list[tuple[int, bytes]] = []
        while chunk := self.sock.recv(65536):
            data += chunk
            while (frame := _next_frame(data)) is not None:
                opcode, payload, data = frame
                frames.append((opcode, payload))
                if opcode == 8:
                    self.sock.sendall(b"\x88\x80\x00\x00\x00\x00")  # empty masked close
        self.sock.close()
        assert data == b"", "the server cut a frame"
        return frames


def _next_frame(data: bytes) -> tuple[int, bytes, bytes] | None:
    """``(opcode, payload, rest)`` of the first complete unmasked frame in ``data``."""
    if len(data) < 2:
        return None
    size, i = data[1] & 0x7F, 2
    if size >= 126:
        width = 2 if size == 126 else 8
        if len(data) < i + width:
            return None
        size, i = int.from_bytes(data[i : i + width], "big"), i + width
    if len(data) < i + size:
        return None
    return data[0] & 0x0F, data[i : i + size], data[i + size :]


class FakeClock:
    """A runtime clock the test moves by hand (ms)."""

    def __init__(self, start: int) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


@dataclass
class InProcessServer(ServerProcess):
    clock: Callable[[], int] | None = None
    ws_config: WsConfig | None = None
    sndbuf: int | None = None  # SO_SNDBUF of accepted sockets (a small one: a slow path)
    direct: bool = False  # the server's own WebSocket protocol (frames written directly)
    ws_options: dict[str, Any] = field(default_factory=dict)  # more uvicorn.Config settings
    api: Api | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _server: uvicorn.Server | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: list[BaseException] = field(default_factory=list)

    def start(self, timeout: float = 30.0) -> InProcessServer:
        self._thread = threading.Thread(target=self._run, name="openweex-test", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error:
            raise RuntimeError(f"in-process server did not start: {self._error}")
        return self

    def stop(self, sig: int = 0, timeout: float = 30.0) -> int:
        if self._thread is None:
            return 0
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(setattr, self._server, "should_exit", True)
        self._thread.join(timeout)
        self._thread = None
        return 0

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the server's event loop and return its result."""
        assert self._loop is not None

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(TIMEOUT)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error.append(exc)
            self._ready.set()

    async def _main(self) -> None:
        opts: dict[str, Any] = {"snapshot_every": 1_000_000}
        if self.clock is not None:
            opts["clock"] = self.clock
        runtime = Runtime.open(self.data_dir, default_markets(), **opts)
        serve = ServeOptions(data_dir=self.data_dir, rate_limits=False, access_log=False)
        api, app = build(runtime, serve, self.admin_token)
        if self.ws_config is not None:
            api.hub.config = self.ws_config
        self.api = api
        sock = bind("127.0.0.1", 0)
        if self.sndbuf is not None:  # inherited by accepted sockets; stops autotuning
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        options = (server_options() if self.direct else {}) | self.ws_options
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            **options,
        )
        server = uvicorn.Server(config)
        self._server, self._loop = server, asyncio.get_running_loop()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(runtime.run())
            tg.create_task(api.hub.run())
            serving = tg.create_task(server.serve(sockets=[sock]))
            while not server.started and not serving.done():
                await asyncio.sleep(0.01)
            self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            self._ready.set()
            await serving
            await api.hub.close()
            await runtime.close()
        sock.close()
        await runtime.finish()


def in_process(data_dir: Path, **kwargs: Any) -> InProcessServer:
    return InProcessServer(data_dir, admin_token=ADMIN_TOKEN, **kwargs).start()
