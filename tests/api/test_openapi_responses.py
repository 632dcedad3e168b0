"""``/openapi.json`` tells the truth about answers and parameters.

Every documented operation is driven on its success path against an in-process exchange
with a market (a maker's bid and ask, a trade, open, filled and cancelled orders, a transfer,
a listen key), and the real answer is validated against the schema the document declares
for it. Answers hold no empty list, so each item schema is exercised too.

Then every parameter rule the document declares is put to the server: a required parameter
left out is refused; each value of an enumeration is accepted (so is the smallest ``limit``
and one above its cap); a value the declared schema refuses (outside an enumeration, a
bound, a pattern, a length or an item count) is refused by the server.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from openweex.api.app import load_routes
from openweex.api.openapi import OPENAPI_PATH, openapi_document
from openweex.api.routing import RouteSpec
from tests.api.helpers import ADMIN_TOKEN, ORDERS, InProc, limit_order
from tests.support.server import User

P = "/api/spot/v1"
SYM = "BTCUSDT_SPBL"
LK = "/api/v3/userDataStream"
ADMIN = "admin"  # who sends an admin call
DOC = openapi_document(load_routes())
SUCCESS = "00000"


def template(spec: RouteSpec) -> str:
    return re.sub(r":\w+\}", "}", spec.path)


OPERATIONS = sorted({(s.method, template(s)) for s in load_routes()} | {("GET", OPENAPI_PATH)})


def operation(method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = DOC["paths"][path][method.lower()]
    return op


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema``, whose references point into the document's components."""
    return Draft202012Validator({**schema, "components": DOC["components"]})


@dataclass
class Call:
    who: User | str | None  # a user, ADMIN, or None for a public call
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    """An exchange with a market in BTCUSDT: the maker bids 10000 and asks 90000 (one BTC
    each); the trader sold 0.01 BTC to the bid, rests a buy at 10000, had a buy cancelled
    and moved 10 USDT to CONTRACT; it also holds a listen key."""

    ex: InProc
    maker: User
    trader: User
    filled_id: str = ""
    listen_key: str = ""

    @classmethod
    async def build(cls, ex: InProc) -> World:
        maker = await ex.new_user({"USDT": "10000000", "BTC": "100"})
        trader = await ex.new_user({"USDT": "1000000", "BTC": "10"})
        w = cls(ex, maker, trader)
        await ex.ok(maker, "POST", ORDERS, body=limit_order("buy", "10000", "1"))
        await ex.ok(maker, "POST", ORDERS, body=limit_order("sell", "90000", "1"))
        sold = await ex.ok(trader, "POST", ORDERS, body=limit_order("sell", "10000", "0.01"))
        w.filled_id = sold["orderId"]
        await w.place()
        cancelled = await w.place()
        body = {"symbol": SYM, "orderId": cancelled}
        await ex.ok(trader, "POST", P + "/trade/cancel-order", body=body)
        await ex.admin(
            "POST",
            "/transfers",
            {
                "uid": trader.uid,
                "coin": "USDT",
                "amount": "10",
                "fromType": "SPOT",
                "toType": "CONTRACT",
            },
        )
        w.listen_key = (await ex.call(trader, "POST", LK)).json()["listenKey"]
        return w

    async def place(self) -> str:
        """A buy of the trader resting at 10000; its orderId."""
        data = await self.ex.ok(
            self.trader, "POST", ORDERS, body=limit_order("buy", "10000", "0.001")
        )
        return str(data["orderId"])

    async def send(self, call: Call) -> httpx.Response:
        if call.who == ADMIN:
            get = call.method in ("GET", "DELETE")
            return await self.ex.http.request(
                call.method,
                call.path,
                params=call.params if get else None,
                json=None if get else call.params,
                headers={"X-Admin-Token": ADMIN_TOKEN},
            )
        user = call.who if isinstance(call.who, User) else None
        if call.method == "POST":
            return await self.ex.call(user, call.method, call.path, body=call.params)
        query = {k: str(v) for k, v in call.params.items()}
        return await self.ex.call(user, call.method, call.path, params=query)


def _item(**extra: Any) -> dict[str, Any]:
    return {k: v for k, v in limit_order("buy", "10000", "0.001").items() if k != "symbol"} | extra


async def _new_uid(w: World) -> str:
    return str((await w.ex.admin("POST", "/accounts"))["uid"])


async def _deleted_key(w: World) -> Call:
    key = (await w.ex.call(w.trader, "POST", LK)).json()["listenKey"]
    return Call(w.trader, "DELETE", LK, {"listenKey": key})


async def _freeze(w: World, what: str) -> Call:
    return Call(ADMIN, "POST", f"/admin/v1/accounts/{await _new_uid(w)}/{what}")


async def _cancel_batch(w: World) -> Call:
    ids = [await w.place(), await w.place()]
    return Call(
        w.trader, "POST", P + "/trade/cancel-batch-orders", {"symbol": SYM, "orderIds": ids}
    )


def _funds(w: World, amount: str) -> dict[str, Any]:
    return {"uid": w.trader.uid, "coin": "USDT", "amount": amount}


Base = Callable[[World], Awaitable[Call]]


def _fixed(make: Callable[[World], Call]) -> Base:
    async def base(w: World) -> Call:
        return make(w)

    return base


async def _cancel_one(w: World) -> Call:
    body = {"symbol": SYM, "orderId": await w.place()}
    return Call(w.trader, "POST", P + "/trade/cancel-order", body)


# A request that succeeds, per operation (made afresh for each use: it may spend an order).
BASES: dict[tuple[str, str], Base] = {
    ("GET", P + "/public/time"): _fixed(lambda w: Call(None, "GET", P + "/public/time")),
    ("GET", P + "/public/currencies"): _fixed(
        lambda w: Call(None, "GET", P + "/public/currencies")
    ),
    ("GET", P + "/public/products"): _fixed(lambda w: Call(None, "GET", P + "/public/products")),
    ("GET", P + "/public/product"): _fixed(
        lambda w: Call(None, "GET", P + "/public/product", {"symbol": SYM})
    ),
    ("GET", P + "/market/ticker"): _fixed(
        lambda w: Call(None, "GET", P + "/market/ticker", {"symbol": SYM})
    ),
    ("GET", P + "/market/tickers"): _fixed(lambda w: Call(None, "GET", P + "/market/tickers")),
    ("GET", P + "/market/fills"): _fixed(
        lambda w: Call(None, "GET", P + "/market/fills", {"symbol": SYM})
    ),
    ("GET", P + "/market/candles"): _fixed(
        lambda w: Call(None, "GET", P + "/market/candles", {"symbol": SYM, "period": "1min"})
    ),
    ("GET", P + "/market/depth"): _fixed(
        lambda w: Call(None, "GET", P + "/market/depth", {"symbol": SYM})
    ),
    ("GET", P + "/account/assets"): _fixed(lambda w: Call(w.trader, "GET", P + "/account/assets")),
    ("POST", P + "/account/bills"): _fixed(lambda w: Call(w.trader, "POST", P + "/account/bills")),
    ("GET", P + "/account/transferRecords"): _fixed(
        lambda w: Call(w.trader, "GET", P + "/account/transferRecords")
    ),
    ("POST", ORDERS): _fixed(lambda w: Call(w.trader, "POST", ORDERS, {"symbol": SYM, **_item()})),
    ("POST", P + "/trade/batch-orders"): _fixed(
        lambda w: Call(
            w.trader,
            "POST",
            P + "/trade/batch-orders",
            # the second item has more decimals than the price scale: it fails alone
            {"symbol": SYM, "orderList": [_item(), _item(price="10000.001", clientOrderId="x")]},
        )
    ),
    ("POST", P + "/trade/cancel-order"): _cancel_one,
    ("POST", P + "/trade/cancel-batch-orders"): _cancel_batch,
    ("POST", P + "/trade/orderInfo"): _fixed(
        lambda w: Call(
            w.trader, "POST", P + "/trade/orderInfo", {"symbol": SYM, "orderId": w.filled_id}
        )
    ),
    ("POST", P + "/trade/open-orders"): _fixed(
        lambda w: Call(w.trader, "POST", P + "/trade/open-orders", {"symbol": SYM})
    ),
    ("POST", P + "/trade/history"): _fixed(
        lambda w: Call(w.trader, "POST", P + "/trade/history", {"symbol": SYM})
    ),
    ("POST", P + "/trade/fills"): _fixed(
        lambda w: Call(w.trader, "POST", P + "/trade/fills", {"symbol": SYM})
    ),
    ("POST", LK): _fixed(lambda w: Call(w.trader, "POST", LK)),
    ("GET", LK): _fixed(lambda w: Call(w.trader, "GET", LK)),
    ("PUT", LK): _fixed(lambda w: Call(w.trader, "PUT", LK, {"listenKey": w.listen_key})),
    ("DELETE", LK): _deleted_key,
    ("POST", "/admin/v1/accounts"): _fixed(lambda w: Call(ADMIN, "POST", "/admin/v1/accounts")),
    ("POST", "/admin/v1/api-keys"): _fixed(
        lambda w: Call(
            ADMIN,
            "POST",
            "/admin/v1/api-keys",
            {"uid": w.trader.uid, "passphrase": "pass", "ipWhitelist": ["10.0.0.1"]},
        )
    ),
    ("POST", "/admin/v1/deposits"): _fixed(
        lambda w: Call(ADMIN, "POST", "/admin/v1/deposits", _funds(w, "5"))
    ),
    ("POST", "/admin/v1/withdrawals"): _fixed(
        lambda w: Call(ADMIN, "POST", "/admin/v1/withdrawals", _funds(w, "1"))
    ),
    ("POST", "/admin/v1/transfers"): _fixed(
        lambda w: Call(
            ADMIN,
            "POST",
            "/admin/v1/transfers",
            {**_funds(w, "1"), "fromType": "SPOT", "toType": "CONTRACT"},
        )
    ),
    ("POST", "/admin/v1/accounts/{uid}/freeze"): lambda w: _freeze(w, "freeze"),
    ("POST", "/admin/v1/accounts/{uid}/unfreeze"): lambda w: _freeze(w, "unfreeze"),
    ("GET", "/admin/v1/accounts/{uid}"): _fixed(
        lambda w: Call(ADMIN, "GET", f"/admin/v1/accounts/{w.trader.uid}")
    ),
    ("POST", "/admin/v1/snapshot"): _fixed(lambda w: Call(ADMIN, "POST", "/admin/v1/snapshot")),
    ("GET", OPENAPI_PATH): _fixed(lambda w: Call(None, "GET", OPENAPI_PATH)),
}


def test_every_operation_has_a_request() -> None:
    assert sorted(BASES) == OPERATIONS


def test_every_route_declares_its_answer() -> None:
    for spec in load_routes():
        assert spec.response, (spec.method, spec.path)


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema (one with ``properties``) inside ``schema``."""
    if isinstance(schema, list):
        return [o for s in schema for o in _objects(s)]
    if not isinstance(schema, dict):
        return []
    found = [schema] if "properties" in schema else []
    return found + [o for v in schema.values() for o in _objects(v)]


def test_answer_objects_are_closed() -> None:
    """Each declared answer object lists all its fields: a new field must be declared."""
    answers = [
        op["responses"]["200"]["content"]["application/json"]["schema"]
        for path, ops in DOC["paths"].items()
        for op in ops.values()
        if path != OPENAPI_PATH
    ]
    for obj in _objects([DOC["components"]["schemas"], answers]):
        assert obj.get("additionalProperties") is False, obj
        assert sorted(obj["required"]) == sorted(obj["properties"]), obj


def _empty_lists(value: Any, at: str = "") -> list[str]:
    if isinstance(value, list):
        return [at] if not value else [e for v in value for e in _empty_lists(v, at + "[]")]
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _empty_lists(v, f"{at}.{k}")]
    return []


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
async def test_answer_matches_its_schema(ex: InProc, method: str, path: str) -> None:
    w = await World.build(ex)
    r = await w.send(await BASES[(method, path)](w))
    assert r.status_code == 200, r.text
    body = r.json()
    schema = operation(method, path)["responses"]["200"]["content"]["application/json"]["schema"]
    problems = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator(schema).iter_errors(body)
    ]
    assert not problems, problems
    if path != OPENAPI_PATH:  # (checked by test_openapi.py)
        assert not _empty_lists(body), _empty_lists(body)


# -- parameters -------------------------------------------------------------------------------
# Values to try against each declared parameter schema; those it refuses must be refused.
CANDIDATES: list[Any] = ["nope", "bad value!", "é", "\x01a", "1e5", "-1", "1.2.3", "x" * 41]


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type", [])
    return [t] if isinstance(t, str) else list(t)


def _as_declared(value: Any, schema: dict[str, Any], in_body: bool) -> Any:
    """``value`` as the schema of a query parameter sees it: text of digits is a number."""
    digits = isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value) is not None
    if digits and not in_body and "integer" in _types(schema):
        return int(value)
    return value


def _scalar_values(schema: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """(values the schema admits that the server must accept, values to try for refusal)."""
    # "" and null in an optional parameter's enumeration mean "left out", not a value
    good: list[Any] = [v for v in schema.get("enum", []) if v not in ("", None)]
    bad = list(CANDIDATES)
    if "minimum" in schema:
        bad.append(schema["minimum"] - 1)
        if "x-capped-at" in schema:  # a page size: the least and above the cap are fine
            good += [schema["minimum"], schema["x-capped-at"] + 1]
    if "maximum" in schema:
        bad.append(schema["maximum"] + 1)
    if "maxLength" in schema:
        bad.append("a" * (schema["maxLength"] + 1))
    return good, bad


def _refused(schema: dict[str, Any], values: list[Any], in_body: bool) -> list[Any]:
    v = validator(schema)
    return [x for x in values if not v.is_valid(_as_declared(x, schema, in_body))]


@dataclass
class Probe:
    """One request of a parameter check: what to set, and whether it must succeed."""

    name: str
    value: Any
    accept: bool
    item: bool = False  # set in the first item of ``orderList`` instead of the request
    drop: bool = False  # leave the parameter out


def _probes(schema: dict[str, Any], name: str, required: bool, in_body: bool) -> list[Probe]:
    out = [Probe(name, None, False, drop=True)] if required else []
    if "array" in _types(schema):
        items = schema.get("items", {})
        if "minItems" in schema:
            out.append(Probe(name, [], False))
        if "maxItems" in schema:
            out.append(Probe(name, "repeat", False))
        if "properties" in items:  # a list of objects: each field probed in the first item
            for field_name, field_schema in items["properties"].items():
                need = field_name in items.get("required", [])
                for p in _probes(field_schema, field_name, need, True):
                    p.item = True
                    out.append(p)
        elif items:
            good, bad = _scalar_values(items)
            out += [Probe(name, [g], True) for g in good]
            out += [Probe(name, [b], False) for b in _refused(items, bad, True)]
        return out
    good, bad = _scalar_values(schema)
    out += [Probe(name, g, True) for g in good]
    out += [Probe(name, b, False) for b in _refused(schema, bad, in_body)]
    return out


def _fix_order(order: dict[str, Any], probed: str) -> None:
    """Keep an order valid around the probed field: a sell rests at 90000 and a buy at
    10000 (neither trades at once), but a fill-or-kill order takes the maker's order on the
    other side (else it is refused, 43116); a market buy spends 100 USDT."""
    side = str(order.get("side", "")).lower()
    if probed != "price":
        takes = str(order.get("force", "")).lower() == "fok"
        order["price"] = "90000" if (side == "sell") != takes else "10000"
    if probed != "quantity":
        market_buy = str(order.get("orderType", "")).lower() == "market" and side == "buy"
        order["quantity"] = "100" if market_buy else "0.001"


def _fix_transfer(body: dict[str, Any], probed: str) -> None:
    """One side of a transfer is SPOT, the other not."""
    other = {"fromType": "toType", "toType": "fromType"}.get(probed)
    if other is not None:
        body[other] = "CONTRACT" if str(body[probed]).upper() == "SPOT" else "SPOT"


def _apply(call: Call, probe: Probe) -> None:
    target = call.params
    if probe.item:
        target = dict(call.params["orderList"][0])
        call.params["orderList"] = [target]
    if probe.drop:
        target.pop(probe.name, None)
    elif probe.value == "repeat":
        target[probe.name] = target[probe.name][:1] * (len(target[probe.name]) + 50)
    else:
        target[probe.name] = probe.value
    if call.path in (ORDERS, P + "/trade/batch-orders") and not probe.drop:
        _fix_order(target, probe.name)
    if call.path == "/admin/v1/transfers" and not probe.drop:
        _fix_transfer(target, probe.name)


def _verdict(r: httpx.Response, probe: Probe) -> bool:
    """Whether the server accepted the probed value."""
    body = r.json()
    if "code" not in body:  # an answer without the envelope (listen keys)
        return r.status_code == 200
    if body["code"] != SUCCESS:
        return False
    if probe.item:  # a batch answers success; the item is placed or is a failure
        return not body["data"]["failure"]
    return True


def _declared(method: str, path: str) -> list[tuple[str, dict[str, Any], bool, bool]]:
    """(name, schema, required, in_body) of each query or body parameter."""
    op = operation(method, path)
    out = [
        (p["name"], p["schema"], p["required"], False)
        for p in op.get("parameters", [])
        if p["in"] == "query"
    ]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = body.get("schema", {})
    for name, prop in schema.get("properties", {}).items():
        out.append((name, prop, name in schema.get("required", []), True))
    return out


PROBED = [
    (method, path, name)
    for method, path in OPERATIONS
    for name, schema, required, in_body in _declared(method, path)
    if _probes(schema, name, required, in_body)
]


def test_the_rules_of_the_orders_are_probed() -> None:
    names = {(path, name) for _, path, name in PROBED}
    assert {(ORDERS, n) for n in ("side", "orderType", "force", "quantity")} <= names
    assert (P + "/market/depth", "type") in names
    assert (P + "/market/candles", "period") in names
    assert (P + "/account/bills", "groupType") in names


@pytest.mark.parametrize(("method", "path", "name"), PROBED)
async def test_declared_rules_are_the_servers(
    ex: InProc, method: str, path: str, name: str
) -> None:
    w = await World.build(ex)
    [(schema, required, in_body)] = [
        (s, r, b) for n, s, r, b in _declared(method, path) if n == name
    ]
    wrong = []
    for probe in _probes(schema, name, required, in_body):
        call = await BASES[(method, path)](w)
        _apply(call, probe)
        r = await w.send(call)
        if _verdict(r, probe) != probe.accept:
            wrong.append((probe, r.text[:200]))
        elif r.status_code != 200:  # a refusal is the declared error envelope
            declared = operation(method, path)["responses"][str(r.status_code)]
            error = declared["content"]["application/json"]["schema"]
            assert validator(error).is_valid(r.json()), r.text
    assert not wrong, wrong


# -- rate limits ------------------------------------------------------------------------------
LIMITED = [(m, p) for m, p in OPERATIONS if "x-rate-limit" in operation(m, p)]


def test_public_and_private_operations_declare_their_limits() -> None:
    assert len(LIMITED) == len([s for s in load_routes() if not s.path.startswith("/admin/")])


@pytest.mark.parametrize(("method", "path"), LIMITED)
async def test_declared_rate_limit_is_the_servers(ex: InProc, method: str, path: str) -> None:
    """The declared number of requests passes, one more in the same window is answered 429
    (when the burst took longer than the window, the second half cannot be told)."""
    w = await World.build(ex)
    call = await BASES[(method, path)](w)
    limit = operation(method, path)["x-rate-limit"]
    assert limit["per"] == ("ip" if call.who is None else "apiKey")
    ex.api.limiter.enabled = True
    started = time.monotonic()
    statuses = [(await w.send(call)).status_code for _ in range(limit["requests"])]
    last = await w.send(call)
    assert 429 not in statuses
    if (time.monotonic() - started) * 1000 < limit["windowMs"]:
        assert last.status_code == 429, last.text
        assert int(last.headers["Retry-After"]) >= 1
