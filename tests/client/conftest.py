"""Fixtures for the SDK tests: a fake WEEX server and clients wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from openweex.client import AsyncClient, Client, RetryPolicy

from .fakeweex import API_KEY, API_SECRET, NOW_MS, PASSPHRASE, FakeWeex

BASE_URL = "https://weex.test"
FAST_RETRY = RetryPolicy(max_retries=3, initial_backoff=0.01, jitter=0.0)


@pytest.fixture
def fake() -> FakeWeex:
    return FakeWeex()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeWeex, sleeps: list[float]) -> Iterator[Client]:
    with Client(
        BASE_URL,
        API_KEY,
        API_SECRET,
        PASSPHRASE,
        transport=fake.transport(),
        retry=FAST_RETRY,
        sleep=sleeps.append,
        clock=lambda: NOW_MS,
    ) as c:
        yield c


@pytest.fixture
async def aclient(fake: FakeWeex, sleeps: list[float]) -> AsyncIterator[AsyncClient]:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with AsyncClient(
        BASE_URL,
        API_KEY,
        API_SECRET,
        PASSPHRASE,
        transport=fake.transport(),
        retry=FAST_RETRY,
        sleep=sleep,
        clock=lambda: NOW_MS,
    ) as c:
        yield c
