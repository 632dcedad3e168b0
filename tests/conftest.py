"""Shared fixtures: a real server process on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh ``openweex serve`` (rate limits off) on its own data dir."""
    srv = ServerProcess(tmp_path / "data", ["--no-rate-limits"]).start()
    yield srv
    srv.stop()


@pytest.fixture
def limited_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh ``openweex serve`` with the contract's rate limits on."""
    srv = ServerProcess(tmp_path / "data").start()
    yield srv
    srv.stop()
