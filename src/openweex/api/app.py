"""The ASGI application: WEEX REST endpoints, the admin API, ``/ws`` and ``/openapi.json``.

One generic dispatcher wraps every endpoint: rate limit, authentication and permission
check, parameter decoding (query string for GET/DELETE, JSON body for POST, path parameters),
the call, and the WEEX envelope. Unknown paths and methods, and unexpected failures, answer
in the WEEX envelope too (an unexpected failure is 40015 "System error", logged with its
cause, never a stack trace on the wire). One structured access-log line per request.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from openweex.api import wire
from openweex.api.params import Rejected
from openweex.api.ratelimit import RateLimiter
from openweex.api.routing import ROUTES, Ctx, RouteSpec
from openweex.domain import errors
from openweex.domain.errors import Reject
from openweex.domain.markets import Markets
from openweex.runtime import Runtime, RuntimeStopped

access_log = logging.getLogger("openweex.access")
log = logging.getLogger(__name__)
JSON = "application/json"


@dataclass
class Settings:
    admin_token: str = ""
    rate_limits: bool = True
    access_log: bool = True
    ws_queue_size: int = 1024
    extra: dict[str, Any] = field(default_factory=dict)


class Api:
    """What endpoints need: the runtime, the markets, limits and settings."""

    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        self.runtime = runtime
        self.markets: Markets = runtime.markets
        self.settings = settings
        self.limiter = RateLimiter(enabled=settings.rate_limits)
        self.hub: Any = None  # the WebSocket hub, when the app serves /ws

    def lookup_key(self, key: str) -> Any:
        return self.runtime.exchange.api_keys.get(key)

    def is_frozen(self, uid: int) -> bool:
        acct = self.runtime.exchange.accounts.get(uid)
        return acct is None or acct.frozen


def _respond(status: int, body: bytes) -> Response:
    return Response(body, status_code=status, media_type=JSON)


def _log(request: Request, status: int, code: str, started: float) -> None:
    if access_log.isEnabledFor(logging.INFO):
        ms = (time.perf_counter() - started) * 1000
        access_log.info(
            "method=%s path=%s status=%d code=%s latency_ms=%.3f",
            request.method,
            request.url.path,
            status,
            code,
            ms,
        )


async def _params(request: Request, spec: RouteSpec, body: bytes) -> dict[str, Any] | Reject:
    params: dict[str, Any] = dict(request.query_params)
    if spec.method == "POST" and body.strip():
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            return errors.reject(errors.INVALID_CONTENT_TYPE, "the body is not JSON")
        if not isinstance(decoded, dict):
            return errors.reject(errors.PARAM_INVALID, "the body must be a JSON object")
        params.update(decoded)
    elif spec.method in ("PUT", "DELETE") and body.strip():
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            for k, v in decoded.items():
                params.setdefault(k, v)
    params.update(request.path_params)
    return params


def _check_admin(api: Api, request: Request) -> Reject | None:
    given = request.headers.get("x-admin-token", "")
    if not given:
        return errors.Reject(errors.MISSING_ACCESS_KEY, "X-Admin-Token header is required")
    if not hmac.compare_digest(given.encode(), api.settings.admin_token.encode()):
        return errors.Reject(errors.INVALID_ACCESS_KEY, "Invalid admin token")
    return None


async def _handle(api: Api, spec: RouteSpec, request: Request, now: int) -> Reject | Any:
    body = await request.body()
    ip = request.client.host if request.client else ""
    is_admin = spec.path.startswith("/admin/")
    if is_admin:
        rej = _check_admin(api, request)
        if rej is not None:
            return rej
    who = ip
    if spec.private:
        who = request.headers.get("access-key") or request.headers.get("access_key") or ip
    if not is_admin and not api.limiter.allow(who, spec.path, now):
        return errors.reject(errors.TOO_FREQUENT)
    key = None
    if spec.private:
        from openweex.api.auth import authenticate

        res = authenticate(
            request.headers,
            spec.method,
            request.url.path,
            request.url.query,
            body,
            ip,
            now,
            api.lookup_key,
            api.is_frozen,
            spec.permission,
        )
        if isinstance(res, Reject):
            return res
        key = res
    params = await _params(request, spec, body)
    if isinstance(params, Reject):
        return params
    return await spec.handler(Ctx(api, params, now, key, ip))


def _endpoint(api: Api, spec: RouteSpec) -> Any:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        now = time.time_ns() // 1_000_000
        try:
            data = await _handle(api, spec, request, now)
        except Rejected as exc:
            data = exc.reject
        except RuntimeStopped:
            data = errors.reject(errors.SERVER_UPGRADE, "the exchange is shutting down")
        except Exception:
            log.exception("unexpected failure in %s %s", spec.method, spec.path)
            data = errors.reject(errors.SYSTEM_ERROR)
        if isinstance(data, Reject):
            status = errors.http_status(data.code)
            if spec.path.startswith("/admin/") and data.code in ("40001", "40006"):
                status = 401
            _log(request, status, data.code, started)
            return _respond(status, wire.error_body(data, now))
        _log(request, 200, errors.SUCCESS, started)
        if spec.raw:
            return _respond(200, orjson.dumps(data))
        return _respond(200, wire.ok_body(data, now))

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    now = time.time_ns() // 1_000_000
    assert isinstance(exc, HTTPException)
    code = errors.METHOD_NOT_ALLOWED if exc.status_code == 405 else errors.NOT_FOUND
    _log(request, exc.status_code, code, time.perf_counter())
    return _respond(exc.status_code, wire.error_body(errors.reject(code), now))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s: %r", request.url.path, exc)
    now = time.time_ns() // 1_000_000
    return _respond(500, wire.error_body(errors.reject(errors.SYSTEM_ERROR), now))


def load_routes() -> list[RouteSpec]:
    """Import every endpoint module (registering its routes) and return the table."""
    from openweex.api.rest import account, admin, listenkeys, market, public, trade  # noqa: F401

    return ROUTES


def build_app(
    runtime: Runtime,
    settings: Settings,
    extra_routes: list[BaseRoute] | None = None,
    api: Api | None = None,
) -> Starlette:
    """The Starlette app serving every route of :data:`ROUTES` (and ``extra_routes``)."""
    api = api or Api(runtime, settings)
    by_path: dict[str, list[RouteSpec]] = {}
    for spec in load_routes():
        by_path.setdefault(spec.path, []).append(spec)
    routes: list[BaseRoute] = []
    for path, specs in by_path.items():
        for spec in specs:
            routes.append(Route(path, _endpoint(api, spec), methods=[spec.method]))
    from openweex.api.openapi import openapi_route

    routes.append(openapi_route(load_routes()))
    routes.extend(extra_routes or [])
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.api = api
    return app
