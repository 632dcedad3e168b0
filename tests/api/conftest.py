"""Fixtures of the API tests: an in-process exchange and a real server per module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.api.helpers import InProc
from tests.support.server import ServerProcess


@pytest.fixture
async def ex(tmp_path: Path) -> AsyncIterator[InProc]:
    """A fresh in-process exchange (rate limits off)."""
    inproc = await InProc(tmp_path / "data").start()
    yield inproc
    await inproc.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real ``openweex serve`` (rate limits off) shared by the tests of a module."""
    srv = ServerProcess(tmp_path_factory.mktemp("live") / "data", ["--no-rate-limits"]).start()
    yield srv
    srv.stop()
