"""WebSocket benchmarks: private event latency and public fan-out, with a reference server.

Run ``python bench/bench_ws.py`` (``--help`` for options). Every server is a real process on
loopback; the data directory is a fresh temporary one. Clients never negotiate
permessage-deflate (openweex does not accept it; the reference would compress every frame
once per connection).

1. Private events. One user places IOC buy orders far below the market (each is accepted,
   then cancelled: 4 account/order frames, no book growth) at ``--rate`` orders/s for
   ``--seconds`` over 32 keep-alive HTTP connections, while one WebSocket client of the same
   user, in the same process, subscribes to the three private channels. Per order: the time
   from sending the request to its REST ack, and the time at which the order's first
   orders frame (``s`` = 1) arrives, relative to the ack (negative: before the ack, which is
   the normal case since the runtime queues events before the response is written).

2. Public fan-out. ``--subscribers`` WebSocket clients in a separate process (on uvloop,
   like the server) subscribe to
   ``spot@public.deals.v3.api@BTCUSDT`` (``--channels deals,depth,ticker`` adds the
   symbol's increase.depth and bookTicker channels: three frames per trade). The load
   generator sends market buys of one lot into a deep resting ask book (one trade per
   command) at each rate of ``--fanout-rates``. Measured at the clients: frames delivered
   per second (all clients together) and the delay from the frame's ``t`` (server wall
   clock, ms, set when the frame is made) to its arrival. The reference is a plain
   ``websockets`` server (``broadcast()`` to every connection, no per-connection queue or
   task) publishing, at the same rates, one frame of the same size per channel, measured by
   the same client process in the same run. ``--floor`` adds a floor reference: a bare
   server that writes each tick's pre-framed frames to every subscribed socket with one
   ``os.write`` and does nothing else, which is about as little as a server can spend per
   frame and connection on this machine's kernel. ``--repeat N`` runs the servers N times,
   alternating, and prints each run's p99 and their median.

The machine is shared with the clients, so numbers are relative: compare rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from openweex.api.ws.frames import Frame
from procstat import cpu_seconds

ADMIN = "bench-admin-token"
DEALS = "spot@public.deals.v3.api@BTCUSDT"
CHANNELS = {
    "deals": DEALS,
    "depth": "spot@public.increase.depth.v3.api@BTCUSDT",
    "ticker": "spot@public.bookTicker.v3.api@BTCUSDT",
}
PRIVATE = ["spot@private.orders.v3.api", "spot@private.deals.v3.api", "spot@private.account.v3.api"]


# Servers run on CPU 0, the clients and the load generator on CPU 1 (with ``--no-pin`` or
# without ``taskset``, the system places them).
SERVER_CPU, CLIENT_CPU = 0, 1
PIN = bool(shutil.which("taskset"))


# -- helpers ------------------------------------------------------------------------------
def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if PIN else []


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    data_dir: Path

    @classmethod
    def start(cls) -> Server:
        data_dir = Path(tempfile.mkdtemp(prefix="owx-bench-ws-"))
        cmd = [*pinned(SERVER_CPU), sys.executable, "-m", "openweex", "serve", "--port", "0"]
        cmd += ["--data-dir"]
        cmd += [str(data_dir), "--admin-token", ADMIN, "--no-rate-limits", "--log-level", "warning"]
        log = data_dir / "server.log"  # a file, not a pipe nobody reads
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            for line in log.read_text().splitlines():
                if "serving on http://" in line:
                    return cls(proc, line.strip().split("serving on ", 1)[1], data_dir)
            time.sleep(0.05)
        raise RuntimeError("server did not start:\n" + log.read_text())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        errors = [x for x in (self.data_dir / "server.log").read_text().splitlines() if x]
        if len(errors) > 2:
            print("server log:", *errors[-20:], sep="\n", file=sys.stderr)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def user(self, funds: dict[str, str]) -> dict[str, str]:
        with httpx.Client(base_url=self.url, headers={"X-Admin-Token": ADMIN}) as c:
            uid = c.post("/admin/v1/accounts", json={}).json()["data"]["uid"]
            key = c.post("/admin/v1/api-keys", json={"uid": uid, "passphrase": "p"}).json()
            for coin, amount in funds.items():
                c.post("/admin/v1/deposits", json={"uid": uid, "coin": coin, "amount": amount})
        return dict(key["data"])


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, signing WEEX requests.

    The load generator must cost far less CPU than the server it drives; a full HTTP client
    library would not.
    """

    def __init__(self, url: str, key: dict[str, str]) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port, self.key = host, int(port), key
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        try:
            return await self._request(method, path, body)
        except (asyncio.IncompleteReadError, ConnectionError):  # idle keep-alive was closed
            self.writer = None
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        raw = b"" if body is None else orjson.dumps(body)
        ts = str(time.time_ns() // 1_000_000)
        prehash = (ts + method + path).encode() + raw
        sign = base64.b64encode(
            hmac.new(self.key["secretKey"].encode(), prehash, hashlib.sha256).digest()
        )
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"ACCESS-KEY: {self.key['apiKey']}\r\nACCESS-SIGN: {sign.decode()}\r\n"
            f"ACCESS-TIMESTAMP: {ts}\r\nACCESS-PASSPHRASE: {self.key['passphrase']}\r\n"
            f"Content-Length: {len(raw)}\r\n\r\n"
        )
        self.writer.write(head.encode() + raw)
        status_and_headers = await self.reader.readuntil(b"\r\n\r\n")
        status = int(status_and_headers.split(b" ", 2)[1])
        length = 0
        for line in status_and_headers.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, orjson.loads(await self.reader.readexactly(length))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def paced(rate: float, seconds: float, workers: int, job: Any) -> int:
    """Run ``job(i)`` for i = 0, 1, ... at ``rate`` per second (open loop over ``workers``)."""
    start = time.perf_counter()
    total = int(rate * seconds)
    counter = iter(range(total))

    async def worker(w: int) -> None:
        for i in counter:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await job(w, i)

    await asyncio.gather(*(worker(w) for w in range(workers)))
    return total


# -- 1. private events --------------------------------------------------------------------
async def private_latency(rate: float, seconds: float) -> dict[str, Any]:
    server = Server.start()
    try:
        key = server.user({"USDT": "100000000"})
        clients = [RawHttp(server.url, key) for _ in range(32)]
        _, lk = await clients[0].request("POST", "/api/v3/userDataStream", {})
        acks: dict[str, tuple[float, float]] = {}  # order id -> (request sent, ack)
        frames: dict[str, float] = {}
        ws_url = server.url.replace("http://", "ws://") + f"/ws?listenKey={lk['listenKey']}"
        async with connect(ws_url, compression=None, max_queue=None) as ws:
            await ws.send(json.dumps({"method": "SUBSCRIPTION", "params": PRIVATE}))
            await ws.recv()

            async def reader() -> None:
                async for msg in ws:
                    now = time.perf_counter()
                    f = orjson.loads(msg)
                    if f.get("c") == PRIVATE[0] and f["d"]["s"] == 1:
                        frames[f["d"]["i"]] = now

            async def job(w: int, i: int) -> None:
                body = {"symbol": "BTCUSDT_SPBL", "side": "buy", "orderType": "limit"}
                body |= {"force": "ioc", "price": "1", "quantity": "0.001"}
                sent = time.perf_counter()
                _, r = await clients[w].request("POST", "/api/spot/v1/trade/orders", body)
                acks[r["data"]["orderId"]] = (sent, time.perf_counter())

            task = asyncio.create_task(reader())
            t0, cpu0 = time.perf_counter(), cpu_seconds(server.proc.pid)
            n = await paced(rate, seconds, len(clients), job)
            elapsed = time.perf_counter() - t0
            cpu = (cpu_seconds(server.proc.pid) - cpu0) / elapsed
            await asyncio.sleep(0.5)
            task.cancel()
        for c in clients:
            await c.close()
    finally:
        server.stop()
    rest = [(a - s) * 1000 for s, a in acks.values()]
    rel = [(frames[o] - a) * 1000 for o, (_, a) in acks.items() if o in frames]
    e2e = [(frames[o] - s) * 1000 for o, (s, _) in acks.items() if o in frames]
    return {
        "orders": n,
        "rate": n / elapsed,
        "cpu": cpu,
        "frames": len(rel),
        "rest": rest,
        "rel": rel,
        "e2e": e2e,
        "before_ack": sum(1 for x in rel if x < 0) / max(1, len(rel)),
    }


# -- 2. fan-out ---------------------------------------------------------------------------
class Subscriber(asyncio.Protocol):
    """A lean WebSocket client (one asyncio protocol, no task per message) for the fan-out
    clients: with a full client library, the client process would be the bottleneck."""

    def __init__(self, host: str, path: str, channels: list[str], stats: Stats) -> None:
        self.host, self.path, self.channels, self.stats = host, path, channels, stats
        self.buf = bytearray()
        self.upgraded = False
        self.acked = False
        self.transport: Any = None  # asyncio's or uvloop's (not an asyncio.Transport)

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def send(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None and len(payload) < 1 << 16
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if len(payload) < 126:
            size = bytes([0x80 | len(payload)])
        else:
            size = bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
        self.transport.write(bytes([0x80 | opcode]) + size + mask + body)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        if not buf and self.upgraded:  # the usual case: whole frames, nothing kept
            i = self.consume(data)
            if i < len(data):
                buf += data[i:]
            return
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            assert buf.startswith(b"HTTP/1.1 101"), bytes(buf[:100])
            del buf[: end + 4]
            self.upgraded = True
            sub = {"method": "SUBSCRIPTION", "params": self.channels}
            self.send(1, json.dumps(sub).encode())
        del buf[: self.consume(buf)]

    def consume(self, buf: bytes | bytearray) -> int:
        """Handle the whole frames at the start of ``buf``; how many bytes they took."""
        now = time.time() * 1000
        stats, i, n = self.stats, 0, len(buf)
        while n - i >= 2:
            opcode, size, head = buf[i] & 0x0F, buf[i + 1] & 0x7F, 2
            if size == 126:
                if n - i < 4:
                    break
                size, head = int.from_bytes(buf[i + 2 : i + 4], "big"), 4
            elif size == 127:
                if n - i < 10:
                    break
                size, head = int.from_bytes(buf[i + 2 : i + 10], "big"), 10
            if n - i < head + size:
                break
            start, i = i + head, i + head + size
            if opcode == 9:
                self.send(10, bytes(buf[start:i]))
            elif opcode == 1 and not self.acked:
                self.acked = True
                stats.ready += 1
            elif opcode == 1 and stats.on:
                t = buf.rfind(b'"t":', start, i)
                stats.lat.append(now - int(buf[t + 4 : i - 1]))
                stats.frames += 1
                stats.deals += buf.count(b'"S":', start, i)
        return i


@dataclass
class Stats:
    on: bool = False
    ready: int = 0
    frames: int = 0
    deals: int = 0
    lat: list[float] = field(default_factory=list)


async def child_main(url: str, n: int, channels: list[str]) -> None:
    """Subscriber process: ``n`` clients; ``start``/``stop`` on stdin bracket the window."""
    stats = Stats()
    hostport, _, path = url.removeprefix("ws://").partition("/")
    host, port = hostport.split(":")
    loop = asyncio.get_running_loop()
    transports = []
    for _ in range(n):
        tr, _ = await loop.create_connection(
            lambda: Subscriber(host, "/" + path, channels, stats), host, int(port)
        )
        transports.append(tr)
        while stats.ready < len(transports) - 50:  # at most 50 handshakes in flight
            await asyncio.sleep(0.005)
    deadline = time.monotonic() + 60
    while stats.ready < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {stats.ready} of {n} subscribers are ready")
        await asyncio.sleep(0.01)
    print("ready", flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    assert line.strip() == "start"
    stats.on = True
    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.to_thread(sys.stdin.readline)
    stats.on = False
    elapsed = time.perf_counter() - t0
    lat = stats.lat
    out = {"elapsed": elapsed, "frames": stats.frames, "deals": stats.deals}
    out["client_cpu"] = (time.process_time() - cpu0) / elapsed
    out |= {"p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat, default=float("nan"))}
    print(json.dumps(out), flush=True)
    for tr in transports:
        tr.abort()


def reference_frames(channels: list[str], i: int) -> list[str]:
    """The frames of tick ``i`` of the reference server: one per channel, openweex's shape."""
    now = time.time_ns() // 1_000_000
    out = []
    for ch in channels:
        if ch == CHANNELS["deals"]:
            deal = {"S": 1, "p": "30000", "t": now, "v": "0.0001"}
            data: dict[str, Any] = {"deals": [deal], "e": "spot@public.deals.v3.api"}
        elif ch == CHANNELS["depth"]:
            level = {"p": "30000", "v": "1.2345"}
            data = {"asks": [level], "bids": [], "e": "spot@public.increase.depth.v3.api"}
            data["r"] = str(i)
        else:
            data = {"A": "1.2345", "B": "0", "a": "30000", "b": "0"}
        frame = {"c": ch, "d": data, "s": ch.split("@")[2], "t": now}  # as openweex spells it
        out.append(orjson.dumps(frame).decode())
    return out


async def reference_main(rate: float, channels: list[str]) -> None:
    """Reference process: plain websockets server broadcasting at ``rate`` after ``start``."""
    subscribed: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        try:
            async for msg in ws:
                req = json.loads(msg)
                await ws.send(json.dumps({"id": 0, "code": 0, "msg": ",".join(req["params"])}))
                subscribed.add(ws)
        except ConnectionClosed:  # the clients are cut off when the run ends
            pass
        finally:
            subscribed.discard(ws)

    async with serve(handler, "127.0.0.1", 0, compression=None, max_queue=None) as server:
        port = server.sockets[0].getsockname()[1]  # a free port, chosen by the system
        print("ready", port, flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        stop = asyncio.create_task(asyncio.to_thread(sys.stdin.readline))
        start, i = time.perf_counter(), 0
        while not stop.done():
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            for frame in reference_frames(channels, i):
                broadcast(subscribed, frame)
            i += 1


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's handshake constant


class FloorConnection(asyncio.Protocol):
    """The floor reference's side of one connection: the handshake, then one subscription
    acknowledged; from then on its socket is in ``subscribed``, written to directly."""

    def __init__(self, subscribed: dict[int, Any]) -> None:
        self.subscribed = subscribed
        self.buf = bytearray()
        self.upgraded = False
        self.transport: Any = None
        self.fd = -1

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.fd = transport.get_extra_info("socket").fileno()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            del self.buf[: end + 4]
            key = next(
                line.split(":", 1)[1].strip()
                for line in head.split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
            self.transport.write(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode()
            )
            self.upgraded = True
        if self.fd not in self.subscribed and len(self.buf) >= 2:
            # the client's subscribe message (masked, short): acknowledge it, once
            self.buf.clear()
            self.transport.write(Frame(b'{"id":0,"code":0,"msg":"ok"}').wire)
            self.subscribed[self.fd] = self.transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.subscribed.pop(self.fd, None)


async def floor_main(rate: float, channels: list[str]) -> None:
    """Floor reference process: each tick's frames framed once and written to every
    subscribed socket with one ``os.write`` each, nothing else per connection. Its
    frames per CPU-second are about what the kernel's loopback TCP sends allow on this
    machine: no server that writes each frame to each connection can do much better."""
    subscribed: dict[int, Any] = {}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: FloorConnection(subscribed), "127.0.0.1", 0)
    print("ready", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    stop = asyncio.create_task(asyncio.to_thread(sys.stdin.readline))
    start, i, write = time.perf_counter(), 0, os.write
    while not stop.done():
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        data = b"".join(Frame(f.encode()).wire for f in reference_frames(channels, i))
        for fd, transport in list(subscribed.items()):
            if transport.get_write_buffer_size():
                transport.write(data)  # behind: keep the order, let the transport queue it
                continue
            try:
                sent = write(fd, data)
            except BlockingIOError:
                sent = 0
            except OSError:  # the client is gone (the run is over)
                subscribed.pop(fd, None)
                continue
            if sent < len(data):
                transport.write(data[sent:])
        i += 1
    server.close()


def _loop_factory() -> Any:
    """uvloop's event loop where installed (the server uses it too), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def spawn(cpu: int, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """A helper process of this script on ``cpu``, once it said ``ready`` (and the words
    after it)."""
    cmd = [*pinned(cpu), sys.executable, os.path.abspath(__file__), *args]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    words = proc.stdout.readline().split()
    assert words[:1] == ["ready"], words
    return proc, words[1:]


def tell(proc: subprocess.Popen[str], word: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(word + "\n")
    proc.stdin.flush()


def result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    out = json.loads(proc.stdout.readline())
    proc.terminate()
    proc.wait(30)
    return dict(out)


async def fanout_openweex(
    subs: int, rates: list[float], seconds: float, channels: list[str]
) -> list[dict[str, Any]]:
    server = Server.start()
    rows = []
    try:
        maker = server.user({"BTC": "1000"})
        taker = server.user({"USDT": "100000000"})
        mk = RawHttp(server.url, maker)
        lots = int(sum(rates) * seconds * 1.1) + 100
        ask = {"side": "sell", "orderType": "limit", "force": "normal", "price": "30000"}
        ask["quantity"] = "0.0001"
        for _ in range(0, lots, 50):
            body = {"symbol": "BTCUSDT_SPBL", "orderList": [ask] * 50}
            await mk.request("POST", "/api/spot/v1/trade/batch-orders", body)
        await mk.close()
        ws_url = server.url.replace("http://", "ws://")
        clients = [RawHttp(server.url, taker) for _ in range(8)]
        buy = {"symbol": "BTCUSDT_SPBL", "side": "buy", "orderType": "market", "quantity": "3"}
        for rate in rates:
            child, _ = spawn(CLIENT_CPU, "child", ws_url + "/ws", str(subs), ",".join(channels))

            async def job(w: int, i: int) -> None:
                await clients[w].request("POST", "/api/spot/v1/trade/orders", buy)

            tell(child, "start")
            t0, cpu0 = time.perf_counter(), cpu_seconds(server.proc.pid)
            await paced(rate, seconds, len(clients), job)
            await asyncio.sleep(0.3)
            tell(child, "stop")
            cpu = (cpu_seconds(server.proc.pid) - cpu0) / (time.perf_counter() - t0)
            rows.append({"server": "openweex", "rate": rate, "server_cpu": cpu, **result(child)})
        for c in clients:
            await c.close()
    finally:
        server.stop()
    return rows


async def fanout_reference(
    subs: int,
    rates: list[float],
    seconds: float,
    channels: list[str],
    role: str = "reference",
) -> list[dict[str, Any]]:
    """The ``websockets`` broadcast reference, or with ``role="floor"`` the floor one."""
    name = "websockets broadcast" if role == "reference" else "floor: os.write per socket"
    rows = []
    for rate in rates:
        ref, (port,) = spawn(SERVER_CPU, role, str(rate), ",".join(channels))
        url = f"ws://127.0.0.1:{port}/"
        child, _ = spawn(CLIENT_CPU, "child", url, str(subs), ",".join(channels))
        tell(child, "start")
        tell(ref, "start")
        t0, cpu0 = time.perf_counter(), cpu_seconds(ref.pid)
        await asyncio.sleep(seconds)
        tell(ref, "stop")
        await asyncio.sleep(0.3)
        tell(child, "stop")
        cpu = (cpu_seconds(ref.pid) - cpu0) / (time.perf_counter() - t0)
        row = {"server": name, "rate": rate, "server_cpu": cpu}
        rows.append(row | result(child))
        ref.terminate()
        ref.wait(30)
    return rows


# -- report ---------------------------------------------------------------------------------
def print_private(r: dict[str, Any]) -> None:
    print(
        f"\n1. private events: {r['orders']} IOC orders at {r['rate']:.0f}/s, frames: {r['frames']}"
    )
    print(f"{'measure':42} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, xs in (
        ("REST request -> ack", r["rest"]),
        ("REST ack -> orders frame (negative: before)", r["rel"]),
        ("REST request -> orders frame", r["e2e"]),
    ):
        print(f"{name:42} {pct(xs, 50):8.2f} {pct(xs, 99):8.2f} {max(xs):8.2f}")
    print(f"orders frame arrived before the REST ack: {r['before_ack']:.0%}")
    print(f"server CPU: {r['cpu']:.0%} of one core")


def print_fanout(rows: list[dict[str, Any]], subs: int, channels: list[str]) -> None:
    print(f"\n2. public fan-out to {subs} subscribers of {', '.join(channels)}")
    head = f"{'server':26} {'offered/s':>9} {'frames/s':>9} {'deals/s':>8}"
    head += f" {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'srv cpu':>7} {'cli cpu':>7}"
    print(head + f" {'frames/cpu-s':>12}")
    for r in rows:
        fps = r["frames"] / r["elapsed"]
        dps = r["deals"] / r["elapsed"]
        print(
            f"{r['server']:26} {r['rate']:9.0f} {fps:9.0f} {dps:8.0f}"
            f" {r['p50']:7.1f} {r['p99']:7.1f} {r['max']:7.1f}"
            f" {r['server_cpu']:7.0%} {r['client_cpu']:7.0%} {fps / r['server_cpu']:12.0f}"
        )
    print("frames/cpu-s: frames delivered per second of server CPU time (robust to a busy host)")
    runs: dict[tuple[float, str], list[float]] = {}
    for r in rows:
        runs.setdefault((r["rate"], r["server"]), []).append(r["p99"])
    if any(len(v) > 1 for v in runs.values()):
        print("p99 of each run (alternating servers), and their median:")
        for (rate, server), p99s in runs.items():
            each = ", ".join(f"{x:.1f}" for x in p99s)
            print(f"  {server:26} {rate:5.0f}/s: {each} ms; median {pct(p99s, 50):.1f} ms")


def main() -> None:
    roles = ("child", "reference", "floor")
    role = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in roles else "bench"
    logging.basicConfig(format=f"[{role}] %(name)s: %(message)s")  # who logged what
    if role == "reference":  # its closing handshakes race the clients' exit at the end
        logging.getLogger("asyncio").setLevel(logging.ERROR)
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(child_main(sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")))
        return
    if role in ("reference", "floor"):
        main_of = reference_main if role == "reference" else floor_main
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(main_of(float(sys.argv[2]), sys.argv[3].split(",")))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rate", type=float, default=1000, help="private: orders per second")
    p.add_argument("--seconds", type=float, default=8, help="length of each measured run")
    p.add_argument("--subscribers", type=int, default=1000)
    p.add_argument(
        "--fanout-rates", default="20,50,100", help="fan-out: trades (reference: ticks) per second"
    )
    p.add_argument(
        "--channels",
        default="deals",
        help=f"fan-out: channels of BTCUSDT each client subscribes to, of {','.join(CHANNELS)}",
    )
    p.add_argument(
        "--repeat", type=int, default=1, help="fan-out: runs of each server, alternating"
    )
    p.add_argument(
        "--floor",
        action="store_true",
        help="fan-out: also run the floor reference (one os.write per frame and socket)",
    )
    p.add_argument("--skip-private", action="store_true")
    p.add_argument("--skip-fanout", action="store_true")
    p.add_argument("--no-pin", action="store_true", help="do not pin servers and clients to CPUs")
    args = p.parse_args()
    global PIN
    PIN = PIN and not args.no_pin and (os.cpu_count() or 1) > 1
    if PIN:
        os.sched_setaffinity(0, {CLIENT_CPU})  # the load generator, beside the clients
    print(f"pinned: {'servers on CPU 0, clients on CPU 1' if PIN else 'no'}")
    if not args.skip_private:
        print_private(asyncio.run(private_latency(args.rate, args.seconds)))
    if not args.skip_fanout:
        rates = [float(x) for x in args.fanout_rates.split(",")]
        channels = [CHANNELS[x] for x in args.channels.split(",")]
        rows = []
        for _ in range(args.repeat):
            rows += asyncio.run(fanout_openweex(args.subscribers, rates, args.seconds, channels))
            rows += asyncio.run(fanout_reference(args.subscribers, rates, args.seconds, channels))
            if args.floor:
                rows += asyncio.run(
                    fanout_reference(args.subscribers, rates, args.seconds, channels, "floor")
                )
        order = {"openweex": 0, "websockets broadcast": 1}
        rows.sort(key=lambda r: (r["rate"], order.get(r["server"], 2)))  # stable: runs in order
        print_fanout(rows, args.subscribers, channels)


if __name__ == "__main__":
    main()
