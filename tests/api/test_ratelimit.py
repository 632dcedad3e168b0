"""The rate limiter in-process: at most N requests in any window of W ms (a sliding log)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openweex.api import app as app_module
from openweex.api.app import Settings
from openweex.api.ratelimit import LIMITS, Limit, RateLimiter
from tests.api.helpers import ADMIN_TOKEN, InProc

TIME = "/api/spot/v1/public/time"  # 20 requests / 2 s


def test_a_burst_gets_the_limit_and_nothing_more_until_the_window_is_over() -> None:
    rl = RateLimiter()
    assert [rl.allow("ip", TIME, 1000) for _ in range(21)] == [True] * 20 + [False]
    # A token bucket would let one through every 100 ms from here.
    assert not any(rl.allow("ip", TIME, t) for t in range(1100, 3000, 100))
    # The whole burst left the window at 3000 ms: 20 more.
    assert [rl.allow("ip", TIME, 3000) for _ in range(21)] == [True] * 20 + [False]
    assert rl.allow("other-ip", TIME, 1000)  # keys are independent
    assert rl.allow("ip", "/api/spot/v1/market/depth", 1000)  # and so are paths


def test_a_refusal_says_how_long_until_a_request_is_admitted() -> None:
    rl = RateLimiter()
    for t in range(1000, 1020):  # 20 requests / 2 s: one a ms
        assert rl.wait_ms("ip", TIME, t) == 0
    assert rl.wait_ms("ip", TIME, 1020) == 1980  # until the one of 1000 is 2 s old
    assert rl.wait_ms("ip", TIME, 2999) == 1
    assert rl.wait_ms("ip", TIME, 3000) == 0  # admitted and counted
    assert rl.wait_ms("ip", TIME, 3000) == 1  # now the one of 1001 is the oldest
    assert rl.wait_ms("ip", "/admin/accounts", 3000) == 0  # unlimited path
    assert RateLimiter(enabled=False).wait_ms("ip", TIME, 3000) == 0


def test_requests_spread_out_at_the_limit_all_pass() -> None:
    rl = RateLimiter()
    n, window = LIMITS[TIME]
    assert all(rl.allow("ip", TIME, i * window // n) for i in range(10 * n))


def test_unlimited_paths_and_a_disabled_limiter() -> None:
    assert all(RateLimiter().allow("ip", "/admin/accounts", 0) for _ in range(1000))
    assert all(RateLimiter(enabled=False).allow("ip", TIME, 0) for _ in range(1000))


def test_idle_keys_are_forgotten_when_the_table_is_full() -> None:
    rl = RateLimiter(max_keys=3)
    for who in ("a", "b", "c"):
        rl.allow(who, TIME, 0)
    rl.allow("c", TIME, 1500)
    rl.allow("d", TIME, 2500)  # a and b are idle for longer than any window: dropped
    assert set(rl._log) == {("c", TIME), ("d", TIME)}
    # c's requests still count: 18 more fill its window, the next one is over.
    assert all(rl.allow("c", TIME, 1600) for _ in range(18))
    assert not rl.allow("c", TIME, 1700)


@given(
    limit=st.builds(Limit, st.integers(1, 6), st.integers(1, 50)),
    gaps=st.lists(st.integers(0, 20), max_size=80),
)
def test_never_more_than_the_limit_in_a_window_and_never_refused_below_it(
    limit: Limit, gaps: list[int]
) -> None:
    rl = RateLimiter()
    n, window = limit
    passed: list[int] = []
    now = 0
    for gap in gaps:
        now += gap
        in_window = sum(1 for t in passed if now - t < window)
        wait = rl.wait_ms("k", "/p", now, limit)
        if in_window < n:
            assert wait == 0
            passed.append(now)
        else:  # refused until the oldest of the last n admitted leaves the window
            assert wait == passed[-n] + window - now > 0


async def test_a_wall_clock_step_back_does_not_stretch_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's limits run on a monotonic clock: after the wall clock is set back an
    hour, a public endpoint admits requests again once its window is over, not an hour
    later."""
    wall, mono = [1_800_000_000_000], [5_000]
    monkeypatch.setattr(app_module, "now_ms", lambda: wall[0])
    monkeypatch.setattr(app_module, "monotonic_ms", lambda: mono[0])
    settings = Settings(admin_token=ADMIN_TOKEN, rate_limits=True)
    ex = await InProc(tmp_path / "data", settings=settings).start()
    try:
        codes = [(await ex.http.get(TIME)).status_code for _ in range(21)]
        assert codes == [200] * 20 + [429]
        wall[0] -= 3_600_000  # the wall clock is stepped back an hour
        mono[0] += 1_000
        refused = await ex.http.get(TIME)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        mono[0] += 1_000  # the window is over
        assert (await ex.http.get(TIME)).status_code == 200
    finally:
        await ex.stop()
