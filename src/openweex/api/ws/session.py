"""The ``/ws`` endpoint: one ASGI session per connection, with a reader and a writer task.

Protocol (text frames of JSON):

* ``{"method": "SUBSCRIPTION", "params": [channel, ...], "id": 7}``: subscribe to all the
  channels or, if one is invalid, none; ack ``{"id": 7, "code": 0, "msg": "<params
  comma-joined>"}``. Subscribing again to a channel already subscribed is a no-op (acked).
* ``{"method": "UNSUBSCRIPTION", "params": [...]}``: likewise; channels that were not
  subscribed are ignored.
* ``{"method": "PING"}``: ``{"id": 0, "code": 0, "msg": "PONG"}``. Method names match in
  any case (``ping``, ``Subscription``); a bare ``ping`` text frame is also answered.
* Anything else (not JSON, not an object, no or an unknown method, params not a non-empty
  list of strings) gets an error reply (codes in :mod:`.frames`); the connection stays.

Each connection runs a reader (requests -> replies, subscription changes, all synchronous on
the event loop) and a writer in a ``TaskGroup`` that lives inside the endpoint; when either
ends the other is cancelled. When the server offers a frame sink
(:mod:`~openweex.api.ws.fastpath`), frames are written directly by whoever pushes them and
the writer only waits for the close; otherwise the writer sends the queued frames in order
through the ASGI ``send``. A closed connection gets, if the server closed it and the client
is still there, a notice and a close frame, each bounded by ``WsConfig.close_timeout_s`` (a
client that never reads cannot hold the endpoint).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson
from starlette.types import Receive, Scope, Send

from openweex.api.ws import frames
from openweex.api.ws.conn import Conn
from openweex.api.ws.fastpath import sink_of

if TYPE_CHECKING:
    from openweex.api.ws.hub import Hub


def listen_key(scope: Scope) -> str | None:
    """The ``listenKey`` query parameter, name in any case (None when absent)."""
    raw: bytes = scope.get("query_string", b"")
    query = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
    for name, values in query.items():
        if name.lower() == "listenkey":
            return values[0]
    return None


def _request_id(req: dict[str, Any]) -> Any:
    rid = req.get("id", 0)
    if isinstance(rid, bool) or not isinstance(rid, int | str):
        return 0
    return rid


def handle_request(hub: Hub, conn: Conn, text: str) -> None:
    """Answer one client message (see the module docstring)."""
    try:
        req = orjson.loads(text)
    except orjson.JSONDecodeError:
        if text.strip().lower() == "ping":
            conn.push(frames.reply(0, frames.OK, "PONG"))
        else:
            conn.push(frames.reply(0, frames.BAD_REQUEST, "malformed message: not JSON"))
        return
    if not isinstance(req, dict):
        conn.push(frames.reply(0, frames.BAD_REQUEST, "malformed message: not a JSON object"))
        return
    rid = _request_id(req)
    method = req.get("method")
    if not isinstance(method, str):
        conn.push(frames.reply(rid, frames.BAD_REQUEST, "malformed message: no method"))
        return
    method = method.upper()
    if method == "PING":
        conn.push(frames.reply(rid, frames.OK, "PONG"))
        return
    if method not in ("SUBSCRIPTION", "UNSUBSCRIPTION"):
        conn.push(frames.reply(rid, frames.BAD_REQUEST, f"unknown method {req['method']}"))
        return
    params = req.get("params")
    if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
        msg = "params must be a non-empty list of channel names"
        conn.push(frames.reply(rid, frames.BAD_REQUEST, msg))
        return
    if method == "SUBSCRIPTION":
        code, msg, initial = hub.subscribe(conn, params)
    else:
        (code, msg), initial = hub.unsubscribe(conn, params), []
    conn.push(frames.reply(rid, code, msg))
    for frame in initial:
        conn.push(frame)


class Endpoint:
    """ASGI app of ``/ws`` (see the module docstring)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            return
        task = asyncio.current_task()
        assert task is not None
        self.hub.sessions.add(task)
        try:
            await self._session(scope, receive, send)
        finally:
            self.hub.sessions.discard(task)

    async def _session(self, scope: Scope, receive: Receive, send: Send) -> None:
        first = await receive()
        if first["type"] != "websocket.connect":
            return
        # Admit (and start the connection's clocks) before the client can see it open.
        admitted = self.hub.admit(listen_key(scope))
        if not isinstance(admitted, Conn):
            await send({"type": "websocket.accept"})
            await self._farewell(send, *admitted)
            return
        conn = admitted
        try:
            await send({"type": "websocket.accept"})
            sink = sink_of(scope)
            if sink is not None:
                conn.attach(sink)
            async with asyncio.TaskGroup() as tg:
                reader = tg.create_task(self._read(conn, receive))
                writer = tg.create_task(self._write(conn, send))
                conn.writer = writer
                reader.add_done_callback(lambda _: writer.cancel())
                writer.add_done_callback(lambda _: reader.cancel())
        finally:
            self.hub.release(conn)
            conn.detach()
        if conn.notice is not None and not conn.gone:
            await self._farewell(send, *conn.notice)

    async def _read(self, conn: Conn, receive: Receive) -> None:
        hub = self.hub
        while True:
            msg = await receive()
            kind = msg["type"]
            if kind == "websocket.disconnect":
                conn.gone = True
                return
            if kind != "websocket.receive" or conn.closing:
                continue
            text = msg.get("text")
            if text is None:
                text = (msg.get("bytes") or b"").decode("utf-8", "replace")
            handle_request(hub, conn, text)
            if hub.drops:
                hub.flush_drops()

    async def _write(self, conn: Conn, send: Send) -> None:
        out = conn.outbox
        if conn.sink is not None:  # frames are written as they are pushed; wait for the end
            while not conn.closing or out:
                await conn.wait()
            return
        try:
            while True:
                while out:
                    await send(out.popleft().message)
                if conn.closing:
                    return
                await conn.wait()
        except OSError:  # the client went away while we were sending
            conn.gone = True

    async def _farewell(self, send: Send, code: int, ws_code: int) -> None:
        """Send a notice and a close frame, giving up after ``close_timeout_s``."""
        text = frames.NOTICE_CODES[code]
        try:
            async with asyncio.timeout(self.hub.config.close_timeout_s):
                await send(frames.notice(code, text).message)
                await send({"type": "websocket.close", "code": ws_code, "reason": text[:120]})
        except (TimeoutError, OSError):
            pass
