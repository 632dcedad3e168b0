"""The OpenAPI 3.1 document of the whole HTTP API, generated from the route table.

Because it is built from the same :data:`~openweex.api.routing.ROUTES` the app serves, a
test can compare the two and the document cannot drift from the routes.
"""

from __future__ import annotations

import re
from typing import Any

from openweex import __version__
from openweex.api.routing import RouteSpec

OPENAPI_PATH = "/openapi.json"
_ENVELOPE = {
    "type": "object",
    "required": ["code", "msg", "requestTime", "data"],
    "properties": {
        "code": {"type": "string"},
        "msg": {"type": "string"},
        "requestTime": {"type": "integer"},
        "data": {},
    },
}
_AUTH_HEADERS = ("ACCESS-KEY", "ACCESS-SIGN", "ACCESS-TIMESTAMP", "ACCESS-PASSPHRASE")
_JSON_TYPES = {
    "string": {"type": ["string", "number"]},
    "integer": {"type": ["integer", "string"]},
    "array": {"type": "array"},
}


def _param(name: str, where: str, required: bool, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": {"type": kind}}


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    """Path, query (non-POST) and header parameters of a route."""
    params = [
        _param(seg[1:-1].split(":")[0], "path", True, "integer")
        for seg in spec.path.split("/")
        if seg.startswith("{")
    ]
    if spec.method != "POST":
        params += [_param(n, "query", r) for n, _, r in spec.params]
    if spec.private:
        params += [_param(h, "header", True) for h in _AUTH_HEADERS]
    if spec.path.startswith("/admin/"):
        params.append(_param("X-Admin-Token", "header", True))
    return params


def _body(spec: RouteSpec) -> dict[str, Any]:
    """The JSON body of a POST route (parameters may also come as numbers)."""
    props = {n: _JSON_TYPES.get(t, {}) for n, t, _ in spec.params}
    required = [n for n, _, r in spec.params if r]
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return {"required": False, "content": {"application/json": {"schema": schema}}}


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds, rounded up, until the rate limit admits a request again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(spec: RouteSpec) -> dict[str, Any]:
    responses = {
        "200": _json("success", {"type": "object"} if spec.raw else _ENVELOPE),
        "400": _json("WEEX error envelope", _ENVELOPE),
        "429": _json("rate limited", _ENVELOPE) | {"headers": _RETRY_AFTER},
    }
    if spec.path.startswith("/admin/"):
        responses["401"] = _json("missing or wrong X-Admin-Token", _ENVELOPE)
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": spec.handler.__name__ + "_" + spec.method.lower(),
        "parameters": _parameters(spec),
        "responses": responses,
    }
    if spec.method == "POST":
        op["requestBody"] = _body(spec)
    return op


def openapi_document(routes: list[RouteSpec]) -> dict[str, Any]:
    """The document: one operation per route, plus ``GET /openapi.json`` itself."""
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        path = re.sub(r":\w+\}", "}", spec.path)
        paths.setdefault(path, {})[spec.method.lower()] = _operation(spec)
    paths[OPENAPI_PATH] = {
        "get": {
            "summary": "This document.",
            "operationId": "openapi_get",
            "responses": {
                "200": {
                    "description": "the OpenAPI document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "openweex: WEEX spot API", "version": __version__},
        "paths": paths,
    }
