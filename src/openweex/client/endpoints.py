"""Every REST endpoint of the contract: verb, path, whether it is signed, whether it may be
retried, and its rate limit.

``idempotent`` marks the calls that are safe to repeat: every GET, the listen-key PUT and
DELETE, and the read-only POSTs (bills, orderInfo, open-orders, history, fills). Placing and
cancelling orders and creating a listen key are never retried automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from .throttle import RateLimit


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST endpoint."""

    name: str
    method: str
    path: str
    signed: bool
    idempotent: bool
    limit: RateLimit

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


_PUB = "/api/spot/v1/public"
_MKT = "/api/spot/v1/market"
_ACC = "/api/spot/v1/account"
_TRD = "/api/spot/v1/trade"
_UDS = "/api/v3/userDataStream"

_L20_2 = RateLimit(20, 2.0)
_L20 = RateLimit(20, 1.0)
_L10 = RateLimit(10, 1.0)
_L5 = RateLimit(5, 1.0)

SERVER_TIME = Endpoint("server_time", "GET", f"{_PUB}/time", False, True, _L20_2)
CURRENCIES = Endpoint("currencies", "GET", f"{_PUB}/currencies", False, True, _L20_2)
PRODUCTS = Endpoint("products", "GET", f"{_PUB}/products", False, True, _L20)
PRODUCT = Endpoint("product", "GET", f"{_PUB}/product", False, True, _L20)
TICKER = Endpoint("ticker", "GET", f"{_MKT}/ticker", False, True, _L20)
TICKERS = Endpoint("tickers", "GET", f"{_MKT}/tickers", False, True, _L20)
MARKET_FILLS = Endpoint("market_fills", "GET", f"{_MKT}/fills", False, True, _L20)
CANDLES = Endpoint("candles", "GET", f"{_MKT}/candles", False, True, _L20)
DEPTH = Endpoint("depth", "GET", f"{_MKT}/depth", False, True, _L20)
ASSETS = Endpoint("assets", "GET", f"{_ACC}/assets", True, True, _L10)
BILLS = Endpoint("bills", "POST", f"{_ACC}/bills", True, True, _L10)
TRANSFER_RECORDS = Endpoint("transfer_records", "GET", f"{_ACC}/transferRecords", True, True, _L10)
PLACE_ORDER = Endpoint("place_order", "POST", f"{_TRD}/orders", True, False, _L10)
BATCH_ORDERS = Endpoint("batch_orders", "POST", f"{_TRD}/batch-orders", True, False, _L5)
CANCEL_ORDER = Endpoint("cancel_order", "POST", f"{_TRD}/cancel-order", True, False, _L10)
CANCEL_BATCH = Endpoint("cancel_batch", "POST", f"{_TRD}/cancel-batch-orders", True, False, _L10)
ORDER_INFO = Endpoint("order_info", "POST", f"{_TRD}/orderInfo", True, True, _L10)
OPEN_ORDERS = Endpoint("open_orders", "POST", f"{_TRD}/open-orders", True, True, _L10)
HISTORY = Endpoint("history", "POST", f"{_TRD}/history", True, True, _L20)
FILLS = Endpoint("fills", "POST", f"{_TRD}/fills", True, True, _L20)
LISTEN_KEY_CREATE = Endpoint("listen_key_create", "POST", _UDS, True, False, _L10)
LISTEN_KEY_LIST = Endpoint("listen_key_list", "GET", _UDS, True, True, _L10)
LISTEN_KEY_KEEPALIVE = Endpoint("listen_key_keepalive", "PUT", _UDS, True, True, _L10)
LISTEN_KEY_CLOSE = Endpoint("listen_key_close", "DELETE", _UDS, True, True, _L10)

ENDPOINTS: tuple[Endpoint, ...] = (
    SERVER_TIME,
    CURRENCIES,
    PRODUCTS,
    PRODUCT,
    TICKER,
    TICKERS,
    MARKET_FILLS,
    CANDLES,
    DEPTH,
    ASSETS,
    BILLS,
    TRANSFER_RECORDS,
    PLACE_ORDER,
    BATCH_ORDERS,
    CANCEL_ORDER,
    CANCEL_BATCH,
    ORDER_INFO,
    OPEN_ORDERS,
    HISTORY,
    FILLS,
    LISTEN_KEY_CREATE,
    LISTEN_KEY_LIST,
    LISTEN_KEY_KEEPALIVE,
    LISTEN_KEY_CLOSE,
)
"""All endpoints, in the order of the contract."""
