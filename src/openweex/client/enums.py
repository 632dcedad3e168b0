"""Enumerations of the WEEX spot wire, with the exact wire values.

REST enums are ``str`` enums: ``Side.BUY == "buy"`` and they serialise as their value.
Parsing (:meth:`parse`) is case-insensitive and accepts the aliases other clients of this API
family use (``postOnly``, ``canceled``, ...). The WebSocket order stream uses numbers; those
are the ``IntEnum`` classes at the end.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self

from .errors import InvalidResponseError


class _WireEnum(StrEnum):
    """A str enum with tolerant parsing of wire values."""

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {}

    @classmethod
    def parse(cls, value: object) -> Self:
        """Parse a wire value (member, exact value, other case or alias)."""
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        key = text.lower()
        key = cls._aliases().get(key, key)
        for member in cls:
            if member.value == key:
                return member
        raise InvalidResponseError(f"unknown {cls.__name__} value: {text!r}")

    @classmethod
    def coerce(cls, value: object) -> Self:
        """Like :meth:`parse` for request arguments: an unknown value raises ValueError."""
        try:
            return cls.parse(value)
        except InvalidResponseError as exc:
            raise ValueError(str(exc)) from None


class Side(_WireEnum):
    """Order or trade direction."""

    BUY = "buy"
    SELL = "sell"


class OrderType(_WireEnum):
    """Order type: ``limit`` (price given) or ``market``."""

    LIMIT = "limit"
    MARKET = "market"


class Force(_WireEnum):
    """Time in force: ``normal`` is good-till-cancelled."""

    NORMAL = "normal"
    POST_ONLY = "post_only"
    FOK = "fok"
    IOC = "ioc"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"postonly": "post_only", "post-only": "post_only", "gtc": "normal"}


class OrderStatus(_WireEnum):
    """REST order status."""

    INIT = "init"
    NEW = "new"
    PARTIAL_FILL = "partial_fill"
    FULL_FILL = "full_fill"
    CANCELLED = "cancelled"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {
            "canceled": "cancelled",
            "partially_filled": "partial_fill",
            "partial-fill": "partial_fill",
            "filled": "full_fill",
            "full-fill": "full_fill",
        }


class CandlePeriod(_WireEnum):
    """Candle periods of ``GET /api/spot/v1/market/candles``."""

    MIN1 = "1min"
    MIN5 = "5min"
    MIN15 = "15min"
    MIN30 = "30min"
    HOUR1 = "1h"
    HOUR4 = "4h"
    HOUR12 = "12h"
    DAY1 = "1d"
    WEEK1 = "7d"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"1day": "1d", "1week": "7d"}


class StreamOrderType(IntEnum):
    """``o`` of ``spot@private.orders.v3.api``."""

    LIMIT = 1
    POST_ONLY = 2
    IOC = 3
    FOK = 4
    MARKET = 5
    STOP_LIMIT = 100


class StreamOrderStatus(IntEnum):
    """``s`` of ``spot@private.orders.v3.api``."""

    NEW = 1
    FILLED = 2
    PARTIALLY_FILLED = 3
    CANCELED = 4
    PARTIALLY_CANCELED = 5


STREAM_SIDES: dict[int, Side] = {1: Side.BUY, 2: Side.SELL}
"""``S`` of the private and public streams: 1 buy, 2 sell."""
