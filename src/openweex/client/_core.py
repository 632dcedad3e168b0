"""The parts of a REST call that do no I/O, shared by the sync and async clients.

- :class:`Call` describes one request (endpoint, query, JSON body) and how to parse ``data``.
- :func:`build_request` turns it into an ``httpx.Request`` (POST bodies are compact JSON with
  ``Content-Type: application/json``; the signature covers exactly those bytes).
- :func:`decode_response` applies the envelope rules: HTTP 2xx with ``code`` "00000" (or
  "0" or "", or no envelope at all, as the listen-key endpoints answer) is success and yields
  ``data``; any other ``code`` raises even with HTTP 200; a non-2xx answer without an
  envelope raises by HTTP status.
- :func:`transport_error` wraps an ``httpx.TransportError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx

from ._wire import dumps, loads, text
from .endpoints import Endpoint
from .errors import InvalidResponseError, TransportError, error_for

T = TypeVar("T")

SUCCESS_CODES = frozenset({"00000", "0", ""})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One REST request and the parser of its ``data``."""

    endpoint: Endpoint
    parse: Callable[[object], T]
    params: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, object] | None = None


def build_request(http: httpx.Client | httpx.AsyncClient, call: Call[T]) -> httpx.Request:
    """The ``httpx.Request`` for ``call`` (not yet signed)."""
    endpoint = call.endpoint
    headers: dict[str, str] = {}
    content: bytes | None = None
    if endpoint.method == "POST":
        content = dumps(call.body or {})
        headers["Content-Type"] = "application/json"
    return http.build_request(
        endpoint.method,
        endpoint.path,
        params=dict(call.params) or None,
        content=content,
        headers=headers,
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_from_status(response: httpx.Response, body: object) -> Exception:
    msg = response.reason_phrase or "HTTP error"
    if isinstance(body, Mapping):
        msg = text(body.get("msg", body.get("message")), msg)
    elif isinstance(body, str) and body.strip():
        msg = body.strip()[:200]
    status = response.status_code
    return error_for(str(status), msg, status, retry_after=_retry_after(response))


def decode_response(response: httpx.Response) -> object:
    """The ``data`` of a successful answer; raises the mapped error otherwise."""
    status = response.status_code
    ok = 200 <= status < 300
    try:
        body = loads(response.content)
    except ValueError:
        if ok:
            raise InvalidResponseError(f"response is not JSON (HTTP {status})") from None
        raise _error_from_status(response, response.text) from None
    envelope = {str(k).strip(): v for k, v in body.items()} if isinstance(body, Mapping) else None
    if envelope is None or "code" not in envelope:
        if ok:
            return body
        raise _error_from_status(response, envelope)
    code = text(envelope.get("code")).strip()
    if code in SUCCESS_CODES:
        if ok:
            return envelope.get("data")
        raise _error_from_status(response, envelope)
    msg = text(envelope.get("msg", envelope.get("message")), "")
    raise error_for(code, msg, status, retry_after=_retry_after(response))


def transport_error(exc: httpx.TransportError, endpoint: Endpoint) -> TransportError:
    """Wrap an httpx transport failure; ``request_sent`` is False for connect-phase errors."""
    sent = not isinstance(exc, _NOT_SENT)
    detail = str(exc) or type(exc).__name__
    return TransportError(f"{endpoint}: {detail}", request_sent=sent)
