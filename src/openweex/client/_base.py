"""Configuration shared by :class:`~.sync.Client` and :class:`~.async_.AsyncClient`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from urllib.parse import urlsplit

import httpx

from ._auth import WeexAuth, now_ms
from .endpoints import Endpoint
from .enums import OrderType
from .errors import (
    MissingCredentialsError,
    OpenWeexError,
    OrderNotFoundError,
    OrderPlacementError,
    TransportError,
    is_retryable,
)
from .models import Order, PlacedOrder
from .throttle import RetryPolicy, Throttle

SDK_VERSION = "0.1.0"
USER_AGENT = f"openweex-python/{SDK_VERSION}"
DEFAULT_TIMEOUT = 10.0


def checked_base_url(base_url: str, name: str = "base_url") -> str:
    """``base_url`` without a trailing slash; ValueError unless it is an http:// or https://
    URL with a host (``127.0.0.1:8080`` without a scheme is refused, not guessed at).
    ``name`` is how the messages call it."""
    if not isinstance(base_url, str):
        raise TypeError(f"{name} must be a str, not {type(base_url).__name__}")
    url = base_url.strip()
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and (parts.port is None or parts.port > 0)
    except ValueError:  # a bad IPv6 literal, a port that is not a number or out of range
        valid = False
    if not valid:
        raise ValueError(
            f"{name} must be an http:// or https:// URL with a host and an optional port,"
            f" e.g. http://127.0.0.1:8080 (got {base_url!r})"
        )
    return url.rstrip("/")


class BaseClient:
    """Credentials, throttle and retry policy; no I/O."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        secret_key: str | None,
        passphrase: str | None,
        *,
        throttle: bool | Throttle,
        retry: RetryPolicy | None,
        clock: Callable[[], int] | None,
    ) -> None:
        self.base_url = checked_base_url(base_url)
        self.retry = retry if retry is not None else RetryPolicy()
        self.throttle: Throttle | None = Throttle() if throttle is True else (throttle or None)
        self._auth: WeexAuth | None = None
        given = [bool(api_key), bool(secret_key), bool(passphrase)]
        if any(given) and not all(given):
            raise ValueError("give api_key, secret_key and passphrase together (or none)")
        if api_key and secret_key and passphrase:
            self._auth = WeexAuth(api_key, secret_key, passphrase, clock=clock or now_ms)

    @property
    def auth(self) -> WeexAuth | None:
        """The request signer, or None for a client without credentials."""
        return self._auth

    @staticmethod
    def default_headers(extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        headers.update(extra or {})
        return headers

    def auth_for(self, endpoint: Endpoint) -> WeexAuth | None:
        """The signer for a signed endpoint (raises without credentials), else None."""
        if not endpoint.signed:
            return None
        if self._auth is None:
            raise MissingCredentialsError(
                f"{endpoint} is private: build the client with api_key, secret_key and passphrase"
            )
        return self._auth

    def throttle_delay(self, endpoint: Endpoint) -> float:
        """Seconds to wait before sending a request to ``endpoint`` (0 without a throttle)."""
        if self.throttle is None:
            return 0.0
        # keyed by path, as the server counts: the listen-key methods share one budget
        return self.throttle.reserve(endpoint.path, endpoint.limit)

    def may_retry(self, endpoint: Endpoint, error: OpenWeexError, attempt: int) -> bool:
        """Whether to retry after ``error``: idempotent endpoint, retryable error, budget left."""
        return endpoint.idempotent and is_retryable(error) and attempt < self.retry.max_retries

    def retry_delay(self, error: OpenWeexError, attempt: int) -> float:
        """Backoff before the next attempt (honours a RateLimitError's ``retry_after``)."""
        return self.retry.delay(attempt, getattr(error, "retry_after", None))


def placement_unknown(exc: TransportError, client_order_id: str | None) -> OrderPlacementError:
    """The error for a placement whose outcome cannot be established."""
    return OrderPlacementError(
        f"order placement outcome unknown: {exc}",
        client_order_id=client_order_id,
        landed=None,
        request_sent=exc.request_sent,
    )


def placement_not_landed(exc: TransportError, client_order_id: str | None) -> OrderPlacementError:
    """The error for a placement that did not reach the server or was not found after."""
    return OrderPlacementError(
        f"order not placed: {exc}",
        client_order_id=client_order_id,
        landed=False,
        request_sent=exc.request_sent,
    )


def placed_from(
    orders: list[Order], client_order_id: str, sent: Mapping[str, object]
) -> PlacedOrder | None:
    """The placement confirmed by an orderInfo lookup, if the order is there: the order with
    ``client_order_id`` that is the one ``sent`` (the request's body). An order of another
    side, type, price or quantity under the same id is an older one (the placement was then
    refused as a duplicate), not this one."""
    for order in orders:
        if order.client_order_id in (None, client_order_id) and _same_order(order, sent):
            return PlacedOrder(order_id=order.order_id, client_order_id=client_order_id)
    return None


def _same_order(order: Order, sent: Mapping[str, object]) -> bool:
    def amount(name: str) -> Decimal | None:
        value = sent.get(name)
        return None if value is None else Decimal(str(value))

    if (order.side.value, order.order_type.value) != (sent.get("side"), sent.get("orderType")):
        return False
    if order.quantity != amount("quantity"):
        return False
    return order.order_type is not OrderType.LIMIT or order.price == amount("price")


def http_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """An httpx.Timeout from seconds (None means the SDK default)."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(DEFAULT_TIMEOUT if timeout is None else timeout)


def first_order(orders: list[Order], wanted: str | None) -> Order:
    """The single order of an orderInfo answer; an empty answer is 'not found' (43001)."""
    if not orders:
        raise OrderNotFoundError("43001", f"order {wanted} not found (empty answer)", 200)
    return orders[0]
