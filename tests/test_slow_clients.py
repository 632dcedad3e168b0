"""Slow and oversized requests against the real server, over raw sockets: a header or body
that does not arrive in time, a header over the size limit, a request waiting for its body at
shutdown; and what must not be cut (quick requests on a kept-alive connection, pipelining,
large bodies, WebSocket connections)."""

from __future__ import annotations

import json
import select
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from openweex.api.slowclients import MAX_HEADER_SIZE, Limits
from openweex.cli import build_parser
from tests.support.server import ADMIN_TOKEN, ServerProcess

TIMEOUT = 0.5  # the header and body timeouts of the shared server
TIME_PATH = "/api/spot/v1/public/time"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    args = ["--no-rate-limits", "--header-timeout", str(TIMEOUT), "--body-timeout", str(TIMEOUT)]
    srv = ServerProcess(tmp_path_factory.mktemp("slow") / "data", args).start()
    yield srv
    srv.stop()


def address(srv: ServerProcess) -> tuple[str, int]:
    host, port = srv.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def open_conn(srv: ServerProcess) -> socket.socket:
    sock = socket.create_connection(address(srv), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def get(path: str = TIME_PATH) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


def post_head(path: str, length: int, token: str = ADMIN_TOKEN) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"X-Admin-Token: {token}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


class Reader:
    """Reads HTTP responses off a raw socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _more(self) -> bytes:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return chunk

    def response(self) -> tuple[int, dict[str, str], Any]:
        """The next response: status, headers (lower-case names) and the JSON body."""
        while b"\r\n\r\n" not in self.buf:
            assert self._more(), f"closed without a response: {self.buf!r}"
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        while len(self.buf) < length:
            assert self._more(), "closed in the middle of a response"
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, json.loads(body)

    def closed(self) -> bool:
        """True when the server closed the connection (and sent nothing more)."""
        try:
            return not self._more()
        except ConnectionResetError:
            return True


def account(srv: ServerProcess, uid: str) -> Any:
    return srv.admin("GET", f"/accounts/{uid}")


def usdt(acct: Any) -> str:
    """The account's available USDT ("0" without any)."""
    found = [a["available"] for a in acct["assets"] if a["coinName"].upper() == "USDT"]
    return found[0] if found else "0"


def test_a_connection_that_sends_nothing_is_closed_without_a_word(server: ServerProcess) -> None:
    with open_conn(server) as sock:
        started = time.monotonic()
        assert sock.recv(100) == b""
        took = time.monotonic() - started
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 2.0


def assert_timed_out(status: int, headers: dict[str, str], body: Any, why: str) -> None:
    """A 408 in the WEEX envelope (40017 with ``why``) that closes the connection."""
    assert status == 408
    assert headers["connection"] == "close"
    assert body["code"] == "40017"
    assert body["msg"] == f"Parameter verification failed: {why}"
    assert body["data"] is None and isinstance(body["requestTime"], int)


@pytest.mark.parametrize("first", [True, False], ids=["first-request", "next-request"])
def test_a_header_that_trickles_in_is_cut_at_the_timeout(
    server: ServerProcess, first: bool
) -> None:
    """The time counts from the header's first byte: progress does not extend it. The
    header trickles in for six times the timeout; it is cut while it still trickles."""
    head = b"GET /api/spot/v1/public/time HTTP/1.1\r\nHost: test\r\nX-Pad: " + b"a" * 100
    with open_conn(server) as sock:
        reader = Reader(sock)
        if not first:  # a request answered on the connection, then a while without a byte
            sock.sendall(get())
            assert reader.response()[0] == 200
            time.sleep(2 * TIMEOUT)
        sock.sendall(head[:4])
        started = time.monotonic()
        sent = 4
        while sent < 64 and not select.select([sock], [], [], 0.05)[0]:
            sock.sendall(head[sent : sent + 1])  # a byte every 0.05 s, for up to 3 s
            sent += 1
        assert sent < 64, "the header was still waited for after six times the timeout"
        status, headers, body = reader.response()
        took = time.monotonic() - started
        assert reader.closed()
    assert_timed_out(status, headers, body, "header not complete within 0.5 s")
    assert took >= TIMEOUT * 0.9


def short_deposit(srv: ServerProcess) -> tuple[str, Any, bytes]:
    """A new account, its state, and a deposit of 50 USDT to it whose body is the whole JSON
    object but is announced 10 bytes longer: a body that never ends."""
    uid = srv.admin("POST", "/accounts")["uid"]
    body = json.dumps({"uid": uid, "coin": "USDT", "amount": "50"}).encode()
    return uid, account(srv, uid), post_head("/admin/v1/deposits", len(body) + 10) + body


def test_a_body_that_stalls_gets_the_envelope_and_nothing_changes(server: ServerProcess) -> None:
    uid, before, request = short_deposit(server)
    with open_conn(server) as sock:
        sock.sendall(request)
        started = time.monotonic()
        reader = Reader(sock)
        status, headers, answer = reader.response()
        took = time.monotonic() - started
        assert reader.closed()
    assert_timed_out(status, headers, answer, "body not complete within 0.5 s")
    assert TIMEOUT * 0.9 <= took < TIMEOUT + 2.0
    assert account(server, uid) == before
    assert usdt(before) == "0"


def test_a_request_whose_client_leaves_mid_body_is_not_run(server: ServerProcess) -> None:
    uid, before, request = short_deposit(server)
    with open_conn(server) as sock:
        sock.sendall(request)
        time.sleep(0.1)
    time.sleep(0.2)
    assert account(server, uid) == before
    assert usdt(before) == "0"


def refusal(srv: ServerProcess, payload: bytes) -> tuple[int, Any]:
    """Send ``payload`` on a new connection: the one answer's status and body, after which
    the server closed the connection (and said so)."""
    with open_conn(srv) as sock:
        sock.sendall(payload)
        reader = Reader(sock)
        status, headers, body = reader.response()
        assert reader.closed()
    assert headers["connection"] == "close"
    assert headers["content-type"] == "application/json"
    return status, body


def test_a_header_over_the_limit_is_refused(server: ServerProcess) -> None:
    big = b"GET /api/spot/v1/public/time HTTP/1.1\r\nHost: test\r\nX-Big: "
    big += b"a" * MAX_HEADER_SIZE + b"\r\n\r\n"
    status, body = refusal(server, big)
    assert status == 431
    assert body["code"] == "40017"
    assert body["msg"] == f"Parameter verification failed: header over {MAX_HEADER_SIZE} bytes"


def test_a_header_over_the_limit_sent_in_pieces_is_refused(server: ServerProcess) -> None:
    piece = b"X-Filler: " + b"b" * 1000 + b"\r\n"
    with open_conn(server) as sock:
        sock.sendall(b"GET /api/spot/v1/public/time HTTP/1.1\r\nHost: test\r\n")
        sent = 0
        while sent < 2 * MAX_HEADER_SIZE:
            sock.sendall(piece)
            sent += len(piece)
            time.sleep(0.002)  # one read each on the server's side
            if select.select([sock], [], [], 0)[0]:  # the answer, as soon as there is one
                break
        reader = Reader(sock)
        status, _, body = reader.response()
        assert reader.closed()
    assert (status, body["code"]) == (431, "40017")
    assert sent >= MAX_HEADER_SIZE


NOT_HTTP = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP\r\n\r\n"  # a TLS hello, say


def test_bytes_that_are_not_http_get_the_envelope(server: ServerProcess) -> None:
    status, body = refusal(server, NOT_HTTP)
    assert status == 400
    assert body["code"] == "40017"
    assert body["msg"] == "Parameter verification failed: not a valid HTTP request"
    assert body["data"] is None


def test_refusals_before_the_header_have_access_log_lines(tmp_path: Path) -> None:
    """Method and path never read: ``-``; the status and code that went out."""
    args = ["--no-rate-limits", "--log-level", "debug", "--header-timeout", str(TIMEOUT)]
    srv = ServerProcess(tmp_path / "data", args).start()
    try:
        for payload in (NOT_HTTP, b"GET / HTTP/1.1\r\nX-Big: " + b"a" * MAX_HEADER_SIZE):
            refusal(srv, payload)
        assert refusal(srv, b"GET / HT")[0] == 408
        assert srv.stop() == 0
    finally:
        srv.stop()
    lines = [line.split("openweex.access", 1)[-1] for line in srv.output if "path=-" in line]
    assert len(lines) == 3, srv.output
    for line, (status, code) in zip(lines, [(400, 40017), (431, 40017), (408, 40017)], strict=True):
        assert f"method=- path=- status={status} code={code} latency_ms=" in line
    assert float(lines[2].rsplit("latency_ms=", 1)[1]) > 0


def test_a_header_under_the_limit_and_a_large_body_pass(server: ServerProcess) -> None:
    uid = server.admin("POST", "/accounts")["uid"]
    fields = "".join(f"X-Filler-{i}: {'c' * 1000}\r\n" for i in range(60))  # 60 KiB of header
    body = json.dumps({"uid": uid, "coin": "USDT", "amount": "7"}).encode()
    body += b" " * 300_000  # whitespace after the JSON: a body larger than one read
    head = post_head("/admin/v1/deposits", len(body)).replace(
        b"\r\n\r\n", ("\r\n" + fields).encode() + b"\r\n"
    )
    assert MAX_HEADER_SIZE - 5000 < len(head) < MAX_HEADER_SIZE
    with open_conn(server) as sock:
        sock.sendall(head + body + get())  # and the next request right behind it
        reader = Reader(sock)
        status, _, answer = reader.response()
        assert (status, answer["code"]) == (200, "00000"), answer
        status, _, answer = reader.response()
        assert (status, answer["code"]) == (200, "00000"), answer
    assert usdt(account(server, uid)) == "7"


def test_a_kept_alive_connection_with_quick_requests_is_not_cut(server: ServerProcess) -> None:
    """Many requests on one connection, for several times the timeouts: none is cut, and a
    request whose body follows its header a little later is answered too."""
    uid = server.admin("POST", "/accounts")["uid"]
    body = json.dumps({"uid": uid, "coin": "USDT", "amount": "1"}).encode()
    with open_conn(server) as sock:
        reader = Reader(sock)
        started = time.monotonic()
        answered = 0
        while time.monotonic() - started < 3 * TIMEOUT:
            sock.sendall(get())
            status, headers, answer = reader.response()
            assert (status, answer["code"]) == (200, "00000")
            assert headers.get("connection") != "close"
            sock.sendall(post_head("/admin/v1/deposits", len(body)))
            time.sleep(TIMEOUT / 5)  # the body comes later, within the timeout
            sock.sendall(body)
            status, _, answer = reader.response()
            assert (status, answer["code"]) == (200, "00000"), answer
            answered += 2
        sock.sendall(get() + get() + get())  # pipelined
        for _ in range(3):
            assert reader.response()[0] == 200
        time.sleep(2 * TIMEOUT)  # idle between requests: uvicorn's keep-alive (5 s) decides
        sock.sendall(get())
        assert reader.response()[0] == 200
    assert answered >= 6


def test_websocket_connections_are_not_cut(server: ServerProcess) -> None:
    with connect(server.ws_url, open_timeout=5) as ws:
        time.sleep(3 * TIMEOUT)  # longer than both timeouts and a few sweeps
        ws.send(json.dumps({"method": "PING"}))
        assert json.loads(ws.recv(timeout=5)) == {"id": 0, "code": 0, "msg": "PONG"}


def test_at_shutdown_a_request_waiting_for_its_body_gets_40200(tmp_path: Path) -> None:
    """Answered in the envelope at once, not dropped after the grace period with a plain
    500; the request is not run."""
    srv = ServerProcess(tmp_path / "data", ["--no-rate-limits"]).start()  # default timeouts
    try:
        uid, _, request = short_deposit(srv)
        with open_conn(srv) as sock:
            sock.sendall(request)
            time.sleep(0.2)
            started = time.monotonic()
            assert srv.proc is not None
            srv.proc.send_signal(signal.SIGTERM)
            reader = Reader(sock)
            status, headers, answer = reader.response()
            took = time.monotonic() - started
            assert reader.closed()
        assert (status, answer["code"]) == (400, "40200"), answer
        assert (
            answer["msg"] == "Server upgrade, please try again later: the exchange is shutting down"
        )
        assert headers["connection"] == "close"
        assert took < 5
        assert srv.stop() == 0
    finally:
        srv.stop()
    again = ServerProcess(tmp_path / "data", ["--no-rate-limits"]).start()
    try:
        assert usdt(account(again, uid)) == "0"
    finally:
        again.stop()


@pytest.mark.parametrize("option", ["--header-timeout", "--body-timeout"])
@pytest.mark.parametrize("value", ["0", "0.05", "-1", "3601", "nan", "inf", "soon"])
def test_the_timeouts_are_bounded(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["serve", option, value])
    assert done.value.code == 2
    assert f"argument {option}: " in capsys.readouterr().err


def test_the_timeouts_default_to_10_s() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.header_timeout, args.body_timeout) == (10.0, 10.0)
    args = build_parser().parse_args(["serve", "--header-timeout", "0.1", "--body-timeout", "3600"])
    assert (args.header_timeout, args.body_timeout) == (0.1, 3600.0)


def test_the_sweep_runs_a_few_times_per_timeout_and_at_least_every_second() -> None:
    assert Limits(10, 10).interval == 1.0
    assert Limits(0.5, 2).interval == 0.125
    assert Limits(3, 0.4).interval == 0.1
    with pytest.raises(ValueError):
        Limits(0, 10)
