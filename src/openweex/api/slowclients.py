"""Slow and oversized requests: how long a request's header and body may take to arrive, and
how large its header may be.

uvicorn's HTTP protocol (httptools) waits as long as a client likes for the rest of a request
and keeps every header line it is sent. :func:`protocol_class` gives that protocol with these
limits (:class:`Limits`):

* **Header timeout.** A request's header (request line and header fields) must be complete
  within ``header_timeout`` seconds of the connection being opened (its first request) or of
  the first byte that follows the previous request (the next one). Past that the connection
  is closed: without a word when not a byte of a request came (nothing was asked; a client
  that opened a connection ahead of use sees what an idle keep-alive connection gives it, a
  close that clients retry on), otherwise after an HTTP 408 in the WEEX envelope, code 40017.
  Between requests a kept-alive connection that sends nothing is uvicorn's to close
  (``timeout_keep_alive``, 5 s).
* **Body timeout.** A request's body must be complete within ``body_timeout`` seconds of its
  header. Past that the request is answered HTTP 408 in the WEEX envelope, code 40017, and the
  connection closed. The request is never run: the application learns it through
  :data:`~openweex.api.app.BODY_CUT` in the request's scope
  (:func:`~openweex.api.app.read_body`).
* **Header size.** A header over ``max_header_size`` bytes is refused with HTTP 431 in the
  WEEX envelope, code 40017, and the connection closed, without reading the rest. The count
  is exact but for one case: the part of a pipelined header that came in the same read as
  the end of the previous request's body is not counted.
* **Shutdown.** When the server shuts down, a request still waiting for its body is answered
  at once with 40200 (what it would get once its body came: the API refuses every request
  from then on) and its connection closed, instead of being cancelled after the grace period.

A connection upgraded to a WebSocket leaves these limits once its handshake is read (the
sweep drops it when its transport has another protocol).

A refusal never interleaves with a response: while an earlier request of the connection is
still being answered, the connection is closed after that response, without the refusal.

Cost. No timer per request and no clock read on the way of a request: each parser event sets
the connection's phase and a zero stamp. One sweep per server, every ``interval`` seconds
while it has connections, stamps the connections it finds in a timed phase for the first
time and ends those stamped longer ago than the limit: a limit acts between ``limit`` and
``limit + interval`` seconds.

What this relies on in uvicorn: the asyncio protocol methods; httptools' parser callbacks
(``on_headers_complete``, ``on_message_complete``, whose names httptools fixes);
``shutdown()``, uvicorn's way of ending a connection (closed now when idle, else once the
response under way is written); and two attributes its HTTP protocol has always had,
``scope`` (the current request's ASGI scope) and ``cycle.response_complete``. Those two are
read with defaults: without them a request is closed without an answer, never run on a
partial body. The subclass's own names start with ``slow_`` (or ``_slow_``), out of the way of
the base class's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, ClassVar, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from openweex.api import wire
from openweex.api.app import BODY_CUT, log_access, now_ms
from openweex.domain import errors
from openweex.domain.errors import Reject

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0  # seconds
BODY_TIMEOUT = 10.0  # seconds
MAX_HEADER_SIZE = 64 * 1024  # bytes: request line, header fields and their line ends
MAX_SWEEP_INTERVAL = 1.0  # seconds

# A connection's phase. Only WAITING, HEADER and BODY are timed.
WAITING = 0  # opened, not a byte received yet
BUSY = 1  # a request is complete (being answered, or answered and the connection idle)
HEADER = 2  # a request's header is arriving
BODY = 3  # a request's header is complete, its body is arriving
CLOSING = 4  # refused: whatever else the client sends is dropped


class Limits:
    """The limits of one server and the connections they watch.

    ``interval`` (default: a quarter of the shorter timeout, at most 1 s) is the time between
    two sweeps; the server sweeps only while it has connections.
    """

    def __init__(
        self,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        max_header_size: int = MAX_HEADER_SIZE,
        interval: float | None = None,
    ) -> None:
        if not (header_timeout > 0 and body_timeout > 0 and max_header_size > 0):
            raise ValueError("timeouts and the header size limit must be more than 0")
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_header_size = max_header_size
        shorter = min(header_timeout, body_timeout)
        self.interval = interval if interval is not None else min(shorter / 4, MAX_SWEEP_INTERVAL)
        self.connections: set[GuardedHttpProtocol] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, conn: GuardedHttpProtocol) -> None:
        self.connections.add(conn)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self.sweep)

    def forget(self, conn: GuardedHttpProtocol) -> None:
        self.connections.discard(conn)

    def sweep(self) -> None:
        """Stamp the connections newly found in a timed phase and end the overdue ones."""
        self._timer = None
        now = time.monotonic()
        for conn in list(self.connections):
            transport = conn.transport
            if transport.get_protocol() is not conn:  # upgraded to a WebSocket
                self.connections.discard(conn)
                continue
            phase = conn.slow_phase
            if phase in (BUSY, CLOSING) or transport.is_closing():
                continue
            since = conn.slow_since
            if not since:
                conn.slow_since = now
            elif now - since >= (self.body_timeout if phase == BODY else self.header_timeout):
                try:
                    conn.slow_overdue()
                except Exception:  # never leave the sweep: the other connections need it
                    log.exception("cannot end a slow request; closing its connection")
                    transport.abort()
        if self.connections:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self.sweep)

    def close(self) -> None:
        """Stop sweeping (the connections stay as they are)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _response(status: int, reject: Reject) -> bytes:
    body = wire.error_body(reject, now_ms())
    reason = {
        400: b"Bad Request",
        408: b"Request Timeout",
        431: b"Request Header Fields Too Large",
    }.get(status, b"")
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status,
        reason,
        len(body),
    )
    return head + b"connection: close\r\n\r\n" + body


# The base class's methods, called directly on the way of every request (cheaper than super()).
_feed = HttpToolsProtocol.data_received
_headers_complete = HttpToolsProtocol.on_headers_complete
_message_complete = HttpToolsProtocol.on_message_complete


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol under :class:`Limits` (see the module docstring)."""

    slow_limits: ClassVar[Limits]
    slow_phase = WAITING
    slow_since = 0.0  # when the sweep first saw the current phase (0: not seen yet)
    slow_header_size = 0  # bytes of the current request's header received so far (in HEADER)

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        self.slow_limits.watch(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.slow_limits.forget(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        phase = self.slow_phase
        if phase < HEADER:  # the first byte of a request
            self.slow_phase = HEADER
            self.slow_since = 0.0
            self.slow_header_size = 0
        elif phase == BODY:
            _feed(self, data)
            return
        elif phase == CLOSING:
            return
        room = self.slow_limits.max_header_size - self.slow_header_size
        if len(data) > room:
            self._slow_feed_header(data, room)
            return
        _feed(self, data)
        if self.slow_phase == HEADER:  # still no end of the header: all of it was header
            self.slow_header_size += len(data)

    def _slow_feed_header(self, data: bytes, room: int) -> None:
        """Feed ``data``, of which only ``room`` more bytes may be header."""
        if room:
            _feed(self, data[:room])
        if self.transport.is_closing():  # e.g. answered 400: not HTTP
            return
        if self.slow_phase == HEADER:
            limit = self.slow_limits.max_header_size
            self._slow_refuse(
                431, errors.reject(errors.PARAM_INVALID, f"header over {limit} bytes")
            )
            return
        # the rest: a body or the next request here, or the protocol this one handed over to
        cast(asyncio.Protocol, self.transport.get_protocol()).data_received(data[room:])

    def on_headers_complete(self) -> None:
        self.slow_phase = BODY
        self.slow_since = 0.0
        _headers_complete(self)

    def on_message_complete(self) -> None:
        self.slow_phase = BUSY
        _message_complete(self)

    def shutdown(self) -> None:
        if self.slow_phase == BODY:
            status = errors.http_status(errors.SERVER_UPGRADE)
            self._slow_cut(
                status, errors.reject(errors.SERVER_UPGRADE, "the exchange is shutting down")
            )
        else:
            super().shutdown()

    def slow_overdue(self) -> None:
        """The current phase lasted longer than its limit."""
        if self.slow_phase == BODY:
            took = f"{self.slow_limits.body_timeout:g}"
            self._slow_cut(
                408, errors.reject(errors.PARAM_INVALID, f"body not complete within {took} s")
            )
        elif self.slow_phase == WAITING:  # not a byte: nothing to answer
            self.slow_phase = CLOSING
            super().shutdown()
        else:
            took = f"{self.slow_limits.header_timeout:g}"
            rej = errors.reject(errors.PARAM_INVALID, f"header not complete within {took} s")
            self._slow_refuse(408, rej)

    def _slow_idle(self) -> bool:
        """No response under way on this connection."""
        cycle: Any = getattr(self, "cycle", None)
        return cycle is None or getattr(cycle, "response_complete", False) is True

    def send_400_response(self, msg: str) -> None:
        """Not HTTP (uvicorn's parser gave up): the WEEX envelope instead of plain text."""
        self._slow_refuse(400, errors.reject(errors.PARAM_INVALID, "not a valid HTTP request"))

    def _slow_refuse(self, status: int, reject: Reject) -> None:
        """End a connection whose request header will not be read. The access log gets a
        line with ``-`` for the method and path it never learnt."""
        self.slow_phase = CLOSING
        if self._slow_idle():
            self.transport.write(_response(status, reject))
            self.transport.close()
            waited = time.monotonic() - self.slow_since if self.slow_since else 0.0
            log_access("-", "-", status, reject.code, time.perf_counter() - waited)
        else:  # an earlier request is being answered: its response first, then the close
            super().shutdown()

    def _slow_cut(self, status: int, reject: Reject) -> None:
        """Stop waiting for the body: the request is answered ``reject`` and not run."""
        self.slow_phase = CLOSING
        scope = getattr(self, "scope", None)
        if not isinstance(scope, dict):
            self.transport.close()  # the application sees the client gone: nothing runs
            return
        scope[BODY_CUT] = (status, reject)
        super().shutdown()  # the answer closes the connection (or it closes now, if answered)
        if not self.transport.is_closing():
            super().on_message_complete()  # the application's wait for the body ends


def protocol_class(limits: Limits) -> type[GuardedHttpProtocol]:
    """The protocol class to give ``uvicorn.Config(http=...)`` for a server under ``limits``."""

    class Protocol(GuardedHttpProtocol):
        pass

    Protocol.slow_limits = limits
    return Protocol
