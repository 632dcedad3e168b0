"""The SDK's exception tree and the one table that maps WEEX error codes to it.

Every exception the SDK raises on purpose derives from :class:`OpenWeexError`::

    OpenWeexError
    ├── TransportError              network failure, timeout, connection reset
    │   └── OrderPlacementError     place_order failed in transport; ``landed`` says what we know
    ├── InvalidResponseError        a response (or frame) that cannot be decoded
    ├── MissingCredentialsError     a private endpoint called without key/secret/passphrase
    ├── StreamError                 a WebSocket subscription rejected by the server
    └── ApiError                    the server answered with an error (code, msg, http_status)
        ├── AuthenticationError     missing/invalid headers, key, timestamp, signature, passphrase
        ├── PermissionDeniedError   frozen user, key without the permission, IP not whitelisted
        ├── RateLimitError          HTTP 429 / code 429 (``retry_after`` from Retry-After)
        ├── InvalidParameterError   the request itself is wrong (bad or missing parameter, ...)
        ├── InsufficientBalanceError  43012
        ├── OrderNotFoundError      43001
        ├── OrderRejectedError      an order refused by the matching rules (openweex codes)
        │   └── DuplicateClientOrderIdError
        └── ServerError             system error, upgrade, HTTP 5xx

:data:`ERROR_CODES` is the single mapping from a WEEX ``code`` to a class. A code that is not
in the table falls back on the HTTP status (401 authentication, 403 permission, 429 rate
limit, 5xx server), and otherwise to a plain :class:`ApiError`.
"""

from __future__ import annotations

from collections.abc import Mapping


class OpenWeexError(Exception):
    """Base class of every error raised by the SDK.

    ``after_lost_answer`` is True when the request was repeated (an idempotent one) after an
    attempt whose answer was lost: that attempt may have done what was asked.
    """

    after_lost_answer: bool = False


class TransportError(OpenWeexError):
    """The request did not get a response: connection refused, timeout, reset, ...

    ``request_sent`` is False when the failure happened before any byte of the request could
    reach the server (connection could not be opened), True when it may have been received.
    """

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class OrderPlacementError(TransportError):
    """``place_order`` failed in transport; the SDK checked what it could.

    ``landed`` is False when the order was not sent or was not found by its clientOrderId
    after the failure, None when its fate is unknown (no clientOrderId was given, or the check
    itself failed). An order found by the check is returned normally, never raised.
    A request still in flight can land after the check: the safe retry is to place again with
    the SAME clientOrderId, which openweex rejects as a duplicate if the first one landed.
    """

    def __init__(
        self,
        message: str,
        *,
        client_order_id: str | None,
        landed: bool | None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, request_sent=request_sent)
        self.client_order_id = client_order_id
        self.landed = landed


class InvalidResponseError(OpenWeexError):
    """A response body or WebSocket frame that is not what the contract describes."""


class MissingCredentialsError(OpenWeexError):
    """A private endpoint was called on a client built without API key, secret or passphrase."""


class StreamError(OpenWeexError):
    """The WebSocket server rejected a subscription (an ack with a non-zero code)."""


class ApiError(OpenWeexError):
    """The server answered with an error envelope or an error HTTP status.

    ``code`` is the WEEX code as a string ("40009"; the HTTP status as a string when the
    response carried no envelope), ``msg`` the server's message and ``http_status`` the
    HTTP status of the response (200 is possible: an envelope with a non-success code).
    """

    def __init__(self, code: str, msg: str, http_status: int) -> None:
        super().__init__(f"[{code}] {msg} (HTTP {http_status})")
        self.code = code
        self.msg = msg
        self.http_status = http_status


class AuthenticationError(ApiError):
    """Missing or invalid ACCESS-* headers, unknown key, bad or expired timestamp, bad signature,
    wrong passphrase."""


class PermissionDeniedError(ApiError):
    """Authenticated, but not allowed: user frozen, key lacks the permission, IP not allowed,
    second factor required."""


class RateLimitError(ApiError):
    """Too many requests. ``retry_after`` is the server's Retry-After in seconds, if given."""

    retry_after: float | None = None


class InvalidParameterError(ApiError):
    """The request is wrong: a bad, missing or out-of-range parameter, unknown symbol, ..."""


class InsufficientBalanceError(ApiError):
    """Not enough available balance for the order (43012)."""


class OrderNotFoundError(ApiError):
    """The order does not exist, belongs to someone else, or is already finished (43001)."""


class OrderRejectedError(ApiError):
    """A well-formed order refused by the matching rules (post-only would take, FOK not
    fillable, no liquidity for a market order). Codes chosen by openweex."""


class DuplicateClientOrderIdError(OrderRejectedError):
    """The clientOrderId is already used by another order of this user (openweex 43118)."""


class ServerError(ApiError):
    """The server failed or is unavailable: system error, upgrade, HTTP 5xx."""


class ListenKeyNotFoundError(ApiError):
    """The listen key does not exist, expired, or belongs to another user (40042): create a
    new one."""


class ListenKeyLimitError(ApiError):
    """The user already has the most live listen keys allowed, 60 (40041)."""


_AUTH = ("40001", "40002", "40003", "40005", "40006", "40008", "40009", "40011", "40012")
_PERMISSION = ("40013", "40014", "40016", "40018")
_PARAMETER = (
    "40007",
    "40017",
    "40019",
    "40102",
    "40305",
    "40409",
    "40704",
    "40707",
    "40724",
    "40912",
    "40913",
    "45110",
)
_SERVER = ("40015", "40200", "40725")
_REJECTED = ("43115", "43116", "43117")

ERROR_CODES: Mapping[str, type[ApiError]] = {
    **dict.fromkeys(_AUTH, AuthenticationError),
    **dict.fromkeys(_PERMISSION, PermissionDeniedError),
    **dict.fromkeys(_PARAMETER, InvalidParameterError),
    **dict.fromkeys(_SERVER, ServerError),
    **dict.fromkeys(_REJECTED, OrderRejectedError),
    "429": RateLimitError,
    "43012": InsufficientBalanceError,
    "43001": OrderNotFoundError,
    "43118": DuplicateClientOrderIdError,
    "40041": ListenKeyLimitError,
    "40042": ListenKeyNotFoundError,
}
"""WEEX error code -> exception class. The one place where codes are classified."""


def _class_for_status(http_status: int) -> type[ApiError]:
    if http_status == 401:
        return AuthenticationError
    if http_status == 403:
        return PermissionDeniedError
    if http_status == 429:
        return RateLimitError
    if http_status >= 500:
        return ServerError
    return ApiError


def error_for(
    code: str, msg: str, http_status: int, *, retry_after: float | None = None
) -> ApiError:
    """Build the exception for an error answer: by code first, then by HTTP status."""
    cls = ERROR_CODES.get(code) or _class_for_status(http_status)
    error = cls(code, msg, http_status)
    if isinstance(error, RateLimitError):
        error.retry_after = retry_after
    return error


def is_retryable(error: BaseException) -> bool:
    """Whether an idempotent call may be retried after ``error`` (429, transport, server)."""
    return isinstance(error, TransportError | RateLimitError | ServerError)
