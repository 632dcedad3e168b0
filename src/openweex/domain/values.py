"""Order vocabulary and exact decimal <-> integer conversion.

Inside openweex every amount is an int: prices in ticks of the symbol's price scale,
quantities in lots of its quantity scale, balances in the coin's smallest unit. Decimal is
only used at the edges (parsing wire strings, formatting responses). A value that does not
fit the scale exactly is rejected, never rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import IntEnum

from openweex.domain import errors
from openweex.domain.errors import Reject


class Side(IntEnum):
    """Order side; the int values are the WebSocket enums (1 buy, 2 sell)."""

    BUY = 1
    SELL = 2

    @property
    def wire(self) -> str:
        return "buy" if self is Side.BUY else "sell"


class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2

    @property
    def wire(self) -> str:
        return "limit" if self is OrderType.LIMIT else "market"


class Force(IntEnum):
    """Time in force. ``NORMAL`` is good till cancelled."""

    NORMAL = 1
    POST_ONLY = 2
    IOC = 3
    FOK = 4

    @property
    def wire(self) -> str:
        return _FORCE_WIRE[self]


_FORCE_WIRE = {
    Force.NORMAL: "normal",
    Force.POST_ONLY: "post_only",
    Force.IOC: "ioc",
    Force.FOK: "fok",
}

SIDES = {"buy": Side.BUY, "sell": Side.SELL}
ORDER_TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}
FORCES = {
    "normal": Force.NORMAL,
    "gtc": Force.NORMAL,
    "post_only": Force.POST_ONLY,
    "postonly": Force.POST_ONLY,
    "ioc": Force.IOC,
    "fok": Force.FOK,
}

# Largest amount accepted anywhere (in smallest units): keeps arithmetic and storage sane.
MAX_UNITS = 10**30

# What :func:`parse_units` reads (before the scale and size checks), and the clientOrderId
# rule; both match a whole text.
DECIMAL_PATTERN = r"[+]?([0-9]+)(?:\.([0-9]*))?|[+]?\.([0-9]+)"
CLIENT_OID_PATTERN = r"[A-Za-z0-9_-]{1,40}"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_CLIENT_OID_RE = re.compile(CLIENT_OID_PATTERN)


def parse_units(text: str, scale: int, field: str) -> int | Reject:
    """Parse a non-negative decimal string into an int of ``10**-scale`` units.

    Rejects (40017) anything that is not a plain decimal, has more fractional digits
    than ``scale`` (after dropping trailing zeros), or is absurdly large.
    """
    text = text.strip()
    m = _DECIMAL_RE.fullmatch(text)
    if m is None:
        return errors.reject(errors.PARAM_INVALID, f"{field} is not a valid number")
    if m.group(3) is not None:
        whole, frac = "0", m.group(3)
    else:
        whole, frac = m.group(1), m.group(2) or ""
    frac = frac.rstrip("0")
    if len(frac) > scale:
        return errors.reject(errors.PARAM_INVALID, f"{field} has more than {scale} decimal places")
    if len(whole.lstrip("0")) > 31:
        return errors.reject(errors.PARAM_INVALID, f"{field} is too large")
    value: int = int(whole) * 10**scale + (int(frac.ljust(scale, "0")) if frac else 0)
    if value > MAX_UNITS:
        return errors.reject(errors.PARAM_INVALID, f"{field} is too large")
    return value


def format_units(value: int, scale: int) -> str:
    """Format an int of ``10**-scale`` units as a plain decimal string, trailing zeros dropped."""
    if scale == 0:
        return str(value)
    neg = value < 0
    digits = str(-value if neg else value).rjust(scale + 1, "0")
    whole, frac = digits[:-scale], digits[-scale:].rstrip("0")
    text = f"{whole}.{frac}" if frac else whole
    return f"-{text}" if neg else text


def units_to_decimal(value: int, scale: int) -> Decimal:
    return Decimal(value).scaleb(-scale)


def decimal_to_units(value: Decimal, scale: int) -> int:
    """Exact conversion of a Decimal that is known to be on the scale."""
    try:
        scaled = value.scaleb(scale)
    except InvalidOperation as exc:  # pragma: no cover - only for NaN/inf
        raise ValueError(f"not a finite decimal: {value}") from exc
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} is not on scale {scale}")
    return int(scaled)


def valid_client_oid(text: str) -> bool:
    """clientOrderId rule: 1 to 40 characters of ``[A-Za-z0-9_-]``."""
    return _CLIENT_OID_RE.fullmatch(text) is not None
