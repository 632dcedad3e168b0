"""Rate limits on the real server: bursts over the contract's limits answer HTTP 429 with
code "429"; private endpoints count per API key, public ones per client IP."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from openweex.api.ratelimit import LIMITS
from tests.support.server import ServerProcess
from tests.support.signing import SignedClient

ORDERS = "/api/spot/v1/trade/orders"
TIME = "/api/spot/v1/public/time"


def order(price: str) -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT_SPBL",
        "side": "buy",
        "orderType": "limit",
        "force": "normal",
        "price": price,
        "quantity": "0.001",
    }


def allowed(requests: int, window_ms: int, started: float) -> int:
    """The most a burst may get through: the limit once per window it lasted into."""
    elapsed_ms = (time.monotonic() - started) * 1000
    return requests * (1 + int(elapsed_ms // window_ms))


def test_contract_limits_table() -> None:
    per_second = {p: (lim.requests, lim.window_ms) for p, lim in LIMITS.items()}
    assert per_second["/api/spot/v1/public/time"] == (20, 2000)
    assert per_second["/api/spot/v1/public/currencies"] == (20, 2000)
    assert per_second["/api/spot/v1/trade/batch-orders"] == (5, 1000)
    assert per_second["/api/spot/v1/trade/history"] == (20, 1000)
    assert per_second["/api/spot/v1/account/assets"] == (10, 1000)
    assert per_second["/api/spot/v1/trade/orders"] == (10, 1000)


def test_bursts_over_the_limit(limited_server: ServerProcess) -> None:
    url = limited_server.url
    a = SignedClient(url, limited_server.new_user({"USDT": "1000"}))
    b = SignedClient(url, limited_server.new_user({"USDT": "1000"}))
    # Private: 10 orders/s per API key; a burst of 25 from two threads.
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: a.request("POST", ORDERS, body=order("100")), range(25)))
    statuses = [r.status_code for r in results]
    assert set(statuses) == {200, 429}
    assert 10 <= statuses.count(200) <= allowed(10, 1000, started), statuses
    limited = next(r for r in results if r.status_code == 429)
    assert limited.json()["code"] == "429" and limited.json()["data"] is None
    # Retry-After: whole seconds until the window admits a request again (a 1 s window)
    assert all(r.headers["retry-after"] == "1" for r in results if r.status_code == 429)
    assert all("retry-after" not in r.headers for r in results if r.status_code == 200)
    # Another key is not affected by a's burst.
    assert b.request("POST", ORDERS, body=order("100")).status_code == 200
    # Public: 20 requests / 2 s per IP, unsigned or signed alike.
    started = time.monotonic()
    with httpx.Client(base_url=url) as http:
        codes = [http.get(TIME).status_code]
        first_done = time.monotonic()  # the server counted the first request before this
        answers = [http.get(TIME) for _ in range(29)]
        codes += [r.status_code for r in answers]
        assert codes[:20] == [200] * 20 and 429 in codes[20:]
        # a 2 s window: 1 or 2 s to wait, depending on how long the burst took
        assert all(r.headers["retry-after"] in ("1", "2") for r in answers if r.status_code == 429)
        assert codes.count(200) <= allowed(20, 2000, started), codes
        # Not a token bucket: no request passes until the window of the first ones is over
        # (a bucket would let one through every 100 ms).
        time.sleep(0.5)
        if time.monotonic() - started < 1.9:
            assert http.get(TIME).status_code == 429
        time.sleep(max(0.0, first_done + 2.05 - time.monotonic()))
        assert http.get(TIME).status_code == 200
    assert a.request("POST", ORDERS, body=order("100")).status_code == 200
    # Batch placement: 5 requests/s.
    batch = {
        "symbol": "BTCUSDT_SPBL",
        "orderList": [{k: v for k, v in order("99").items() if k != "symbol"}],
    }
    statuses = [
        b.request("POST", "/api/spot/v1/trade/batch-orders", body=batch).status_code
        for _ in range(8)
    ]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
