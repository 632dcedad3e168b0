"""HTTP benchmark: the real ``openweex serve`` beside reference servers, in the same run.

Run ``python bench/bench_http.py`` (``--help`` for options). Every server is its own process
pinned to CPU 0, the load generator is pinned to CPU 1 (when ``taskset`` exists). All servers
are up for the whole run and the cases are interleaved over ``--rounds`` rounds; each column
is the median over the rounds. Besides requests/s and latency, the server's CPU time per
request is measured (``/proc/PID/stat``): on a shared machine it moves far less than the
wall-clock columns. The load
generator is ``wrk`` when installed, else ``bench/http_load.py`` in a separate process; the
fixed-rate latency case always uses ``http_load.py`` (open loop, latency from the due time).

Cases (64 keep-alive connections unless said otherwise):
a. references: a trivial Starlette JSON endpoint on uvicorn, and a raw ASGI one (same
   uvicorn HTTP implementation and event loop as the openweex server);
b. public market data: ``public/time``, ``market/ticker``, ``market/depth`` (limit 20, a book
   of 50 levels a side), ``market/candles``;
c. signed order placement (limit orders that rest), journal fsync on;
d. signed batch placement, 50 orders a request;
e. one order at a time at a fixed 1,000 orders/s (8 connections): latency p50/p99. It
   starts once the server is idle and the dirty pages of the cases before are on disk
   (``Server.settle``): right after the batch case, the read models' checkpoints of those
   orders share the disk with the journal's syncs for a few seconds. Each round's load
   begins with ``--warmup`` seconds (0.5) at the same rate whose requests are reported
   apart: after sitting idle a disk may be slow to wake (on the machine of
   docs/performance.md the first ``fdatasync`` takes about 2 ms and the next ten or so
   0.5-1 ms, against 0.22 ms at 1,000/s), and the columns describe the steady rate. Its
   references: the same open-loop load (GET) against the raw ASGI endpoint, the floor that
   the load generator, uvicorn and loopback set by themselves; and against a raw ASGI
   endpoint that first writes 200 bytes into a zero-filled file (with direct I/O, as the
   journal does, where the filesystem allows it) and ``fdatasync``s it on the event loop,
   the floor of any answer that waits for this disk. All three also print
   each round's p99 and the percentiles of all their requests over every round together,
   and those of the warm-ups.

``--cpu-wake-latency-us US`` holds a CPU wake-up limit (``/dev/cpu_dma_latency``, see
``openweex serve --cpu-wake-latency-us``) in this process for the whole run, so that every
server and reference is measured under it alike. Rate limits are off
(``--no-rate-limits``). Everything runs in a temporary data directory (``--dir`` picks the
filesystem, which matters for fsync), removed at the end.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from http_load import percentile
from procstat import cpu_seconds

HERE = Path(__file__).parent
TOKEN = "bench-admin-token"
SYM = "BTCUSDT_SPBL"
ORDERS = "/api/spot/v1/trade/orders"
BATCH = "/api/spot/v1/trade/batch-orders"
REFERENCE_APP = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def starlette_time(request):
    return JSONResponse({"code": "00000", "msg": "success", "requestTime": 1, "data": 1})

async def raw_asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    if SYNCED is not None:
        SYNCED.append()
    body = b'{"code":"00000","msg":"success","requestTime":1,"data":1}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

class Synced:
    # 200 bytes written and fdatasync'ed on the event loop before each answer, into a file
    # zero-filled ahead, with direct I/O where the filesystem allows it (as the journal
    # writes: the whole 4 KiB block each record ends in, from a page-aligned buffer)

    SIZE = 64 << 20
    BLOCK = 4096

    def __init__(self, path):
        import mmap, os
        self.os, self.at = os, 0
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        for at in range(0, self.SIZE, 1 << 20):
            os.pwrite(fd, bytes(1 << 20), at)
        os.fsync(fd)
        os.close(fd)
        self.block = mmap.mmap(-1, self.BLOCK)
        self.block[:] = b"r" * self.BLOCK
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
        except (AttributeError, OSError):
            self.fd = os.open(path, os.O_WRONLY)

    def append(self):
        self.at = (self.at + 200) % self.SIZE
        self.os.pwritev(self.fd, [self.block], self.at - self.at % self.BLOCK)
        self.os.fdatasync(self.fd)

SYNCED = Synced(sys.argv[4]) if sys.argv[1] == "asgi-fdatasync" else None
app = Starlette(routes=[Route("/time", starlette_time)]) if sys.argv[1] == "starlette" else raw_asgi
print("serving on http://127.0.0.1:" + sys.argv[2], flush=True)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False, loop=sys.argv[3])
"""
UVLOOP_SERVE = (
    "import asyncio, sys, uvloop\nasyncio.set_event_loop_policy(uvloop.EventLoopPolicy())\n"
)


@dataclass
class Result:
    case: str
    requests: int
    orders: int
    seconds: float
    p50: float | None
    p99: float | None
    errors: int
    cpu: float = 0.0  # CPU seconds the server process used during the case
    latencies: list[float] | None = None  # every request's, sorted (fixed-rate cases only)
    warmup: list[float] | None = None  # the same, of the requests in the warm-up

    def cells(self) -> list[str]:
        per_req = self.cpu / self.requests if self.requests and self.cpu else None
        return [
            self.case,
            f"{self.requests / self.seconds:,.0f}",
            f"{self.orders / self.seconds:,.0f}" if self.orders else "-",
            _ms(self.p50),
            _ms(self.p99),
            f"{per_req * 1e6:,.0f} us" if per_req else "-",
            f"{1 / per_req:,.0f}" if per_req else "-",
            str(self.errors),
        ]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1e3:.2f} ms"


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server process started with ``cmd``; ready once it prints ``serving on http://``."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            pinned(0) + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        assert self.proc.stdout is not None
        out = []
        for line in self.proc.stdout:
            out.append(line)
            if "serving on http://" in line:
                self.url = line.strip().split("serving on ", 1)[1]
                break
        else:
            raise RuntimeError("server did not start:\n" + "".join(out))
        hostport = self.url.split("//", 1)[1]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        time.sleep(0.3)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process and its children so far."""
        return cpu_seconds(self.proc.pid)

    def measure(self, case: str, load: Callable[[], Result]) -> Result:
        """Run ``load`` and record the server's CPU time over it."""
        before = self.cpu_seconds()
        res = load()
        res.cpu = self.cpu_seconds() - before
        res.case = case
        return res

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the server is idle (its CPU time stands still for 0.3 s: read models
        written, checkpoints done) and the machine's dirty pages are on disk, so that a
        latency case measures its own load, not the writes left over from the case before."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.3)
            if self.cpu_seconds() - before < 0.02:
                break
        os.sync()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_openweex(data_dir: Path, loop: str, src: str | None = None) -> Server:
    """``openweex serve``; ``src`` puts another source tree first on the path (before/after)."""
    env = dict(os.environ, PYTHONPATH=src) if src else None
    args = ["serve", "--port", "0", "--data-dir", str(data_dir), "--admin-token", TOKEN,
            "--no-rate-limits", "--log-level", "warning"]  # fmt: skip
    if loop == "uvloop":
        code = UVLOOP_SERVE + "from openweex.cli import main\nmain(sys.argv[1:])\n"
        return Server([sys.executable, "-c", code, *args], env)
    return Server([sys.executable, "-m", "openweex", *args], env)


def start_reference(kind: str, loop: str, workdir: Path) -> Server:
    """``kind``: starlette, asgi, or asgi-fdatasync (a file in ``workdir`` synced per request)."""
    sync_file = str(workdir / "reference-fdatasync")
    return Server([sys.executable, "-c", REFERENCE_APP, kind, str(free_port()), loop, sync_file])


# -- load generators ------------------------------------------------------------------------
_WRK_LAT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def wrk(server: Server, path: str, conns: int, seconds: float, script: str | None) -> Result:
    cmd = [*pinned(1), "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script or "")
    if script:
        cmd += ["-s", fh.name]
    out = subprocess.run(
        [*cmd, server.url + path], capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    os.unlink(fh.name)
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk failed on {path}:\n{out}")
    rps = float(found.group(1))
    lat = {m[0]: float(m[1]) * _UNITS[m[2]] for m in _WRK_LAT.findall(out)}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(g) for g in sock.groups()) if sock else 0
    return Result(path, int(rps * seconds), 0, seconds, lat.get("50"), lat.get("99"), errors)


def pyload(spec: dict[str, Any]) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
    cmd = [*pinned(1), sys.executable, str(HERE / "http_load.py"), fh.name]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=spec["seconds"] + 120)
    os.unlink(fh.name)
    if out.returncode:
        raise RuntimeError(out.stderr)
    r = json.loads(out.stdout)
    res = Result("", r["requests"], 0, r["seconds"], r["p50"], r["p99"], r["errors"])
    res.latencies = r.get("lat")
    res.warmup = r.get("warmup_lat")
    return res


def raw_get(server: Server, path: str) -> str:
    return f"GET {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n\r\n"


def load_get(server: Server, path: str, args: argparse.Namespace) -> Result:
    if args.wrk:
        return wrk(server, path, args.connections, args.seconds, None)
    spec = {"host": server.host, "port": server.port, "connections": args.connections,
            "seconds": args.seconds, "requests": [raw_get(server, path)]}  # fmt: skip
    return pyload(spec)


# -- setting up the exchange ------------------------------------------------------------------
@dataclass
class Key:
    key: str
    secret: str
    passphrase: str

    def headers(self, method: str, path: str, body: str) -> dict[str, str]:
        ts = str(time.time_ns() // 1_000_000)
        mac = hmac.new(self.secret.encode(), (ts + method + path + body).encode(), hashlib.sha256)
        return {"ACCESS-KEY": self.key, "ACCESS-SIGN": base64.b64encode(mac.digest()).decode(),
                "ACCESS-TIMESTAMP": ts, "ACCESS-PASSPHRASE": self.passphrase,
                "Content-Type": "application/json"}  # fmt: skip


def new_user(http: httpx.Client, funds: dict[str, str]) -> Key:
    h = {"X-Admin-Token": TOKEN}
    uid = http.post("/admin/v1/accounts", json={}, headers=h).json()["data"]["uid"]
    key = http.post("/admin/v1/api-keys", json={"uid": uid, "passphrase": "bench"}, headers=h)
    for coin, amount in funds.items():
        body = {"uid": uid, "coin": coin, "amount": amount}
        http.post("/admin/v1/deposits", json=body, headers=h).raise_for_status()
    data = key.json()["data"]
    return Key(data["apiKey"], data["secretKey"], data["passphrase"])


def order_body(side: str, price: str, qty: str, with_symbol: bool = True) -> dict[str, Any]:
    body = {"side": side, "orderType": "limit", "force": "normal", "price": price,
            "quantity": qty}  # fmt: skip
    return {"symbol": SYM, **body} if with_symbol else body


def place(http: httpx.Client, key: Key, body: dict[str, Any]) -> None:
    text = json.dumps(body)
    r = http.post(ORDERS, content=text, headers=key.headers("POST", ORDERS, text)).json()
    assert r["code"] == "00000", r


def setup_market(server: Server) -> Key:
    """A book of 50 levels a side, a few trades; returns a funded trader's key."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        maker = new_user(http, {"USDT": "100000000", "BTC": "1000"})
        for i in range(50):
            place(http, maker, order_body("buy", f"{29000 - i * 3}", "0.01"))
            place(http, maker, order_body("sell", f"{30000 + i * 3}", "0.01"))
        taker = new_user(http, {"USDT": "1000000000", "BTC": "1000"})
        for _ in range(5):
            place(http, taker, order_body("buy", "30000", "0.001"))
        return taker


# -- signed cases ---------------------------------------------------------------------------
def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def signed_script(key: Key, path: str, bodies: list[str]) -> str:
    """A wrk script cycling through requests signed now (valid for the 30 s window)."""
    lines = ["local reqs = {}", "local i = 0", "function init(args)"]
    for n, body in enumerate(bodies, 1):
        hdrs = ", ".join(
            f"[ {_lua_string(k)} ] = {_lua_string(v)}"
            for k, v in key.headers("POST", path, body).items()
        )
        call = f"wrk.format('POST', {_lua_string(path)}, {{{hdrs}}}, {_lua_string(body)})"
        lines.append(f"  reqs[{n}] = {call}")
    lines += ["end", "function request()", "  i = i % #reqs + 1", "  return reqs[i]", "end"]
    return "\n".join(lines)


def order_bodies(batch: int, variants: int = 64) -> list[str]:
    """Limit buys far below the book (they rest): single orders or batches of ``batch``."""
    out = []
    for v in range(variants):
        if batch == 1:
            out.append(json.dumps(order_body("buy", f"{1000 + v * 0.01:.2f}", "0.001")))
        else:
            items = [order_body("buy", f"{1000 + (v * batch + i) % 500 * 0.01:.2f}", "0.001",
                                False) for i in range(batch)]  # fmt: skip
            out.append(json.dumps({"symbol": SYM, "orderList": items}))
    return out


def load_signed(
    server: Server, key: Key, path: str, batch: int, args: argparse.Namespace
) -> Result:
    bodies = order_bodies(batch)
    if args.wrk:
        res = wrk(server, path, args.connections, args.seconds, signed_script(key, path, bodies))
    else:
        sign = {"key": key.key, "secret": key.secret, "passphrase": key.passphrase,
                "path": path, "bodies": bodies}  # fmt: skip
        res = pyload({"host": server.host, "port": server.port, "connections": args.connections,
                      "seconds": args.seconds, "sign": sign})  # fmt: skip
    res.orders = res.requests * batch
    return res


LATENCY_CONNECTIONS = 8  # of the fixed-rate latency case and its floor reference


def fixed_rate(server: Server, args: argparse.Namespace, **requests: Any) -> Result:
    """The latency case's open-loop load (``--rate`` for ``--seconds``) of ``requests``."""
    return pyload({"host": server.host, "port": server.port, "connections": LATENCY_CONNECTIONS,
                   "seconds": args.seconds, "rate": args.rate, "warmup": args.warmup,
                   **requests})  # fmt: skip


def load_latency(server: Server, key: Key, args: argparse.Namespace) -> Result:
    server.settle()
    sign = {"key": key.key, "secret": key.secret, "passphrase": key.passphrase,
            "path": ORDERS, "bodies": order_bodies(1)}  # fmt: skip
    res = fixed_rate(server, args, sign=sign)
    res.orders = res.requests
    return res


def load_latency_floor(server: Server, args: argparse.Namespace) -> Result:
    """The latency case's load against a trivial endpoint: what the load generator, uvicorn
    and loopback add by themselves at that rate (and, against ``asgi-fdatasync``, one
    journal-like sync per request: the floor of a durable answer on this disk)."""
    return fixed_rate(server, args, requests=[raw_get(server, "/time")])


# -- running --------------------------------------------------------------------------------
Plan = list[tuple[str, Server, Callable[[], Result]]]


def plan(args: argparse.Namespace, refs: list[Server], ow: Server, key: Key) -> Plan:
    """Every case: (label, server, load)."""
    out: Plan = [
        (label, srv, lambda s=srv: load_get(s, "/time", args))
        for label, srv in zip(
            ("reference: Starlette JSON endpoint", "reference: raw ASGI JSON endpoint"),
            refs,
            strict=False,
        )
    ]
    for label, path in (
        ("GET public/time", "/api/spot/v1/public/time"),
        ("GET market/ticker", f"/api/spot/v1/market/ticker?symbol={SYM}"),
        ("GET market/depth limit=20", f"/api/spot/v1/market/depth?symbol={SYM}&limit=20"),
        ("GET market/candles 1min", f"/api/spot/v1/market/candles?symbol={SYM}&period=1min"),
    ):
        out.append((label, ow, lambda p=path: load_get(ow, p, args)))
    for label, path, batch in (("POST trade/orders (signed, fsync)", ORDERS, 1),
                               ("POST trade/batch-orders x50", BATCH, 50)):  # fmt: skip
        out.append((label, ow, lambda p=path, b=batch: load_signed(ow, key, p, b, args)))
    label = f"POST trade/orders at {args.rate:,.0f}/s ({LATENCY_CONNECTIONS} conns)"
    out.append((label, ow, lambda: load_latency(ow, key, args)))
    if len(refs) > 1:
        label = f"reference: raw ASGI endpoint at {args.rate:,.0f}/s ({LATENCY_CONNECTIONS} conns)"
        out.append((label, refs[1], lambda: load_latency_floor(refs[1], args)))
    if len(refs) > 2:
        label = (f"reference: raw ASGI endpoint + fdatasync at {args.rate:,.0f}/s "
                 f"({LATENCY_CONNECTIONS} conns)")  # fmt: skip
        out.append((label, refs[2], lambda: load_latency_floor(refs[2], args)))
    return out


def median_result(label: str, runs: list[Result]) -> Result:
    """Each column's median over the rounds (errors summed)."""

    def med(values: list[float | None]) -> float | None:
        known = sorted(v for v in values if v is not None)
        return known[len(known) // 2] if known else None

    rps = med([r.requests / r.seconds for r in runs]) or 0.0
    ops = med([r.orders / r.seconds for r in runs]) or 0.0
    per_req = med([r.cpu / r.requests if r.requests else None for r in runs]) or 0.0
    p50, p99 = med([r.p50 for r in runs]), med([r.p99 for r in runs])
    errors = sum(r.errors for r in runs)
    return Result(label, round(rps), round(ops), 1.0, p50, p99, errors, per_req * round(rps))


def pooled(results: list[Result]) -> str:
    """The percentiles of every request of every round together (the table's are medians of
    each round's own), and how many took longer than 1, 2 and 5 ms."""
    return _percentiles(sorted(x for r in results for x in r.latencies or []))


def warmed_up(results: list[Result]) -> str:
    """The same figures for the warm-up requests of every round (not in the others)."""
    return _percentiles(sorted(x for r in results for x in r.warmup or []))


def _percentiles(lat: list[float]) -> str:
    if not lat:
        return "no latencies"

    p50, p99, p999 = (_ms(percentile(lat, q)) for q in (50, 99, 99.9))
    over = ", ".join(f"> {ms} ms: {sum(x > ms / 1e3 for x in lat):,}" for ms in (1, 2, 5))
    top = _ms(lat[-1])
    return f"all {len(lat):,} requests: p50 {p50}, p99 {p99}, p99.9 {p999}, max {top}; {over}"


def run_all(args: argparse.Namespace, workdir: Path) -> list[Result]:
    """All servers up at once (idle when not loaded); the cases interleaved, ``rounds`` times,
    so that a change in the machine's load hits every case alike."""
    servers: list[Server] = []
    try:
        if not args.skip_references:
            kinds = ("starlette", "asgi", "asgi-fdatasync")
            servers += [start_reference(k, args.loop, workdir) for k in kinds]
        ow = start_openweex(workdir / "data", args.loop, args.src)
        servers.append(ow)
        key = setup_market(ow)
        runs: dict[str, list[Result]] = {}
        for _ in range(args.rounds):
            for label, server, load in plan(args, servers[:-1], ow, key):
                if args.only not in label:
                    continue
                runs.setdefault(label, []).append(server.measure(label, load))
        for label, results in runs.items():
            # the latency case and its reference: their spread over the rounds
            if label.endswith(f"({LATENCY_CONNECTIONS} conns)"):
                p99s = ", ".join(_ms(r.p99) for r in results)
                print(f"{label}, each round's p99: {p99s}")
                print(f"{label}, {pooled(results)}")
                if args.warmup:
                    print(f"{label}, warm-up (not counted above): {warmed_up(results)}")
        return [median_result(label, results) for label, results in runs.items()]
    finally:
        for server in servers:
            server.stop()


def print_table(rows: list[Result]) -> None:
    header = ["case", "requests/s", "orders/s", "p50", "p99", "cpu/req", "req/cpu-s", "errors"]
    table = [header] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for n, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each case")
    parser.add_argument("--rounds", type=int, default=3, help="medians over this many rounds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=float, default=1000.0, help="orders/s of the latency case")
    parser.add_argument("--warmup", type=float, default=0.5,
                        help="seconds of the latency case's load, at its rate, before the "
                             "measured --seconds (reported apart)")  # fmt: skip
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio",
                        help="event loop of every server (uvloop must be installed)")  # fmt: skip
    parser.add_argument("--no-wrk", dest="wrk", action="store_false", help="never use wrk")
    parser.add_argument("--dir", default=None, help="parent of the temporary data directory")
    parser.add_argument("--src", default=None, help="run the server from this source tree")
    parser.add_argument("--skip-references", action="store_true")
    parser.add_argument("--only", default="", help="run only the cases whose label contains this")
    parser.add_argument("--cpu-wake-latency-us", type=int, default=None, metavar="US",
                        help="hold this CPU wake-up limit (/dev/cpu_dma_latency) for the whole "
                             "run: every server and reference alike, as 'openweex serve "
                             "--cpu-wake-latency-us' would for the server")  # fmt: skip
    args = parser.parse_args(argv)
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more seconds")
    if args.cpu_wake_latency_us is not None:
        try:  # held until this process exits
            qos = os.open("/dev/cpu_dma_latency", os.O_WRONLY)
            os.write(qos, struct.pack("=i", args.cpu_wake_latency_us))
        except OSError as exc:
            parser.error(f"--cpu-wake-latency-us: {exc}")
    args.wrk = args.wrk and shutil.which("wrk") is not None
    gen = "wrk" if args.wrk else "bench/http_load.py"
    wake = "none" if args.cpu_wake_latency_us is None else f"{args.cpu_wake_latency_us} us"
    print(f"load generator: {gen}; {args.connections} connections, {args.seconds:g} s a case, "
          f"median of {args.rounds} interleaved rounds; "
          f"event loop: {args.loop}; taskset: {'yes' if pinned(0) else 'no'}; "
          f"CPU wake-up limit: {wake}")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-", dir=args.dir))
    try:
        rows = run_all(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(rows)


if __name__ == "__main__":
    main()
