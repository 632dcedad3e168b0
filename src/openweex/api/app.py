"""The ASGI application: WEEX REST endpoints, the admin API, ``/ws`` and ``/openapi.json``.

HTTP requests for the routes of :data:`~openweex.api.routing.ROUTES` go through one lean
dispatcher (a dict lookup by path, then by method) straight on the ASGI interface; WebSocket
connections and any extra routes are handed to an inner Starlette app. Each endpoint call
runs: shutdown check (40200), admin token (admin routes), authentication and permission
(private routes), rate limit (per API key on private routes, per client IP on public ones),
parameter decoding (query string, JSON body, path parameters), the handler, the WEEX
envelope. Unknown paths and methods, and unexpected failures, answer in the WEEX envelope
too (an unexpected failure is 40015 "System error", logged with its cause, never a stack
trace on the wire). One structured access-log line per request, without secrets: method,
path (never the query string), status, code and latency.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from openweex.api import wire
from openweex.api.auth import access_headers, authenticate
from openweex.api.params import Rejected, request_params
from openweex.api.ratelimit import RateLimiter
from openweex.api.routing import PATH_INT_DIGITS, ROUTES, Ctx, RouteSpec
from openweex.domain import errors
from openweex.domain.errors import Reject
from openweex.domain.markets import Markets
from openweex.engine.ledger import ApiKeyRecord
from openweex.runtime import Runtime, RuntimeStopped

access_log = logging.getLogger("openweex.access")
log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON_HEADER = (b"content-type", b"application/json")
_ADMIN_PREFIX = "/admin/"


class Throttled(NamedTuple):
    """A request over its rate limit: answered 429, with ``Retry-After`` from ``wait_ms``."""

    wait_ms: int


@dataclass
class Settings:
    admin_token: str = ""
    rate_limits: bool = True
    access_log: bool = True
    ws_queue_size: int = 4096
    max_body: int = 1 << 20  # larger request bodies are rejected (40017)
    extra: dict[str, Any] = field(default_factory=dict)


class Api:
    """What endpoints need: the runtime, the markets, limits and settings."""

    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        self.runtime = runtime
        self.markets: Markets = runtime.markets
        self.settings = settings
        self.limiter = RateLimiter(enabled=settings.rate_limits)
        self.hub: Any = None  # the WebSocket hub, when the app serves /ws
        self._closing = False
        # Formatted market data of the state after ``view_seq``: valid until a batch lands.
        self.view_cache: dict[tuple[Any, ...], Any] = {}
        self.view_seq = -1

    def lookup_key(self, key: str) -> ApiKeyRecord | None:
        return self.runtime.exchange.api_keys.get(key)

    def is_frozen(self, uid: int) -> bool:
        acct = self.runtime.exchange.accounts.get(uid)
        return acct is None or acct.frozen

    def begin_shutdown(self) -> None:
        """From now on every API request answers 40200 (server upgrade, try again later)."""
        self._closing = True

    @property
    def closing(self) -> bool:
        """True once shutdown began: here, or in the runtime (closing, or a fatal error)."""
        rt = self.runtime
        return self._closing or rt.closing


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def monotonic_ms() -> int:
    """The rate limits' clock: a step of the wall clock must not shift their windows."""
    return time.monotonic_ns() // 1_000_000


async def send_json(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [_JSON_HEADER, (b"content-length", str(len(body)).encode())]
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# Scope key: set by the server (openweex.api.slowclients) when it stopped waiting for the
# request's body, to the (HTTP status, Reject) to answer instead. The body then ends early.
BODY_CUT = "openweex.body_cut"
_GONE = (400, errors.reject(errors.PARAM_INVALID, "request body incomplete"))


class BodyNotRead(Exception):
    """The request's body did not come whole: answer ``status`` and ``reject``, run nothing."""

    def __init__(self, status: int, reject: Reject) -> None:
        super().__init__(reject.msg)
        self.status = status
        self.reject = reject


async def read_body(receive: Receive, limit: int, scope: Scope) -> bytes:
    """The whole request body; more than ``limit`` bytes is rejected (40017). A body that
    does not come whole (the client went away, the server stopped waiting for it:
    :data:`BODY_CUT`) raises :class:`BodyNotRead`: a request is never run on part of its
    body."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: the answer is dropped
            raise BodyNotRead(*scope.get(BODY_CUT, _GONE))
        chunk: bytes = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise Rejected(errors.reject(errors.PARAM_INVALID, "request body too large"))
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    cut = scope.get(BODY_CUT)
    if cut is not None:
        raise BodyNotRead(*cut)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def log_access(method: str, path: str, status: int, code: str, started: float) -> None:
    """One access-log line. The path is logged percent-encoded, as it came on the wire: a
    decoded one could carry spaces and ``key=value`` pairs that pass for the line's own."""
    if access_log.isEnabledFor(logging.INFO):
        ms = (time.perf_counter() - started) * 1000
        shown = quote(path, safe=_PATH_SAFE)
        access_log.info(
            "method=%s path=%s status=%d code=%s latency_ms=%.3f", method, shown, status, code, ms
        )


_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 path characters (and "%" is encoded)
STARTED = "openweex.started"  # scope key: when a request that falls through began


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


class Endpoint:
    """One route of the table, with everything it needs looked up once."""

    def __init__(self, api: Api, spec: RouteSpec) -> None:
        self.api = api
        self.spec = spec
        self.method = spec.method
        self.path = spec.path
        self.handler = spec.handler
        self.is_admin = spec.path.startswith(_ADMIN_PREFIX)
        self.private = spec.private
        self.log = api.settings.access_log
        # a public GET reads nothing from a body (nor signs one): do not wait for it
        self.reads_body = spec.method != "GET" or spec.private or self.is_admin

    def _check_admin(self, scope: Scope) -> Reject | None:
        given = b""
        for name, value in scope["headers"]:
            if name.lower() == b"x-admin-token":
                given = value
                break
        if not given:
            return errors.Reject(errors.MISSING_ACCESS_KEY, "X-Admin-Token header is required")
        token = self.api.settings.admin_token.encode()
        if not token or not hmac.compare_digest(given, token):
            return errors.Reject(errors.INVALID_ACCESS_KEY, "Invalid admin token")
        return None

    async def _run(
        self, scope: Scope, body: bytes, path_params: dict[str, Any] | None, now: int
    ) -> Any:
        api = self.api
        if api.closing:
            return errors.reject(errors.SERVER_UPGRADE, "the exchange is shutting down")
        ip = _client_ip(scope)
        key: ApiKeyRecord | None = None
        if self.is_admin:
            rej = self._check_admin(scope)
            if rej is not None:
                return rej
        elif self.private:
            res = authenticate(
                access_headers(scope["headers"]),
                self.method,
                scope["path"],
                scope["query_string"],
                body,
                ip,
                now,
                api.lookup_key,
                api.is_frozen,
                self.spec.permission,
            )
            if type(res) is Reject:
                return res
            assert isinstance(res, ApiKeyRecord)
            key = res
        if not self.is_admin:  # private routes count per API key, public ones per IP
            who = ip if key is None else key.api_key
            if wait_ms := api.limiter.wait_ms(who, self.path, monotonic_ms()):
                return Throttled(wait_ms)
        params = request_params(self.method, scope["query_string"], body, path_params)
        return await self.handler(Ctx(api, params, now, key, ip))

    def _render(self, data: Any, now: int) -> tuple[int, str, bytes]:
        if type(data) is Reject:
            status = errors.http_status(data.code)
            if self.is_admin and data.code in (
                errors.MISSING_ACCESS_KEY,
                errors.INVALID_ACCESS_KEY,
            ):
                status = 401
            return status, data.code, wire.error_body(data, now)
        if self.spec.raw:
            return 200, errors.SUCCESS, orjson.dumps(data)
        return 200, errors.SUCCESS, wire.ok_body(data, now)

    async def serve(
        self, scope: Scope, receive: Receive, send: Send, path_params: dict[str, Any] | None
    ) -> None:
        started = time.perf_counter()
        now = now_ms()
        status = 0  # the status of the answer when it is not the code's (_render)
        try:
            if self.reads_body:
                body = await read_body(receive, self.api.settings.max_body, scope)
            else:
                body = b""
            data = await self._run(scope, body, path_params, now)
        except BodyNotRead as exc:
            status, data = exc.status, exc.reject
        except Rejected as exc:
            data = exc.reject
        except RuntimeStopped:
            data = errors.reject(errors.SERVER_UPGRADE, "the exchange is shutting down")
        except Exception:
            log.exception("unexpected failure in %s %s", self.method, self.path)
            data = errors.reject(errors.SYSTEM_ERROR)
        extra = None
        if type(data) is Throttled:  # 429, and when to come back (whole seconds, rounded up)
            extra = [(b"retry-after", str(-(-data.wait_ms // 1000)).encode())]
            data = errors.reject(errors.TOO_FREQUENT)
        try:
            rendered, code, payload = self._render(data, now)
            status = status or rendered
        except Exception:  # e.g. a handler returned something that is not JSON-serialisable
            log.exception("cannot render the response of %s %s", self.method, self.path)
            status, code = 400, errors.SYSTEM_ERROR
            payload = wire.error_body(errors.reject(code), now)
        await send_json(send, status, payload, extra)
        if self.log:
            log_access(self.method, scope["path"], status, code, started)


Methods = dict[str, Callable[[Scope, Receive, Send, dict[str, Any] | None], Awaitable[None]]]


def _path_pattern(path: str) -> re.Pattern[str]:
    """A regex for a route path with ``{name:int}`` (or ``{name}``) segments."""
    out = []
    for seg in path.split("/"):
        m = re.fullmatch(r"\{(\w+)(?::(\w+))?\}", seg)
        if m is None:
            out.append(re.escape(seg))
        elif m.group(2) == "int":
            out.append(f"(?P<{m.group(1)}>[0-9]{{1,{PATH_INT_DIGITS}}})")
        else:
            out.append(f"(?P<{m.group(1)}>[^/]+)")
    return re.compile("/".join(out))


class WeexApp:
    """The ASGI app: the route table of :data:`ROUTES` plus an inner app for the rest."""

    def __init__(self, api: Api, specs: list[RouteSpec], fallback: ASGIApp) -> None:
        self.api = api
        self.fallback = fallback
        self.exact: dict[str, Methods] = {}
        self.patterns: list[tuple[re.Pattern[str], Methods]] = []
        self.specs = list(specs)
        by_pattern: dict[str, Methods] = {}
        for spec in specs:
            if "{" in spec.path:
                methods = by_pattern.setdefault(spec.path, {})
            else:
                methods = self.exact.setdefault(spec.path, {})
            methods[spec.method] = Endpoint(api, spec).serve
        for path, methods in by_pattern.items():
            self.patterns.append((_path_pattern(path), methods))

    def add(self, method: str, path: str, serve: Callable[..., Awaitable[None]]) -> None:
        self.exact.setdefault(path, {})[method] = serve

    def route_table(self) -> set[tuple[str, str]]:
        """Every (method, path) served over HTTP by the table, templates as ``{uid}``."""
        out = {(m, p) for p, methods in self.exact.items() for m in methods}
        out |= {(s.method, re.sub(r":\w+\}", "}", s.path)) for s in self.specs if "{" in s.path}
        return out

    def _find(self, path: str) -> tuple[Methods | None, dict[str, Any] | None]:
        methods = self.exact.get(path)
        if methods is not None:
            return methods, None
        for pattern, methods in self.patterns:
            m = pattern.fullmatch(path)
            if m is not None:
                return methods, {k: int(v) if v.isdigit() else v for k, v in m.groupdict().items()}
        return None, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        methods, path_params = self._find(scope["path"])
        if methods is None:
            scope[STARTED] = time.perf_counter()  # for the access log of a 404
            await self.fallback(scope, receive, send)
            return
        serve = methods.get(scope["method"])
        if serve is None:
            await _route_error(scope, send, 405, errors.METHOD_NOT_ALLOWED)
            return
        await serve(scope, receive, send, path_params)


async def _route_error(scope: Scope, send: Send, status: int, code: str) -> None:
    started = time.perf_counter()
    await send_json(send, status, wire.error_body(errors.reject(code), now_ms()))
    log_access(scope["method"], scope["path"], status, code, started)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = errors.METHOD_NOT_ALLOWED if exc.status_code == 405 else errors.NOT_FOUND
    status = 405 if exc.status_code == 405 else 404
    started = request.scope.get(STARTED)
    if started is None:
        started = time.perf_counter()
    log_access(request.method, request.scope["path"], status, code, started)
    body = wire.error_body(errors.reject(code), now_ms())
    return Response(body, status_code=status, media_type="application/json")


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s: %r", request.url.path, exc)
    body = wire.error_body(errors.reject(errors.SYSTEM_ERROR), now_ms())
    return Response(body, status_code=400, media_type="application/json")


def load_routes() -> list[RouteSpec]:
    """Import every endpoint module (registering its routes) and return the table."""
    from openweex.api.rest import account, admin, listenkeys, market, public, trade  # noqa: F401

    return ROUTES


def _static(body: bytes) -> Callable[..., Awaitable[None]]:
    async def serve(scope: Scope, receive: Receive, send: Send, _: Any) -> None:
        started = time.perf_counter()
        await send_json(send, 200, body)
        log_access(scope["method"], scope["path"], 200, errors.SUCCESS, started)

    return serve


def build_app(
    runtime: Runtime,
    settings: Settings,
    extra_routes: list[BaseRoute] | None = None,
    api: Api | None = None,
) -> WeexApp:
    """The ASGI app serving every route of :data:`ROUTES`, ``/openapi.json`` and
    ``extra_routes`` (e.g. the ``/ws`` WebSocket route)."""
    from openweex.api.openapi import OPENAPI_PATH, openapi_document

    api = api or Api(runtime, settings)
    routes = load_routes()
    inner = Starlette(
        routes=list(extra_routes or []),
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app = WeexApp(api, routes, inner)
    app.add("GET", OPENAPI_PATH, _static(orjson.dumps(openapi_document(routes))))
    return app
