"""Fixtures of the WebSocket tests: one real server process per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def ws_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real ``openweex serve`` (rate limits off) shared by the tests of one module."""
    srv = ServerProcess(tmp_path_factory.mktemp("ws") / "data", ["--no-rate-limits"]).start()
    yield srv
    srv.stop()
