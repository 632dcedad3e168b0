"""The real server over HTTP, signed by the independent test signer: signature variants,
header tolerance, timestamps, passphrases, foreign ids and parameter tolerance."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.support.server import ServerProcess, User
from tests.support.signing import SignedClient, signature

ORDERS = "/api/spot/v1/trade/orders"
ASSETS = "/api/spot/v1/account/assets"
TRANSFERS = "/api/spot/v1/account/transferRecords"
INFO = "/api/spot/v1/trade/orderInfo"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def signed(
    user: User,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    ts: int | None = None,
    sign_query: str | None = None,
    underscores: bool = False,
) -> dict[str, str]:
    """Headers signing ``sign_query`` (default: the query as sent)."""
    t = str(ts if ts is not None else now_ms())
    q = query if sign_query is None else sign_query
    prehash = (t + method + path + (f"?{q}" if q else "")).encode() + body
    hdrs = {
        "ACCESS-KEY": user.api_key,
        "ACCESS-SIGN": signature(user.secret, prehash),
        "ACCESS-TIMESTAMP": t,
        "ACCESS-PASSPHRASE": user.passphrase,
    }
    return {k.replace("-", "_"): v for k, v in hdrs.items()} if underscores else hdrs


@pytest.fixture(scope="module")
def http(live: ServerProcess) -> Any:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def alice(live: ServerProcess) -> User:
    return live.new_user({"USDT": "100000", "BTC": "1"})


def send(http: httpx.Client, method: str, path: str, query: str, body: bytes, hdrs: Any) -> Any:
    r = http.request(method, path + (f"?{query}" if query else ""), content=body, headers=hdrs)
    return r.status_code, r.json()


# (the values with "+" or a space are no account type: a request whose signature passes
# then fails the parameter check, 40017, which comes after authentication)
@pytest.mark.parametrize(
    ("query", "sign_query", "code"),
    [
        ("coinId=2&fromType=SPOT", None, "00000"),
        ("fromType=spot%2Bb&limit=5", None, "40017"),  # raw, percent-encoded
        ("fromType=spot%2Bb&limit=5", "fromType=spot+b&limit=5", "40017"),  # URL-decoded
        ("fromType=spot%20b", "fromType=spot b", "40017"),
        ("fromType=spot+b", "fromType=spot b", "40017"),  # '+' as a space
        ("limit=5&coinId=2", None, "00000"),  # order as sent
    ],
)
def test_query_signed_raw_or_decoded(
    http: httpx.Client, alice: User, query: str, sign_query: str | None, code: str
) -> None:
    status, payload = send(
        http,
        "GET",
        TRANSFERS,
        query,
        b"",
        signed(alice, "GET", TRANSFERS, query, b"", None, sign_query),
    )
    assert (status, payload["code"]) == (200 if code == "00000" else 400, code), payload
    if code != "00000":
        assert "fromType" in payload["msg"], payload


def test_query_signed_differently_fails(http: httpx.Client, alice: User) -> None:
    query = "limit=5&coinId=2"
    hdrs = signed(alice, "GET", TRANSFERS, query, sign_query="coinId=2&limit=5")
    assert send(http, "GET", TRANSFERS, query, b"", hdrs)[1]["code"] == "40009"


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": "), (" ,  ", " :\t")])
def test_body_verified_on_raw_bytes(
    http: httpx.Client, alice: User, separators: tuple[str, str]
) -> None:
    order = {
        "symbol": "BTCUSDT_SPBL",
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": "1000",
        "quantity": "0.001",
    }
    body = json.dumps(order, separators=separators).encode()
    status, payload = send(http, "POST", ORDERS, "", body, signed(alice, "POST", ORDERS, "", body))
    assert (status, payload["code"]) == (200, "00000"), payload
    # The same signature on the body serialised another way is refused.
    other = json.dumps(order, separators=(", ", ": ") if separators[0] == "," else (",", ":"))
    hdrs = signed(alice, "POST", ORDERS, "", body)
    assert send(http, "POST", ORDERS, "", other.encode(), hdrs)[1]["code"] == "40009"


def test_underscore_headers_and_extra_headers(http: httpx.Client, alice: User) -> None:
    hdrs = signed(alice, "GET", ASSETS, underscores=True)
    hdrs.update({"locale": "en-US", "X-CHANNEL-API-CODE": "abc", "User-Agent": "bot/1.0"})
    status, payload = send(http, "GET", ASSETS, "", b"", hdrs)
    assert (status, payload["code"]) == (200, "00000"), payload


def test_no_content_type_needed(http: httpx.Client, live: ServerProcess, alice: User) -> None:
    status, payload = send(http, "GET", ASSETS, "", b"", signed(alice, "GET", ASSETS))
    assert status == 200 and payload["code"] == "00000"
    body = b'{"symbol":"BTCUSDT_SPBL"}'
    hdrs = signed(alice, "POST", "/api/spot/v1/trade/open-orders", "", body)
    r = http.post("/api/spot/v1/trade/open-orders", content=body, headers=hdrs)
    assert "content-type" not in r.request.headers and r.json()["code"] == "00000"
    lk = http.post(
        "/api/v3/userDataStream", headers=signed(alice, "POST", "/api/v3/userDataStream")
    )
    key = lk.json()["listenKey"]
    for method in ("PUT", "DELETE"):
        q = f"listenKey={key}"
        status, payload = send(
            http,
            method,
            "/api/v3/userDataStream",
            q,
            b"",
            signed(alice, method, "/api/v3/userDataStream", q),
        )
        assert status == 200 and payload == {"listenKey": key}


def test_listen_key_in_json_body(http: httpx.Client, alice: User) -> None:
    path = "/api/v3/userDataStream"
    key = http.post(path, headers=signed(alice, "POST", path)).json()["listenKey"]
    body = json.dumps({"listenKey": key}).encode()
    status, payload = send(http, "PUT", path, "", body, signed(alice, "PUT", path, "", body))
    assert status == 200 and payload == {"listenKey": key}


@pytest.mark.parametrize("hdrs", [{}, {"ACCESS-KEY": "junk", "ACCESS-SIGN": "junk"}])
def test_public_endpoints_with_and_without_auth(http: httpx.Client, hdrs: Any) -> None:
    for path in ("/api/spot/v1/public/time", "/api/spot/v1/market/tickers"):
        r = http.get(path, headers=hdrs)
        assert r.status_code == 200 and r.json()["code"] == "00000"


def test_public_endpoint_signed_like_a_private_one(http: httpx.Client, alice: User) -> None:
    q = "symbol=btcusdt_spbl&limit=20"
    path = "/api/spot/v1/market/depth"
    status, payload = send(http, "GET", path, q, b"", signed(alice, "GET", path, q))
    assert status == 200 and set(payload["data"]) >= {"asks", "bids", "timestamp"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ACCESS-KEY": None}, "40001"),
        ({"ACCESS-SIGN": None}, "40002"),
        ({"ACCESS-TIMESTAMP": None}, "40003"),
        ({"ACCESS-PASSPHRASE": None}, "40011"),
        ({"ACCESS-KEY": ""}, "40001"),
        ({"ACCESS-TIMESTAMP": "soon"}, "40005"),
        ({"ACCESS-TIMESTAMP": "1.5e12"}, "40005"),
        ({"ACCESS-KEY": "ow_unknown"}, "40006"),
        ({"ACCESS-SIGN": "bm90IGEgc2lnbmF0dXJl"}, "40009"),
        ({"ACCESS-PASSPHRASE": "wrong"}, "40012"),
    ],
)
def test_missing_and_wrong_headers(
    http: httpx.Client, alice: User, change: dict[str, str | None], code: str
) -> None:
    hdrs: dict[str, str] = signed(alice, "GET", ASSETS)
    for k, v in change.items():
        if v is None:
            del hdrs[k]
        else:
            hdrs[k] = v
    status, payload = send(http, "GET", ASSETS, "", b"", hdrs)
    assert (status, payload["code"], payload["data"]) == (400, code, None)


@pytest.mark.parametrize(
    ("skew_ms", "code"),
    [(-31_000, "40008"), (31_000, "40008"), (-25_000, "00000"), (25_000, "00000")],
)
def test_timestamp_window(http: httpx.Client, alice: User, skew_ms: int, code: str) -> None:
    hdrs = signed(alice, "GET", ASSETS, ts=now_ms() + skew_ms)
    assert send(http, "GET", ASSETS, "", b"", hdrs)[1]["code"] == code


def test_seconds_timestamp_is_expired(http: httpx.Client, alice: User) -> None:
    hdrs = signed(alice, "GET", ASSETS, ts=now_ms() // 1000)
    assert send(http, "GET", ASSETS, "", b"", hdrs)[1]["code"] == "40008"


def test_foreign_order_ids(live: ServerProcess) -> None:
    a = SignedClient(live.url, live.new_user({"USDT": "1000"}))
    b = SignedClient(live.url, live.new_user({"USDT": "1000"}))
    order = {
        "symbol": "BTCUSDT_SPBL",
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": "100",
        "quantity": "0.01",
        "clientOrderId": "mine-1",
    }
    oid = a.post(ORDERS, order)["data"]["orderId"]
    assert b.post(INFO, {"orderId": oid})["code"] == "43001"
    assert b.post(INFO, {"clientOrderId": "mine-1"})["code"] == "43001"
    cancel = {"symbol": "BTCUSDT_SPBL", "orderId": oid}
    assert b.post("/api/spot/v1/trade/cancel-order", cancel)["code"] == "43001"
    batch = {"symbol": "BTCUSDT_SPBL", "orderIds": [oid]}
    assert b.post("/api/spot/v1/trade/cancel-batch-orders", batch)["data"] == []
    fills = b.post("/api/spot/v1/trade/fills", {"symbol": "BTCUSDT_SPBL", "orderId": oid})
    assert fills["data"] == []
    assert a.post(INFO, {"orderId": oid})["data"][0]["status"] == "new"  # untouched
    # The same clientOrderId is free for another user.
    assert b.post(ORDERS, order)["code"] == "00000"


def test_numbers_as_numbers_and_empty_strings(live: ServerProcess) -> None:
    c = SignedClient(live.url, live.new_user({"USDT": "1000"}))
    order = {
        "symbol": "BTCUSDT_SPBL",
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": 100.5,
        "quantity": 0.01,
        "clientOrderId": "",
    }
    r = c.post(ORDERS, order)
    assert r["code"] == "00000", r
    [info] = c.post(INFO, {"symbol": "", "orderId": int(r["data"]["orderId"])})["data"]
    assert (info["price"], info["quantity"]) == ("100.5", "0.01")
    assert c.post(INFO, {"orderId": "", "clientOrderId": ""})["code"] == "40913"
    hist = c.post(
        "/api/spot/v1/trade/history",
        {"symbol": "BTCUSDT_SPBL", "after": "", "before": "", "limit": 10},
    )
    assert hist["code"] == "00000"
    got = c.get(TRANSFERS, {"after": "", "before": "", "limit": ""})
    assert got["code"] == "00000"
    # A fraction beyond the symbol's scale is refused, not rounded (0.001 has 3 decimals > 2).
    assert c.post(ORDERS, {**order, "price": 100.001})["code"] == "40017"


def test_post_body_not_json(http: httpx.Client, alice: User) -> None:
    for body in (b"symbol=BTCUSDT_SPBL", b"{'symbol': 1}", b'{"a":', b"\xff\xfe", b"NaN"):
        status, payload = send(
            http, "POST", ORDERS, "", body, signed(alice, "POST", ORDERS, "", body)
        )
        assert (status, payload["code"]) == (400, "40007"), body
