"""Schema-driven fuzzing of every operation of ``/openapi.json`` with Schemathesis.

The document is loaded from the running app and every operation is exercised with requests
generated from it, valid and invalid (examples, coverage and fuzzing phases). Private
requests are signed as a real client signs them, over the exact query string and body bytes
that go on the wire, for a user holding USDT and BTC; admin requests carry the admin token.
Each answer must not be a 5xx, must have a status the operation declares, and must match
the schema declared for that status (errors included). A request the document calls
invalid must be refused.

The exchange runs in-process on the event loop that serves the ASGI calls; it is started by
the first call and stopped when the module's tests are done. The schema is loaded from the
document the app serves, built the same way, so that collecting the module starts nothing.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from openweex.api.app import load_routes
from openweex.api.openapi import OPENAPI_PATH, openapi_document
from tests.api.helpers import ADMIN_TOKEN, ORDERS, InProc, auth_headers, limit_order
from tests.support.server import User

SYMBOL = "BTCUSDT_SPBL"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


class Exchange:
    """An ASGI app that opens an in-process exchange on the loop of its first call (so the
    runtime and the requests share one event loop), with a maker quoting BTCUSDT and a
    funded trader whose key signs the fuzzed requests. Nothing is made before that call."""

    def __init__(self) -> None:
        self.ex: InProc | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.trader: User | None = None
        self.data_dir: Path | None = None
        self._ready: asyncio.Lock | None = None

    async def _start(self) -> None:
        if self._ready is None:
            self._ready = asyncio.Lock()
        async with self._ready:
            if self.loop is not None:
                return
            self.data_dir = Path(tempfile.mkdtemp(prefix="openweex-schemathesis-"))
            self.ex = ex = InProc(self.data_dir / "data")
            await ex.start()
            self.loop = asyncio.get_running_loop()
            maker = await ex.new_user({"USDT": "10000000", "BTC": "100"})
            await ex.ok(maker, "POST", ORDERS, body=limit_order("buy", "10000", "1"))
            await ex.ok(maker, "POST", ORDERS, body=limit_order("sell", "90000", "1"))
            self.trader = await ex.new_user({"USDT": "1000000", "BTC": "10"})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self._start()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self._start()
        assert self.ex is not None
        await self.ex.app(scope, receive, send)

    def stop(self) -> None:
        if self.loop is not None and self.ex is not None:
            asyncio.run_coroutine_threadsafe(self.ex.stop(), self.loop).result(timeout=60)
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


class Signer(requests.auth.AuthBase):
    """Signs the prepared request (what is sent) of a private operation and gives an admin
    one the token. A credential header the generated case left out stays out, so a case
    testing its absence still tests it."""

    def __init__(self, exchange: Exchange, private: set[tuple[str, str]]) -> None:
        self.exchange = exchange
        self.private = private

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(r.url or "")
        method = (r.method or "").upper()
        if url.path.startswith("/admin/"):
            credentials = {"X-Admin-Token": ADMIN_TOKEN}
        elif (method, url.path) in self.private:
            body = r.body or b""
            raw = body.encode() if isinstance(body, str) else body
            assert self.exchange.trader is not None  # the app starts before the first call
            credentials = auth_headers(self.exchange.trader, method, url.path, url.query, raw)
        else:
            credentials = {}
        for name, value in credentials.items():
            if name in r.headers:
                r.headers[name] = value
        return r


# Valid values a valid case may also take, so that some orders reach the market and trade.
STEER: dict[str, list[str]] = {
    "symbol": [SYMBOL],
    "price": ["10000", "50000", "90000"],
    "quantity": ["0.001", "0.01", "100"],
}


def _steered(values: dict[str, Any], draws: list[str]) -> dict[str, Any]:
    out = dict(values)
    for name, value in zip(STEER, draws, strict=True):
        if name in out:
            out[name] = value
    if isinstance(out.get("orderList"), list):
        out["orderList"] = [
            _steered(item, draws) if isinstance(item, dict) else item for item in out["orderList"]
        ]
    return out


def flatmap_case(context: Any, case: schemathesis.Case) -> st.SearchStrategy[schemathesis.Case]:
    """A valid case as generated, or with its symbol, price and quantity (where it has them)
    set to values of the listed market; an invalid case is left as it is. (A hook of the
    schema: its name is the hook's.)"""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return st.just(case)

    def steer(draws: list[str] | None) -> schemathesis.Case:
        if draws is not None and isinstance(case.body, dict):
            case.body = _steered(case.body, draws)
        if draws is not None and case.query:
            case.query = _steered(dict(case.query), draws)
        return case

    values = st.tuples(*(st.sampled_from(v) for v in STEER.values())).map(list)
    return st.one_of(st.none(), values).map(steer)


def private_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """What a client reads in the document: the operations that want the ACCESS-* headers."""
    return {
        (method.upper(), path)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if any(p["name"] == "ACCESS-KEY" for p in op.get("parameters", ()))
    }


# The document the app serves (tests/api/test_openapi.py holds the two equal), loaded
# without calling the app, so that collecting this module starts nothing.
EXCHANGE = Exchange()
schema = schemathesis.openapi.from_dict(orjson.loads(orjson.dumps(openapi_document(load_routes()))))
schema.app = EXCHANGE
schema.location = OPENAPI_PATH
schema.auth.set_from_requests(Signer(EXCHANGE, private_operations(schema.raw_schema)))
schema.hook(flatmap_case)


@pytest.fixture(scope="module", autouse=True)
def _exchange_stopped() -> Iterator[None]:
    """The exchange the fuzzed requests started is stopped when the module is done."""
    yield
    EXCHANGE.stop()


def test_the_document_declares_private_operations() -> None:
    assert private_operations(schema.raw_schema)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],  # timing varies between machines
)
def test_schemathesis(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
