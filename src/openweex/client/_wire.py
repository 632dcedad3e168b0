"""Tolerant decoding of wire values and JSON encoding of request bodies.

Rules (the same for REST and WebSocket):
- numbers may come as JSON strings or JSON numbers; JSON is decoded with Decimal for
  non-integers, so no float ever holds an amount;
- a missing, null or empty-string amount decodes to the field's default (zero);
- timestamps are int milliseconds; a value below 10^11 is taken as seconds and multiplied by
  1000 (the contract shows 10-digit ``cTime``/``uTime`` values and second-based kline times);
- object keys are compared after stripping spaces (the contract has ``" code "``);
- unknown extra fields are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from .errors import InvalidResponseError

ZERO = Decimal(0)
_SECONDS_BELOW = 100_000_000_000
Amount = Decimal | int | str
"""What request methods accept for prices and quantities (never float)."""


def loads(raw: str | bytes) -> object:
    """Decode JSON with Decimal for non-integer numbers."""
    return json.loads(raw, parse_float=Decimal)


def dumps(body: Mapping[str, object]) -> bytes:
    """Encode a request body as compact UTF-8 JSON (the bytes that get signed)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def obj(value: object) -> dict[str, object]:
    """A JSON object with stripped keys; anything else is an invalid response."""
    if not isinstance(value, Mapping):
        raise InvalidResponseError(f"expected a JSON object, got {type(value).__name__}")
    return {str(key).strip(): item for key, item in value.items()}


def objs(value: object) -> list[dict[str, object]]:
    """A JSON array of objects (null decodes to an empty list)."""
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise InvalidResponseError(f"expected a JSON array, got {type(value).__name__}")
    return [obj(item) for item in value]


def dec(value: object, default: Decimal = ZERO) -> Decimal:
    """A Decimal from a string or number; null or "" gives ``default``."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidResponseError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidResponseError(f"expected a number, got {value!r}") from None


def opt_dec(value: object) -> Decimal | None:
    """Like :func:`dec`, but null or "" gives None."""
    if value is None or value == "":
        return None
    return dec(value)


def integer(value: object, default: int = 0) -> int:
    """An int from a string or number; null or "" gives ``default``."""
    if value is None or value == "":
        return default
    number = dec(value)
    if number != number.to_integral_value():
        raise InvalidResponseError(f"expected an integer, got {value!r}")
    return int(number)


def millis(value: object) -> int:
    """A timestamp in ms; values that look like seconds are scaled to ms."""
    number = integer(value)
    if 0 < abs(number) < _SECONDS_BELOW:
        return number * 1000
    return number


def text(value: object, default: str = "") -> str:
    """A string (numbers are rendered as given); null gives ``default``."""
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def opt_text(value: object) -> str | None:
    """A string, or None for null and ""."""
    if value is None or value == "":
        return None
    return text(value)


def flag(value: object) -> bool:
    """A boolean given as true/false, "true"/"false", 1/0 or "1"/"0"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return value != 0
    return str(value).strip().lower() in ("true", "1", "yes")


def amount_param(value: Amount) -> str:
    """Render a request amount as a plain decimal string (no exponent). Floats and bools
    are refused (TypeError), and so are NaN and infinities (ValueError)."""
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"amounts must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, int):
        return str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return format(number, "f")
