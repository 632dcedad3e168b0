"""Per-endpoint rate limits (GCRA: a token bucket kept as one timestamp per key).

A limit "N requests per W ms" lets a burst of N requests through and then one every W/N ms.
Private endpoints count per API key, public ones per client IP. Over the limit: HTTP 429
with code ``"429"``. Limits can be turned off (``enabled=False``) for a sandbox.

Times are integer milliseconds scaled by N so that no float is involved.
"""

from __future__ import annotations

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
    """GCRA limiter keyed by (who, path)."""

    def __init__(self, enabled: bool = True, max_keys: int = 100_000) -> None:
        self.enabled = enabled
        self._tat: dict[tuple[str, str], int] = {}
        self._max_keys = max_keys

    def allow(self, who: str, path: str, now_ms: int, limit: Limit | None = None) -> bool:
        """Count one request; False when it is over the limit (it is then not counted)."""
        if not self.enabled:
            return True
        lim = limit or LIMITS.get(path)
        if lim is None:
            return True
        n, window = lim
        # Work in units of 1/n ms so that the emission interval window/n is an int.
        now = now_ms * n
        key = (who, path)
        tat = self._tat.get(key, now)
        if tat < now:
            tat = now
        new_tat = tat + window
        if new_tat - now > window * n:
            return False
        if len(self._tat) >= self._max_keys:
            self._evict(now)
        self._tat[key] = new_tat
        return True

    def _evict(self, now: int) -> None:
        self._tat = {k: v for k, v in self._tat.items() if v > now}
