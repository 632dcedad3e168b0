"""The OpenAPI 3.1 document of the whole HTTP API, generated from the route table.

Because it is built from the same :data:`~openweex.api.routing.ROUTES` the app serves, a
test can compare the two and the document cannot drift from the routes. Each operation
declares:

* its parameters (query, path, headers, or the JSON body of a POST) with the enumerations,
  bounds and patterns the endpoint's parsing enforces (:class:`~openweex.api.routing.Param`,
  built from the parsing's own constants);
* the schema of ``data`` on success (:mod:`openweex.api.schemas`; the whole body for the
  listen-key routes, which answer without the envelope);
* its rate limit (``x-rate-limit``, from :data:`~openweex.api.ratelimit.LIMITS`).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from openweex import __version__
from openweex.api.ratelimit import LIMITS
from openweex.api.routing import ARRAY, DECIMAL, INTEGER, PATH_INT_DIGITS, Param, RouteSpec
from openweex.api.schemas import COMPONENTS, ref
from openweex.domain.errors import SUCCESS
from openweex.domain.values import DECIMAL_PATTERN

OPENAPI_PATH = "/openapi.json"
_ERROR = ref("Error")
_ABOUT = """\
The WEEX spot REST API as openweex serves it, plus its operator API under /admin/v1.

* Success answers are the envelope {code: "00000", msg, requestTime, data}; the listen-key
  routes answer their object alone. Errors are the envelope with a WEEX code and data null.
* Numbers in answers are strings, as in WEEX: decimals exact and without trailing zeros,
  ids and millisecond times as digits (components Decimal, SignedDecimal, IntString).
* In a JSON body a number may be sent as a string and the other way round; an empty string
  or null is the same as leaving the parameter out.
* Enumerations, symbols and coins match case-insensitively (permissions excepted).
* x-capped-at: a larger value is accepted and answered as this one (a page size).
* x-rate-limit: requests per window (ms), counted per API key (private routes) or per
  client IP (public ones); over it, HTTP 429 with Retry-After. x-permission: what the API
  key needs.
"""
_AUTH_HEADERS = ("ACCESS-KEY", "ACCESS-SIGN", "ACCESS-TIMESTAMP", "ACCESS-PASSPHRASE")
_ADMIN = "/admin/"
_DIGITS = "^[0-9]+$"


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["code", "msg", "requestTime", "data"],
        "properties": {
            "code": {"const": SUCCESS},
            "msg": {"type": "string"},
            "requestTime": {"type": "integer", "description": "Unix time in ms"},
            "data": data,
        },
        "additionalProperties": False,
    }


def _markdown(text: str) -> str:
    """Docstring text as Markdown (``code`` becomes `code`)."""
    return text.replace("``", "`")


def _whole(pattern: str) -> str:
    """A Python full-match pattern as a JSON Schema (ECMA-262 search) pattern."""
    return f"^(?:{pattern})$"


def param_schema(p: Param, in_body: bool) -> dict[str, Any]:
    """The JSON Schema of one parameter. In a JSON body, numbers may come as strings and
    strings as numbers (see api/params.py); a query value is always text."""
    schema: dict[str, Any]
    if p.kind == INTEGER:
        schema = {"type": ["integer", "string"] if in_body else "integer"}
        if in_body:
            schema["pattern"] = _DIGITS
    elif p.kind == DECIMAL:
        schema = {"type": ["string", "number"] if in_body else "string"}
        schema["pattern"] = _whole(DECIMAL_PATTERN)
        if in_body:
            schema["minimum"] = 0
    elif p.kind == ARRAY:
        schema = {"type": "array"}
        if p.items is not None:
            schema["items"] = param_schema(p.items, True)
        elif p.fields:
            schema["items"] = _object(p.fields)
    elif p.enum:
        schema = {"type": "string"}
    else:
        schema = {"type": ["string", "number"] if in_body else "string"}
    rules = {
        "enum": list(p.enum) or None,
        "minimum": p.minimum,
        "maximum": p.maximum,
        "x-capped-at": p.cap,
        "default": p.default,
        "pattern": None if p.pattern is None else _whole(p.pattern),
        "maxLength": p.max_length,
        "minItems": p.min_items,
        "maxItems": p.max_items,
    }
    schema.update((k, v) for k, v in rules.items() if v is not None)
    if p.description:
        schema["description"] = p.description
    return schema


def _or_empty(schema: dict[str, Any], in_body: bool) -> dict[str, Any]:
    """The schema of an optional parameter, which may also be sent as "" (in a query or a
    body) or null (in a body): the same as leaving it out, see api/params.py."""
    out = dict(schema)
    types = [out["type"]] if isinstance(out["type"], str) else list(out["type"])
    if "string" not in types:
        types.append("string")
        out["maxLength"] = 0  # a number or a list: the only text it may be is ""
    out["type"] = [*types, "null"] if in_body else types
    if "enum" in out:
        out["enum"] = [*out["enum"], "", None] if in_body else [*out["enum"], ""]
    if "pattern" in out:
        out["pattern"] = "^$|" + out["pattern"]
    return out


def _declared(p: Param, in_body: bool) -> dict[str, Any]:
    """The schema of ``p`` as a request may send it: an optional one may also be empty."""
    schema = param_schema(p, in_body)
    return schema if p.required else _or_empty(schema, in_body)


def _object(params: tuple[Param, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {p.name: _declared(p, True) for p in params},
    }
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    return schema


def _header(name: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    """Path, query (non-POST) and header parameters of a route."""
    params: list[dict[str, Any]] = [
        {
            "name": seg[1:-1].split(":")[0],
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 10**PATH_INT_DIGITS - 1},
        }
        for seg in spec.path.split("/")
        if seg.startswith("{")
    ]
    if spec.method != "POST":
        params += [
            {
                "name": p.name,
                "in": "query",
                "required": p.required,
                "schema": _declared(p, False),
            }
            for p in spec.params
        ]
    if spec.private:
        params += [_header(h) for h in _AUTH_HEADERS]
    if spec.path.startswith(_ADMIN):
        params.append(_header("X-Admin-Token"))
    return params


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds, rounded up, until the rate limit admits a request again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _tag(path: str) -> str:
    """The section of the contract a path belongs to (public, market, ..., admin)."""
    if path.startswith(_ADMIN):
        return "admin"
    parts = path.strip("/").split("/")
    return parts[3] if len(parts) > 4 else parts[-1]


def _operation(spec: RouteSpec, methods_on_path: int) -> dict[str, Any]:
    success = spec.response if spec.raw else _envelope(spec.response)
    responses = {
        "200": _json("success", success),
        "400": _json("WEEX error envelope", _ERROR),
    }
    description = spec.description
    limit = None if spec.path.startswith(_ADMIN) else LIMITS.get(spec.path)
    if limit is not None:
        per = "API key" if spec.private else "client IP"
        shared = " (shared by every method of this path)" if methods_on_path > 1 else ""
        seconds = f"{limit.window_ms / 1000:g}"
        text = f"Rate limit: {limit.requests} requests per {seconds} s per {per}{shared}."
        description = f"{description}\n\n{text}" if description else text
        responses["429"] = _json("rate limited", _ERROR) | {"headers": _RETRY_AFTER}
    if spec.path.startswith(_ADMIN):
        responses["401"] = _json("missing or wrong X-Admin-Token", _ERROR)
    if "{" in spec.path:
        responses["404"] = _json(
            f"a path parameter that is not 1 to {PATH_INT_DIGITS} digits", _ERROR
        )
    op: dict[str, Any] = {
        "summary": _markdown(spec.summary),
        "operationId": spec.handler.__name__ + "_" + spec.method.lower(),
        "tags": [_tag(spec.path)],
        "parameters": _parameters(spec),
        "responses": responses,
    }
    if description:
        op["description"] = _markdown(description)
    if spec.permission is not None:
        op["x-permission"] = spec.permission
    if limit is not None:
        op["x-rate-limit"] = {
            "requests": limit.requests,
            "windowMs": limit.window_ms,
            "per": "apiKey" if spec.private else "ip",
        }
    if spec.method == "POST":
        op["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": _object(spec.params)}},
        }
    return op


def openapi_document(routes: list[RouteSpec]) -> dict[str, Any]:
    """The document: one operation per route, plus ``GET /openapi.json`` itself."""
    paths: dict[str, dict[str, Any]] = {}
    methods = Counter(spec.path for spec in routes)
    for spec in routes:
        path = re.sub(r":\w+\}", "}", spec.path)
        paths.setdefault(path, {})[spec.method.lower()] = _operation(spec, methods[spec.path])
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
        "info": {
            "title": "openweex: WEEX spot API",
            "version": __version__,
            "description": _ABOUT,
        },
        "paths": paths,
        "components": {"schemas": COMPONENTS},
    }
