"""A small HTTP/1.1 load generator on raw asyncio streams (keep-alive, no pipelining).

Used by ``bench_http.py`` in a separate process (pinned to its own core) when ``wrk`` is not
installed, and always for the fixed-rate latency case. Requests are pre-built bytes; a
request factory may build a fresh one per send (e.g. signed with the current timestamp).

Run as a worker: ``python bench/http_load.py SPEC.json`` prints one JSON result line.
SPEC: ``{"host", "port", "connections", "seconds", "rate" (0: closed loop), "requests":
[raw request strings], "sign": optional {"key", "secret", "passphrase", "path", "bodies"}}``.
With ``rate`` > 0 the schedule is open-loop: request k is due at ``start + k / rate`` and its
latency counts from that due time (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import sys
import time
from collections.abc import Callable
from typing import Any


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
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def signer(sign: dict[str, Any], host: str) -> Callable[[int], bytes]:
    """A factory of order requests signed with the current time (body ``n`` of the list)."""
    bodies = [b.encode() for b in sign["bodies"]]
    key, secret, passphrase = sign["key"], sign["secret"].encode(), sign["passphrase"]
    path = sign["path"]

    def build(n: int) -> bytes:
        body = bodies[n % len(bodies)]
        ts = str(time.time_ns() // 1_000_000)
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


async def open_loop(
    host: str, port: int, connections: int, seconds: float, rate: float, make: Any
) -> dict[str, Any]:
    """Requests due at a fixed rate, spread over ``connections``; latency from the due time."""
    conns = [await Conn.open(host, port) for _ in range(connections)]
    total = int(seconds * rate)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.05

    async def run(i: int, conn: Conn) -> None:
        nonlocal errors
        for k in range(i, total, connections):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status = await conn.exchange(make(k))
            latencies.append(time.perf_counter() - due)
            errors += status != 200

    await asyncio.gather(*(run(i, c) for i, c in enumerate(conns)))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return {"requests": len(latencies), "errors": errors, "seconds": elapsed, "lat": latencies}


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    if spec.get("sign"):
        make = signer(spec["sign"], f"{host}:{port}")
    else:
        raws = [r.encode("latin-1") for r in spec["requests"]]

        def make(n: int) -> bytes:
            return raws[n % len(raws)]

    if spec.get("rate"):
        coro = open_loop(host, port, spec["connections"], spec["seconds"], spec["rate"], make)
    else:
        coro = closed_loop(host, port, spec["connections"], spec["seconds"], make)
    result = asyncio.run(coro)
    lat = sorted(result.pop("lat"))
    for pct in (50, 99):
        result[f"p{pct}"] = lat[min(len(lat) - 1, int(pct / 100 * len(lat)))] if lat else None
    return result


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        print(json.dumps(run_spec(json.load(fh))))
