"""A small HTTP/1.1 load generator on raw asyncio streams (keep-alive, no pipelining).

Used by ``bench_http.py`` in a separate process (pinned to its own core) when ``wrk`` is not
installed, and always for the fixed-rate latency case. Requests are pre-built bytes; a
request factory may build a fresh one per send (e.g. signed with the current timestamp).

The fixed-rate case is not asyncio: a single loop over non-blocking sockets and ``epoll``,
with every request built (and signed for its due time) before the run, sleeping until a
millisecond before the next request is due and polling from there. asyncio's timers wake
up to a millisecond late and its streams add tens of microseconds per request, which is
the size of what this case measures.

Run as a worker: ``python bench/http_load.py SPEC.json`` prints one JSON result line.
SPEC: ``{"host", "port", "connections", "seconds", "rate" (0: closed loop), "requests":
[raw request strings], "sign": optional {"key", "secret", "passphrase", "path", "bodies"},
"warmup": optional seconds}``. With ``rate`` > 0 the schedule is open-loop: request k is due
at ``start + k / rate`` and its latency counts from that due time (no coordinated omission);
the requests due in the first ``warmup`` seconds are reported apart (``warmup_lat``).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import gc
import hashlib
import hmac
import itertools
import json
import select
import socket
import sys
import time
from collections.abc import Callable
from typing import Any


def content_length(head: bytes | bytearray) -> int:
    """The Content-Length of a response's header block (0 without one)."""
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return length


class Conn:
    """One keep-alive connection sending a request and reading the whole response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        """Send one request; returns the HTTP status once the body has been read."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = content_length(head)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def signer(sign: dict[str, Any], host: str) -> Callable[..., bytes]:
    """A factory of order requests (body ``n`` of the list) signed with the current time, or
    with the wall-clock time ``at`` (seconds) when given."""
    bodies = [b.encode() for b in sign["bodies"]]
    key, secret, passphrase = sign["key"], sign["secret"].encode(), sign["passphrase"]
    path = sign["path"]

    def build(n: int, at: float | None = None) -> bytes:
        body = bodies[n % len(bodies)]
        ts = str(time.time_ns() // 1_000_000 if at is None else int(at * 1000))
        mac = hmac.new(secret, (ts + "POST" + path).encode() + body, hashlib.sha256)
        sig = base64.b64encode(mac.digest()).decode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"ACCESS-KEY: {key}\r\nACCESS-SIGN: {sig}\r\nACCESS-TIMESTAMP: {ts}\r\n"
            f"ACCESS-PASSPHRASE: {passphrase}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    return build


async def closed_loop(
    host: str, port: int, connections: int, seconds: float, make: Callable[[int], bytes]
) -> dict[str, Any]:
    """Each connection sends its next request as soon as the previous answer arrived."""
    conns = [await Conn.open(host, port) for _ in range(connections)]
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    deadline = time.perf_counter() + seconds

    async def run(conn: Conn) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            req = make(next(counter))
            t0 = time.perf_counter()
            status = await conn.exchange(req)
            latencies.append(time.perf_counter() - t0)
            errors += status != 200

    start = time.perf_counter()
    await asyncio.gather(*(run(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return {"requests": len(latencies), "errors": errors, "seconds": elapsed, "lat": latencies}


def _response_done(buf: bytes | bytearray) -> bool:
    """Does ``buf`` hold a whole response (headers and a Content-Length body)?"""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    return len(buf) - head_end - 4 >= content_length(buf[:head_end])


def open_loop(
    host: str,
    port: int,
    connections: int,
    seconds: float,
    rate: float,
    make: Any,
    warmup: float = 0.0,
) -> dict[str, Any]:
    """Requests due at a fixed rate, each on the connection free the longest; latency from
    the due time (a request that waits for a free connection waits on the clock: no
    coordinated omission).

    The requests due in the first ``warmup`` seconds are sent at the same rate but their
    latencies are kept apart (``warmup_lat``): what ``lat``, ``requests`` and ``seconds``
    describe is the load after them.
    """
    warm = int(warmup * rate)
    total = warm + int(seconds * rate)
    lead = 0.2  # building the requests and connecting happen before the first one is due
    wall_start = time.time() + lead + total * 2e-5
    requests = [make(k, wall_start + k / rate) for k in range(total)]
    socks = []
    poller = select.epoll()
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        poller.register(sock.fileno(), select.EPOLLIN)
        socks.append(sock)
    by_fd = {sock.fileno(): sock for sock in socks}
    # Round robin over the connections: the server closes a keep-alive connection that sat
    # idle for a few seconds, which a stack of free connections would leave at its bottom.
    free = collections.deque(socks)
    busy: dict[int, tuple[float, bytearray]] = {}  # fd -> (due time, response so far)
    waiting: collections.deque[int] = collections.deque()  # due requests without a connection
    latencies: list[float] = []
    warm_lat: list[float] = []
    errors = 0
    clock = time.perf_counter
    start = clock() + (wall_start - time.time())
    measured_from = start + warm / rate
    k = 0
    while len(latencies) + len(warm_lat) < total:
        now = clock()
        while k < total and start + k / rate <= now:
            waiting.append(k)
            k += 1
        while waiting and free:
            j = waiting.popleft()
            sock = free.popleft()
            sock.sendall(requests[j])
            busy[sock.fileno()] = (start + j / rate, bytearray())
        until = (start + k / rate if k < total else now + 1.0) - clock()
        for fd, _ in poller.poll(until - 0.001 if until > 0.0015 else 0):
            sock = by_fd[fd]
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed a connection")
            due, buf = busy[fd]
            buf += data
            if _response_done(buf):
                (latencies if due >= measured_from else warm_lat).append(clock() - due)
                errors += buf[9:12] != b"200"
                del busy[fd]
                free.append(sock)
    elapsed = clock() - measured_from
    for sock in socks:
        sock.close()
    return {"requests": len(latencies), "errors": errors, "seconds": elapsed, "lat": latencies,
            "warmup_lat": warm_lat}  # fmt: skip


def percentile(lat: list[float], q: float) -> float:
    """The ``q``-th percentile of ``lat`` (sorted, not empty): the value at that rank."""
    return lat[min(len(lat) - 1, int(q / 100 * len(lat)))]


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    if spec.get("sign"):
        make = signer(spec["sign"], f"{host}:{port}")
    else:
        raws = [r.encode("latin-1") for r in spec["requests"]]

        def make(n: int, at: float | None = None) -> bytes:
            return raws[n % len(raws)]

    if spec.get("rate"):
        gc.disable()  # a collection in the middle of the run would show up as latency
        result = open_loop(host, port, spec["connections"], spec["seconds"], spec["rate"], make,
                           spec.get("warmup", 0.0))  # fmt: skip
    else:
        result = asyncio.run(closed_loop(host, port, spec["connections"], spec["seconds"], make))
    lat = sorted(result.pop("lat"))
    for pct in (50, 99):
        result[f"p{pct}"] = percentile(lat, pct) if lat else None
    if spec.get("rate"):
        result["lat"] = lat  # the fixed-rate case's percentiles are also taken over all rounds
        result["warmup_lat"] = sorted(result["warmup_lat"])
    return result


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        print(json.dumps(run_spec(json.load(fh))))
