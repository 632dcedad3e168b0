"""Every SDK method hits the right verb, path, query and body, and parses the contract's
golden response (sync and async)."""

from __future__ import annotations

import pytest

from openweex.client import AsyncClient, Client
from openweex.client.endpoints import ENDPOINTS

from .cases import CASES, Case
from .fakeweex import FakeWeex


def _check_request(fake: FakeWeex, case: Case) -> None:
    assert len(fake.seen) == 1, [(s.method, s.path) for s in fake.seen]
    seen = fake.seen[0]
    assert (seen.method, seen.path) == (case.method, case.path)
    assert seen.query == case.query
    assert seen.body == case.body
    if seen.signed:
        assert seen.headers["ACCESS-KEY"] == "test-key"
    else:
        assert "ACCESS-SIGN" not in seen.headers
    if case.method == "POST":
        assert seen.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_sync_endpoint(case: Case, fake: FakeWeex, client: Client) -> None:
    fake.on(case.method, case.path, case.reply)
    result = case.call(client)
    _check_request(fake, case)
    case.check(result)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_async_endpoint(case: Case, fake: FakeWeex, aclient: AsyncClient) -> None:
    fake.on(case.method, case.path, case.reply)
    result = await case.call(aclient)
    _check_request(fake, case)
    case.check(result)


def test_every_endpoint_has_a_case() -> None:
    covered = {(c.method, c.path) for c in CASES}
    assert {(e.method, e.path) for e in ENDPOINTS} == covered


def test_every_method_docstring_names_its_route() -> None:
    for cls in (Client, AsyncClient):
        routes = {
            str(e)
            for name in dir(cls)
            if name.startswith(("get_", "place_", "cancel_", "create_", "keep_", "close_"))
            for e in ENDPOINTS
            if f"``{e.method} {e.path}" in (getattr(cls, name).__doc__ or "")
        }
        assert routes == {str(e) for e in ENDPOINTS}
