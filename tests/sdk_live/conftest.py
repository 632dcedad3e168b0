"""Fixtures of the live SDK tests: the SDK against the real ``openweex serve`` over loopback.

One server (rate limits off) is shared by the whole package; every test opens its own
accounts, so tests do not see each other's orders or balances.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from openweex.client import Client, OpenWeexError
from tests.support.server import ServerProcess, User

from .helpers import BTC, ETH, client_for


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real ``openweex serve --no-rate-limits`` for the package."""
    srv = ServerProcess(tmp_path_factory.mktemp("sdk-live") / "data", ["--no-rate-limits"])
    srv.start()
    yield srv
    srv.stop()


def _cancel_everything(srv: ServerProcess, user: User) -> None:
    """Cancel what ``user`` left resting: the books are shared by the whole package."""
    with client_for(srv, user) as c:
        for symbol in (BTC, ETH):
            with contextlib.suppress(OpenWeexError):
                ids = [order.order_id for order in c.get_open_orders(symbol)]
                if ids:
                    c.cancel_batch_orders(symbol, ids)


@pytest.fixture
def user(live: ServerProcess) -> Iterator[User]:
    """A fresh account with 100000 USDT and 10 BTC; its resting orders are cancelled after."""
    fresh = live.new_user({"USDT": "100000", "BTC": "10"})
    yield fresh
    _cancel_everything(live, fresh)


@pytest.fixture
def other(live: ServerProcess) -> Iterator[User]:
    """A second fresh account (a counterparty), with the same funds and the same cleanup."""
    fresh = live.new_user({"USDT": "100000", "BTC": "10"})
    yield fresh
    _cancel_everything(live, fresh)


@pytest.fixture
def client(live: ServerProcess, user: User) -> Iterator[Client]:
    """A sync client of ``user``."""
    with client_for(live, user) as c:
        yield c


@pytest.fixture
def counterparty(live: ServerProcess, other: User) -> Iterator[Client]:
    """A sync client of ``other``."""
    with client_for(live, other) as c:
        yield c


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
