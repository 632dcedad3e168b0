"""Writing pre-framed WebSocket frames straight to a connection's transport.

A frame from a server is not masked, so one frame's bytes are the same for every connection
it goes to: :class:`~openweex.api.ws.frames.Frame` builds them once and the hub writes them
to each subscriber's transport in a plain loop, with no task and no ASGI ``send`` call per
connection.

:class:`FastWebSocketProtocol` is uvicorn's websockets (sans-I/O) protocol with one
addition: the ASGI scope of every WebSocket connection carries, under
``scope["extensions"][EXTENSION]["sink"]``, a :class:`FrameSink` for that connection. The
``/ws`` endpoint uses it when present and falls back to the ASGI ``send`` otherwise (another
server, another protocol implementation). Serve with ``uvicorn.Config(app,
**server_options())``.

Why writing beside the protocol is safe:

* the protocol writes whole frames (handshake response, pongs, keepalive pings, close
  frames), each with one ``transport.write``, and so does the sink: frames never interleave
  byte-wise, whatever the order of the calls;
* the sink writes nothing once the transport is closing (after a close frame from either
  side, a keepalive timeout, a protocol error or a lost connection); the endpoint sends its
  own close frame through ASGI, after the last frame it wrote through the sink;
* frames go out uncompressed (RSV1 0). That is valid on a connection that negotiated
  permessage-deflate too (RFC 7692 lets every message say whether it is compressed, and
  skipping the compressor leaves both sides' compression contexts in step), but the server
  options turn the extension off: compressing each frame once per connection is what fan-out
  must avoid, and an unused compression context per connection only costs memory.

Back-pressure. ``FrameSink.paused`` follows the transport's ``pause_writing`` and
``resume_writing`` (its write buffer above the high-water mark, then drained). While it is
paused the connection queues frames (bounded, see :mod:`.conn`) and ``on_resume`` writes
them when the transport drains.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "openweex.websocket.frames"


def _socket_fd(transport: asyncio.BaseTransport) -> int:
    """The descriptor of a plain (not TLS) socket transport on POSIX, else -1."""
    if os.name != "posix" or transport.get_extra_info("sslcontext") is not None:
        return -1
    sock = transport.get_extra_info("socket")
    try:
        return int(sock.fileno()) if sock is not None else -1
    except (AttributeError, OSError, ValueError):
        return -1


class FrameSink:
    """Writes whole, pre-framed WebSocket frames to one connection's transport.

    When the transport has nothing buffered, a frame goes to the socket with one
    ``os.write`` and the transport is only told about what the socket did not take: the
    transport's own write path costs about 1 us more per call, 8% of a fan-out to many
    subscribers (one call per subscriber per batch). Frames stay in order: anything the
    transport holds is written before, since the direct write happens only when it holds
    nothing. Errors are left to the transport, which sees them on its own write.
    """

    __slots__ = ("_fd", "_transport", "on_resume", "paused")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._fd = _socket_fd(transport)
        self.paused = False  # the transport's buffer is above its high-water mark
        self.on_resume: Callable[[], None] | None = None  # called when it drained

    def write(self, data: bytes) -> bool:
        """Write whole frames; False (nothing written) when the transport is closing."""
        transport = self._transport
        if transport.is_closing():
            return False
        if self._fd >= 0 and not transport.get_write_buffer_size():
            try:
                sent = os.write(self._fd, data)
            except OSError:  # full (EAGAIN) or broken: the transport deals with it
                sent = 0
            if sent == len(data):
                return True
            data = data[sent:]
        transport.write(data)
        return True


def sink_of(scope: Any) -> FrameSink | None:
    """The connection's sink, when the server offers one."""
    ext = (scope.get("extensions") or {}).get(EXTENSION)
    sink = ext.get("sink") if isinstance(ext, dict) else None
    return sink if isinstance(sink, FrameSink) else None


class FastWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, plus a :class:`FrameSink` in each connection's scope."""

    sink: FrameSink | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.sink = FrameSink(self.transport)

    async def run_asgi(self) -> None:
        # The scope exists once the handshake request was parsed; this task is the
        # application's, so the extension is in place before the application reads it.
        self.scope.setdefault("extensions", {})[EXTENSION] = {"sink": self.sink}
        await super().run_asgi()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self.sink is not None:
            self.sink.paused = True

    def resume_writing(self) -> None:
        super().resume_writing()
        sink = self.sink
        if sink is not None:
            sink.paused = False
            if sink.on_resume is not None:
                sink.on_resume()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        sink = self.sink
        if sink is not None:
            # Nothing can be written any more: let the connection discard what it queued
            # (and whatever comes until the application sees the disconnect).
            sink.paused = False
            resume, sink.on_resume = sink.on_resume, None
            if resume is not None:
                resume()


def server_options() -> dict[str, Any]:
    """The ``uvicorn.Config`` settings of the WebSocket side of the server."""
    return {"ws": FastWebSocketProtocol, "ws_per_message_deflate": False}
