"""The dispatcher itself: envelopes for unknown routes, failures, shutdown, access logs."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from openweex.api.routing import ROUTES
from tests.api.helpers import ORDERS, InProc, limit_order

TIME = "/api/spot/v1/public/time"


def envelope_error(r: Any, status: int, code: str) -> dict[str, Any]:
    payload: dict[str, Any] = r.json()
    assert r.status_code == status, (r.status_code, payload)
    assert r.headers["content-type"] == "application/json"
    assert set(payload) == {"code", "msg", "requestTime", "data"}
    assert payload["code"] == code and isinstance(payload["code"], str)
    assert payload["data"] is None and isinstance(payload["requestTime"], int)
    assert payload["msg"]
    return payload


async def test_success_envelope(ex: InProc) -> None:
    r = await ex.http.get(TIME)
    payload = r.json()
    assert r.status_code == 200
    assert list(payload) == ["code", "msg", "requestTime", "data"]
    assert payload["code"] == "00000" and payload["msg"] == "success"
    assert isinstance(payload["data"], int) and abs(payload["data"] - payload["requestTime"]) < 5


@pytest.mark.parametrize("path", ["/nope", "/api/spot/v1/public/tim", "/api/spot/v1/", "/"])
async def test_unknown_path_is_40404(ex: InProc, path: str) -> None:
    envelope_error(await ex.http.get(path), 404, "40404")
    envelope_error(await ex.http.post(path, content=b"{}"), 404, "40404")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", TIME), ("DELETE", ORDERS), ("GET", ORDERS), ("PATCH", "/api/v3/userDataStream")],
)
async def test_unknown_method_is_40405(ex: InProc, method: str, path: str) -> None:
    envelope_error(await ex.http.request(method, path), 405, "40405")


async def test_unexpected_exception_is_40015_without_traceback(
    ex: InProc, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(ctx: Any) -> Any:
        raise ZeroDivisionError("secret-internal-detail")

    serve = ex.app.exact[TIME]["GET"]
    endpoint = serve.__self__  # type: ignore[attr-defined]
    monkeypatch.setattr(endpoint, "handler", boom)
    with caplog.at_level(logging.ERROR, logger="openweex.api.app"):
        r = await ex.http.get(TIME)
    payload = envelope_error(r, 400, "40015")
    assert payload["msg"] == "System error"
    assert "Traceback" not in r.text and "secret-internal-detail" not in r.text
    assert any("ZeroDivisionError" in (rec.exc_text or "") for rec in caplog.records)


async def test_unserialisable_result_is_40015(ex: InProc, monkeypatch: pytest.MonkeyPatch) -> None:
    async def odd(ctx: Any) -> Any:
        return {"x": object()}

    endpoint = ex.app.exact[TIME]["GET"].__self__  # type: ignore[attr-defined]
    monkeypatch.setattr(endpoint, "handler", odd)
    envelope_error(await ex.http.get(TIME), 400, "40015")


async def test_shutdown_answers_40200(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "1000"})
    ex.api.begin_shutdown()
    envelope_error(await ex.http.get(TIME), 400, "40200")
    r = await ex.call(user, "POST", ORDERS, body=limit_order("buy", "100", "0.01"))
    envelope_error(r, 400, "40200")


async def test_runtime_closing_answers_40200(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "1000"})
    await ex.runtime.close()
    r = await ex.call(user, "POST", ORDERS, body=limit_order("buy", "100", "0.01"))
    envelope_error(r, 400, "40200")
    envelope_error(await ex.http.get("/api/spot/v1/market/tickers"), 400, "40200")


async def test_access_log_one_line_per_request(
    ex: InProc, caplog: pytest.LogCaptureFixture
) -> None:
    user = await ex.new_user({"USDT": "1000"})
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="openweex.access"):
        await ex.http.get(TIME)
        await ex.call(user, "POST", ORDERS, body=limit_order("buy", "100", "0.01"))
        await ex.http.get("/api/spot/v1/market/ticker", params={"symbol": "NOPE"})
        await ex.http.get("/missing")
    lines = [r.getMessage() for r in caplog.records if r.name == "openweex.access"]
    assert len(lines) == 4, lines
    assert lines[0].startswith(f"method=GET path={TIME} status=200 code=00000 latency_ms=")
    assert lines[1].startswith(f"method=POST path={ORDERS} status=200 code=00000 ")
    assert "status=400 code=40102" in lines[2] and "NOPE" not in lines[2]  # no query string
    assert "path=/missing status=404 code=40404" in lines[3]
    for line in lines:
        float(line.rsplit("latency_ms=", 1)[1])


async def test_access_log_of_paths_that_are_not_routes(
    ex: InProc, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/openapi.json is logged too; an unknown path is logged encoded (it cannot add fields
    to the line) with the time it took, not zero."""
    ticks = iter([10.0, 10.25])  # the 404's start, then its log line
    clock = SimpleNamespace(perf_counter=lambda: next(ticks), time_ns=time.time_ns)
    monkeypatch.setattr("openweex.api.app.time", clock)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="openweex.access"):
        await ex.http.get("/x%20status=200%20code=00000")
    monkeypatch.undo()
    with caplog.at_level(logging.INFO, logger="openweex.access"):
        await ex.http.get("/openapi.json")
    lines = [r.getMessage() for r in caplog.records if r.name == "openweex.access"]
    assert lines[0] == (
        "method=GET path=/x%20status=200%20code=00000 status=404 code=40404 latency_ms=250.000"
    )
    assert lines[1].startswith("method=GET path=/openapi.json status=200 code=00000 latency_ms=")
    assert len(lines) == 2


async def test_an_echoed_detail_is_escaped_to_ascii(ex: InProc) -> None:
    r = await ex.http.get("/api/spot/v1/public/product?symbol=%ff%fe")
    payload = r.json()
    assert payload["code"] == "40102" and payload["msg"].isascii(), payload
    assert r.content.isascii()


async def test_access_log_can_be_turned_off(
    ex: InProc, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    quiet = InProc(tmp_path / "quiet")
    quiet.settings.access_log = False
    await quiet.start()
    try:
        with caplog.at_level(logging.INFO, logger="openweex.access"):
            await quiet.http.get(TIME)
    finally:
        await quiet.stop()
    assert not [r for r in caplog.records if r.name == "openweex.access"]


async def test_no_secret_in_logs(ex: InProc, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        user = await ex.new_user({"USDT": "1000", "BTC": "1"})
        await ex.ok(user, "POST", ORDERS, body=limit_order("buy", "100", "0.01"))
        await ex.call(user, "POST", ORDERS, body=limit_order("buy", "x", "0.01"))
        await ex.ok(user, "GET", "/api/spot/v1/account/assets")
        lk = (await ex.call(user, "POST", "/api/v3/userDataStream")).json()["listenKey"]
        await ex.call(user, "PUT", "/api/v3/userDataStream", params={"listenKey": lk})
        r = await ex.call(replace(user, passphrase="wrong"), "GET", "/api/spot/v1/account/assets")
        assert r.json()["code"] == "40012"
        info = await ex.admin("GET", f"/accounts/{user.uid}")
    ours = [r for r in caplog.records if r.name.startswith("openweex")]
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in ours)
    assert len(ours) >= 8, "expected access log lines"
    for secret in (user.secret, user.passphrase, lk, "inproc-admin-token"):
        assert secret not in text
    assert user.secret not in str(info) and info["apiKeys"] == [user.api_key]


def test_routes_have_unique_method_and_path() -> None:
    seen = [(r.method, r.path) for r in ROUTES]
    assert len(seen) == len(set(seen))


async def test_a_body_over_the_limit_is_40017_and_changes_nothing(ex: InProc) -> None:
    user = await ex.new_user({"USDT": "1000"})
    before = ex.api.runtime.exchange.state_hash()
    big = b'{"symbol":"BTCUSDT_SPBL","pad":"' + b"x" * (1 << 20) + b'"}'
    r = await ex.call(user, "POST", ORDERS, raw=big)
    envelope_error(r, 400, "40017")
    assert ex.api.runtime.exchange.state_hash() == before


async def test_a_public_get_ignores_a_body(ex: InProc) -> None:
    r = await ex.http.request("GET", TIME, content=b"x" * (2 << 20))
    assert r.status_code == 200 and r.json()["code"] == "00000"
