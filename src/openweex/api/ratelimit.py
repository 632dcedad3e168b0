"""Per-endpoint rate limits: at most N requests in any window of W ms, as the contract writes
them ("20 requests/2s").

Each (who, path) keeps the times of its last N allowed requests (a sliding log): a request is
allowed when the oldest of them is at least W ms old. A token bucket (GCRA) would let a burst
of N through and then one every W/N ms, nearly 2N in the first window: a bot that overruns
the real exchange's limit would not notice it here. Private endpoints count per API key,
public ones per client IP. Over the limit: HTTP 429 with code ``"429"`` and a ``Retry-After``
header (whole seconds, rounded up, until the oldest logged request leaves the window: a
request sent then is admitted); a rejected request is not counted. Limits can be turned off
(``enabled=False``) for a sandbox. The server counts on a monotonic clock: when the wall
clock is stepped back, the windows do not stretch by the step.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple


class Limit(NamedTuple):
    requests: int
    window_ms: int


# The contract's limits, by path.
LIMITS: dict[str, Limit] = {
    "/api/spot/v1/public/time": Limit(20, 2000),
    "/api/spot/v1/public/currencies": Limit(20, 2000),
    "/api/spot/v1/public/products": Limit(20, 1000),
    "/api/spot/v1/public/product": Limit(20, 1000),
    "/api/spot/v1/market/ticker": Limit(20, 1000),
    "/api/spot/v1/market/tickers": Limit(20, 1000),
    "/api/spot/v1/market/fills": Limit(20, 1000),
    "/api/spot/v1/market/candles": Limit(20, 1000),
    "/api/spot/v1/market/depth": Limit(20, 1000),
    "/api/spot/v1/account/assets": Limit(10, 1000),
    "/api/spot/v1/account/bills": Limit(10, 1000),
    "/api/spot/v1/account/transferRecords": Limit(10, 1000),
    "/api/spot/v1/trade/orders": Limit(10, 1000),
    "/api/spot/v1/trade/batch-orders": Limit(5, 1000),
    "/api/spot/v1/trade/cancel-order": Limit(10, 1000),
    "/api/spot/v1/trade/cancel-batch-orders": Limit(10, 1000),
    "/api/spot/v1/trade/orderInfo": Limit(10, 1000),
    "/api/spot/v1/trade/open-orders": Limit(10, 1000),
    "/api/spot/v1/trade/history": Limit(20, 1000),
    "/api/spot/v1/trade/fills": Limit(20, 1000),
    "/api/v3/userDataStream": Limit(10, 1000),
}


class RateLimiter:
    """Sliding-log limiter keyed by (who, path); times are integer milliseconds."""

    def __init__(self, enabled: bool = True, max_keys: int = 100_000) -> None:
        self.enabled = enabled
        self._log: dict[tuple[str, str], deque[int]] = {}
        self._max_keys = max_keys
        self._longest_ms = max(lim.window_ms for lim in LIMITS.values())

    def allow(self, who: str, path: str, now_ms: int, limit: Limit | None = None) -> bool:
        """Count one request; False when it is over the limit (it is then not counted)."""
        return not self.wait_ms(who, path, now_ms, limit)

    def wait_ms(self, who: str, path: str, now_ms: int, limit: Limit | None = None) -> int:
        """Count one request and return 0; or, when it is over the limit, do not count it
        and return how many ms remain until one would be admitted (at least 1)."""
        if not self.enabled:
            return 0
        lim = limit or LIMITS.get(path)
        if lim is None:
            return 0
        n, window = lim
        key = (who, path)
        times = self._log.get(key)
        if times is None:
            if len(self._log) >= self._max_keys:
                self._evict(now_ms)
            times = self._log[key] = deque(maxlen=n)
            self._longest_ms = max(self._longest_ms, window)
        elif len(times) == n and now_ms - times[0] < window:
            return window - (now_ms - times[0])
        times.append(now_ms)
        return 0

    def _evict(self, now_ms: int) -> None:
        """Forget the keys whose last request is older than any window (they limit nothing)."""
        horizon = now_ms - self._longest_ms
        self._log = {k: v for k, v in self._log.items() if v[-1] > horizon}
