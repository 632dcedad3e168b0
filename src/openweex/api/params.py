"""Request parameter parsing with the tolerance real WEEX clients need.

* numbers may come as JSON numbers or strings (``"limit": 10`` and ``"limit": "10"``);
* an empty string (or ``null``) means "not given";
* symbols match case-insensitively, with or without the ``_SPBL`` suffix.

A bad parameter raises :class:`Rejected`, which the app turns into the WEEX error envelope.
Exceptions are used here only to unwind parsing code; they always carry a WEEX code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openweex.domain import errors
from openweex.domain.errors import Reject
from openweex.domain.markets import Coin, Markets, Symbol
from openweex.domain.values import parse_units


class Rejected(Exception):
    def __init__(self, rej: Reject) -> None:
        super().__init__(rej.msg)
        self.reject = rej


def fail(code: str, detail: str = "") -> Rejected:
    return Rejected(errors.reject(code, detail))


Params = Mapping[str, Any]


def opt_str(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise fail(errors.PARAM_INVALID, f"{name} must be a string")
    text = str(value).strip()
    return text or None


def req_str(params: Params, name: str) -> str:
    value = opt_str(params, name)
    if value is None:
        raise fail(errors.PARAM_REQUIRED, name)
    return value


def opt_int(
    params: Params, name: str, lo: int = 0, hi: int = 2**63 - 1, default: int | None = None
) -> int | None:
    text = opt_str(params, name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 19:
        raise fail(errors.PARAM_INVALID, f"{name} must be a whole number")
    value = int(text)
    if value < lo or value > hi:
        raise fail(errors.PARAM_INVALID, f"{name} must be between {lo} and {hi}")
    return value


def limit_param(params: Params, default: int = 100, maximum: int = 500) -> int:
    value = opt_int(params, "limit", 1, 10**9, default)
    assert value is not None
    return min(value, maximum)


def symbol_param(params: Params, markets: Markets, required: bool = True) -> Symbol:
    text = req_str(params, "symbol") if required else opt_str(params, "symbol") or ""
    sym = markets.find_symbol(text)
    if sym is None:
        raise fail(errors.SYMBOL_NOT_FOUND, text)
    return sym


def coin_param(markets: Markets, text: str) -> Coin:
    coin = markets.find_coin(text)
    if coin is None:
        raise fail(errors.PARAM_INVALID, f"unknown coin {text}")
    return coin


def units_param(params: Params, name: str, scale: int) -> int:
    text = req_str(params, name)
    value = parse_units(text, scale, name)
    if isinstance(value, Reject):
        raise Rejected(value)
    return value


def id_param(params: Params, name: str) -> int | None:
    """An order/fill/bill id: digits only; absent or empty is ``None``."""
    return opt_int(params, name, 0, 2**63 - 1)
