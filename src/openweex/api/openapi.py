"""The OpenAPI 3.1 document of the whole HTTP API, generated from the route table.

Because it is built from the same :data:`~openweex.api.routing.ROUTES` the app serves, a
test can compare the two and the document cannot drift from the routes.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openweex import __version__
from openweex.api.routing import RouteSpec

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


def _operation(spec: RouteSpec) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    path_params = [seg[1:].split(":")[0] for seg in spec.path.split("/") if seg.startswith("{")]
    for name in path_params:
        params.append(
            {
                "name": name.rstrip("}"),
                "in": "path",
                "required": True,
                "schema": {"type": "integer"},
            }
        )
    body: dict[str, Any] = {}
    if spec.method == "POST":
        props = {n: _JSON_TYPES.get(t, {}) for n, t, _ in spec.params}
        required = [n for n, _, r in spec.params if r]
        schema: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            schema["required"] = required
        body = {
            "requestBody": {"required": False, "content": {"application/json": {"schema": schema}}}
        }
    else:
        for n, _, r in spec.params:
            params.append({"name": n, "in": "query", "required": r, "schema": {"type": "string"}})
    if spec.private:
        for h in _AUTH_HEADERS:
            params.append(
                {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
            )
    if spec.path.startswith("/admin/"):
        params.append(
            {
                "name": "X-Admin-Token",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            }
        )
    ok_schema: dict[str, Any] = {"type": "object"} if spec.raw else _ENVELOPE
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": spec.handler.__name__ + "_" + spec.method.lower(),
        "parameters": params,
        "responses": {
            "200": {
                "description": "success",
                "content": {"application/json": {"schema": ok_schema}},
            },
            "400": {
                "description": "WEEX error envelope",
                "content": {"application/json": {"schema": _ENVELOPE}},
            },
            "429": {
                "description": "rate limited",
                "content": {"application/json": {"schema": _ENVELOPE}},
            },
        },
    }
    if spec.private:
        op["responses"]["401"] = {"description": "unauthorised"}
    op.update(body)
    return op


def openapi_document(routes: list[RouteSpec]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        path = spec.path.replace(":int}", "}")
        paths.setdefault(path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "openweex: WEEX spot API", "version": __version__},
        "paths": paths,
    }


def openapi_route(routes: list[RouteSpec]) -> Route:
    body = orjson.dumps(openapi_document(routes))

    async def serve(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Route("/openapi.json", serve, methods=["GET"])
