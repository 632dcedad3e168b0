"""``/openapi.json`` stays true: the same routes and methods as the app, each one served."""

from __future__ import annotations

from typing import Any

import openapi_spec_validator

from openweex.api.app import load_routes
from openweex.api.openapi import openapi_document
from tests.api.helpers import ADMIN_TOKEN, InProc

METHODS = {"get", "post", "put", "delete", "patch", "head", "options"}


def documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if m in METHODS}


async def test_document_matches_the_app(ex: InProc) -> None:
    r = await ex.http.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc == openapi_document(load_routes())
    assert doc["openapi"].startswith("3.")
    assert documented(doc) == ex.app.route_table()


async def test_every_documented_operation_is_served(ex: InProc) -> None:
    doc = (await ex.http.get("/openapi.json")).json()
    for method, path in sorted(documented(doc)):
        url = path.replace("{uid}", "10001")
        r = await ex.http.request(method, url, headers={"X-Admin-Token": ADMIN_TOKEN})
        assert r.status_code not in (404, 405), (method, path, r.text)
        assert r.status_code < 500


async def test_private_operations_declare_auth_headers(ex: InProc) -> None:
    doc = (await ex.http.get("/openapi.json")).json()
    for spec in load_routes():
        path = spec.path.replace(":int}", "}")
        op = doc["paths"][path][spec.method.lower()]
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        if spec.private:
            assert headers >= {"ACCESS-KEY", "ACCESS-SIGN", "ACCESS-TIMESTAMP", "ACCESS-PASSPHRASE"}
        elif spec.path.startswith("/admin/"):
            assert headers == {"X-Admin-Token"}
        else:
            assert not headers, path
        declared = {p["name"] for p in op["parameters"] if p["in"] == "query"}
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        declared |= set(body.get("schema", {}).get("properties", {}))
        assert declared == {p.name for p in spec.params}, path


def test_document_is_valid_openapi() -> None:
    openapi_spec_validator.validate(openapi_document(load_routes()))


def test_rate_limited_answers_declare_retry_after() -> None:
    doc = openapi_document(load_routes())
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method in METHODS and "429" in op["responses"]:
                assert "Retry-After" in op["responses"]["429"]["headers"], (method, path)


def _body(doc: dict[str, Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["paths"][path]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


def test_bodies_declare_what_the_server_reads() -> None:
    """The admin bodies name their fields; a market order needs no force nor price."""
    doc = openapi_document(load_routes())
    funds = ["uid", "coin", "amount"]
    for path, required in (
        ("/admin/v1/api-keys", ["uid", "passphrase"]),
        ("/admin/v1/deposits", funds),
        ("/admin/v1/withdrawals", funds),
        ("/admin/v1/transfers", [*funds, "fromType", "toType"]),
        ("/api/spot/v1/trade/orders", ["symbol", "side", "orderType", "quantity"]),
    ):
        body = _body(doc, path)
        assert body["required"] == required, path
        assert set(required) <= set(body["properties"]), path
    assert {"permissions", "ipWhitelist"} <= set(_body(doc, "/admin/v1/api-keys")["properties"])
    assert {"force", "price"} <= set(_body(doc, "/api/spot/v1/trade/orders")["properties"])
