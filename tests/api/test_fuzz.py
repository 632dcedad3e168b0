"""Fuzzing every endpoint with malformed input: wrong types, huge numbers, unicode, empty and
non-JSON bodies, nested junk. Never a 5xx, always a WEEX envelope; and (in-process) a
request that is answered with an error never changes the exchange state."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openweex.api.app import Settings, load_routes
from tests.api.helpers import ADMIN_TOKEN, InProc, auth_headers
from tests.support.server import ServerProcess, User

FIELDS = [
    "symbol",
    "side",
    "orderType",
    "force",
    "price",
    "quantity",
    "clientOrderId",
    "orderId",
    "orderIds",
    "orderList",
    "after",
    "before",
    "limit",
    "period",
    "type",
    "coinId",
    "groupType",
    "bizType",
    "fromType",
    "listenKey",
    "uid",
    "coin",
    "amount",
    "passphrase",
    "permissions",
    "ipWhitelist",
    "toType",
]
PLAUSIBLE = [
    "BTCUSDT_SPBL",
    "btcusdt_spbl",
    "ETHUSDT_SPBL",
    "buy",
    "sell",
    "limit",
    "market",
    "normal",
    "post_only",
    "fok",
    "ioc",
    "step0",
    "step5",
    "1min",
    "1day",
    "USDT",
    "SPOT",
    "CONTRACT",
    "1",
    "0",
    "-1",
    "0.5",
    "1e400",
    "1E-8",
    "NaN",
    "99999999999999999999999999999999999999",
    "0.000000000000001",
    "10001",
    "",
    " ",
    "null",
    "true",
    "SPOT_TRADE",
    "😀",
    "\u0000",
    "%00",
    "\ud800",
]
ROUTES = sorted({(r.method, r.path.replace("{uid:int}", "10001")) for r in load_routes()})
OK_STATUSES = {200, 400, 401, 404, 405, 429}

scalars = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
junk = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
params = st.dictionaries(st.sampled_from(FIELDS), junk, max_size=6)
raw_bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"{",
            b"[]",
            b"null",
            b"1",
            b'"x"',
            b"NaN",
            b"{'a':1}",
            b"\xef\xbb\xbf{}",
            b'{"orderList": [[[[[]]]]]}',
            b"[" * 5000,
            b'{"limit": 1e999}',
        ]
    ),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, str, bytes, bool]:
    """(method, path, query, body, signed)."""
    method, path = draw(st.sampled_from(ROUTES))
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    query_params = draw(params) if method != "POST" or draw(st.booleans()) else {}
    query = urlencode(  # lone surrogates go out as invalid UTF-8, as a broken client's would
        {k: json.dumps(v) if not isinstance(v, str) else v for k, v in query_params.items()},
        errors="surrogatepass",
    )
    body = json.dumps(draw(params)).encode() if draw(st.booleans()) else draw(raw_bodies)
    return method, path, query, body, draw(st.integers(0, 3)) > 0


def check_envelope(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in OK_STATUSES, (r.status_code, r.text)
    payload: dict[str, Any] = r.json()
    if r.status_code == 200 and "listenKey" in payload:
        return payload  # the listen key endpoints answer the bare object of the contract
    assert list(payload) == ["code", "msg", "requestTime", "data"], payload
    assert isinstance(payload["code"], str) and isinstance(payload["msg"], str)
    assert (payload["code"] == "00000") == (r.status_code == 200)
    if r.status_code != 200:
        assert payload["data"] is None and "Traceback" not in r.text
    return payload


def build(user: User, req: tuple[str, str, str, bytes, bool]) -> dict[str, Any]:
    method, path, query, body, sign = req
    headers = {"X-Admin-Token": ADMIN_TOKEN}
    if sign:
        headers.update(auth_headers(user, method, path, query, body))
    url = path + (f"?{query}" if query else "")
    return {"method": method, "url": url, "content": body or None, "headers": headers}


# -- against the real server ----------------------------------------------------------------
@pytest.fixture(scope="module")
def live_user(live: ServerProcess) -> User:
    return live.new_user({"USDT": "1000", "BTC": "0.1"})


@pytest.fixture(scope="module")
def live_http(live: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(req=requests())
def test_fuzz_real_server(
    live: ServerProcess, live_http: httpx.Client, live_user: User, req: Any
) -> None:
    spec = build(live_user, req)
    spec["headers"]["X-Admin-Token"] = live.admin_token
    check_envelope(live_http.request(**spec))


# -- in-process, with the state hash ------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_ex(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProc, User, Any]]:
    loop = asyncio.new_event_loop()
    # The real clock: a rejection, by the API or by the engine, must change nothing at all
    # (not even the engine's last timestamp).
    ex = InProc(
        tmp_path_factory.mktemp("fuzz"), Settings(admin_token=ADMIN_TOKEN, rate_limits=False)
    )
    loop.run_until_complete(ex.start())
    user = loop.run_until_complete(ex.new_user({"USDT": "1000", "BTC": "0.1"}))
    yield ex, user, loop
    loop.run_until_complete(ex.stop())
    loop.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(req=requests())
def test_fuzz_rejections_change_nothing(fuzz_ex: tuple[InProc, User, Any], req: Any) -> None:
    ex, user, loop = fuzz_ex
    before = ex.runtime.exchange.state_hash()
    r = loop.run_until_complete(ex.http.request(**build(user, req)))
    payload = check_envelope(r)
    if r.status_code != 200 or payload.get("code", "00000") != "00000":
        assert ex.runtime.exchange.state_hash() == before, (req, payload)
