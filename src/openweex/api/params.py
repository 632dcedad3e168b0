"""Request parameter decoding with the tolerance real WEEX clients need.

* GET/DELETE/PUT parameters come from the query string, POST parameters from a JSON object
  body (PUT/DELETE may also carry a JSON body; the query string wins);
* numbers may come as JSON numbers or strings (``"limit": 10`` and ``"limit": "10"``); a JSON
  number with a fraction or exponent is read exactly (never through a binary float);
* an empty string (or ``null``) means "not given";
* symbols match case-insensitively, with or without the ``_SPBL`` suffix.

Codes: a POST body that is not JSON is 40007; a value of the wrong JSON shape (a list, object
or boolean where a scalar is expected, a scalar where a list is expected, a body that is JSON
but not an object) is 40409; a value that does not parse (bad number, unknown enumeration)
is 40017; a required scalar that is missing is 40019; an empty required list is 40724.

A bad parameter raises :class:`Rejected`, which the app turns into the WEEX error envelope.
Exceptions are used here only to unwind parsing code; they always carry a WEEX code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from openweex.api.routing import INTEGER, Param
from openweex.domain import errors
from openweex.domain.errors import Reject
from openweex.domain.markets import Coin, Markets, Symbol
from openweex.domain.values import parse_units, valid_client_oid


class Rejected(Exception):
    def __init__(self, rej: Reject) -> None:
        super().__init__(rej.msg)
        self.reject = rej


def fail(code: str, detail: str = "") -> Rejected:
    return Rejected(errors.reject(code, detail))


# Only the last three months can be queried in history endpoints (40704).
HISTORY_MS = 90 * 24 * 3600 * 1000

Params = Mapping[str, Any]


# -- decoding the request ---------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)


def decode_json(body: bytes) -> dict[str, Any]:
    """A JSON object body, numbers with a fraction or exponent as exact :class:`Decimal`.

    The standard library's decoder is used on purpose: it reads every number exactly
    (integers of any length, fractions as Decimal) and is about as fast as any other here.
    """
    try:
        decoded = _decoder.decode(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise fail(errors.INVALID_CONTENT_TYPE, "the body is not JSON") from exc
    if not isinstance(decoded, dict):
        raise fail(errors.WRONG_FORMAT, "the body must be a JSON object")
    return decoded


_QUERIES: dict[bytes, dict[str, Any]] = {}
_MAX_QUERIES = 4096


def decode_query(raw_query: bytes) -> dict[str, Any]:
    """The query string as a dict (the last of repeated names wins); a fresh dict each call."""
    if not raw_query:
        return {}
    parsed = _QUERIES.get(raw_query)
    if parsed is None:
        parsed = dict(parse_qsl(raw_query.decode("utf-8", "replace"), keep_blank_values=True))
        if len(raw_query) <= 256:  # remember short queries: market data repeats them
            if len(_QUERIES) >= _MAX_QUERIES:
                _QUERIES.clear()
            _QUERIES[raw_query] = parsed
    return dict(parsed)


def request_params(
    method: str, raw_query: bytes, body: bytes, path_params: dict[str, Any] | None
) -> dict[str, Any]:
    """All parameters of a request (see the module docstring for where they come from)."""
    params = decode_query(raw_query)
    if method == "POST":
        if body.strip():
            params.update(decode_json(body))
    elif method != "GET" and body.strip():
        try:
            decoded: dict[str, Any] = decode_json(body)
        except Rejected:
            decoded = {}
        for k, v in decoded.items():
            params.setdefault(k, v)
    if path_params:
        params.update(path_params)
    return params


# -- reading one parameter ------------------------------------------------------------------
# A JSON number's exponent is not bounded by its length: 1e999999999 written out is a
# gigabyte. No parameter of this API has more than a few dozen digits either side of the
# point; a number beyond this many is refused before it is written out or made an int.
MAX_NUMBER_DIGITS = 100


def _sane(name: str, value: Decimal) -> Decimal:
    if not value.is_finite():
        raise fail(errors.PARAM_INVALID, f"{name} is not a finite number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if value.adjusted() > MAX_NUMBER_DIGITS or exponent < -MAX_NUMBER_DIGITS:
        raise fail(errors.PARAM_INVALID, f"{name} has too many digits")
    return value


def _text(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(_sane(name, value), "f")
    if isinstance(value, float):  # only from a caller that built params by hand
        return format(Decimal(repr(value)), "f")
    raise fail(errors.WRONG_FORMAT, f"{name} must be a string or a number")


def opt_str(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    text = _text(name, value).strip()
    return text or None


def req_str(params: Params, name: str) -> str:
    value = opt_str(params, name)
    if value is None:
        raise fail(errors.PARAM_REQUIRED, name)
    return value


def opt_raw(params: Params, name: str) -> str | None:
    """Like :func:`opt_str` but without trimming spaces (identifiers compared exactly)."""
    value = params.get(name)
    if value is None:
        return None
    return _text(name, value) or None


def client_oid_param(params: Params) -> str:
    """``clientOrderId`` as given ("" when absent or empty); 40305 when it breaks the rule
    (1 to 40 characters of ``[A-Za-z0-9_-]``, spaces included: it is never trimmed)."""
    coid = opt_raw(params, "clientOrderId") or ""
    if coid and not valid_client_oid(coid):
        raise fail(errors.CLIENT_OID_INVALID)
    return coid


def opt_list(params: Params, name: str, required: bool = True) -> list[Any] | None:
    """A JSON list parameter; missing or empty: 40724 when required."""
    value = params.get(name)
    if value is None or value == "" or value == []:
        if required:
            raise fail(errors.PARAM_EMPTY, name)
        return None
    if not isinstance(value, list):
        raise fail(errors.WRONG_FORMAT, f"{name} must be a list")
    return value


# The largest whole number a parameter takes (ids, times, counts): a signed 64-bit int.
MAX_INT = 2**63 - 1


def opt_int(
    params: Params, name: str, lo: int = 0, hi: int = MAX_INT, default: int | None = None
) -> int | None:
    value = params.get(name)
    if isinstance(value, Decimal) and _sane(name, value) == value.to_integral_value():
        params = {name: int(value)}  # a JSON number with a zero fraction (``2.0``): 2
    text = opt_str(params, name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise fail(errors.PARAM_INVALID, f"{name} must be a whole number")
    value = int(text)
    if value < lo or value > hi:
        raise fail(errors.PARAM_INVALID, f"{name} must be between {lo} and {hi}")
    return value


MIN_LIMIT = 1


class PageLimit(NamedTuple):
    """The ``limit`` of an endpoint: ``default`` when absent, at least :data:`MIN_LIMIT`,
    and values above ``cap`` are accepted and answered as ``cap``."""

    default: int
    cap: int

    def param(self) -> Param:
        """The parameter as ``/openapi.json`` declares it."""
        return Param(
            "limit",
            INTEGER,
            description=f"how many rows at most; values above {self.cap} are answered as"
            f" {self.cap}",
            minimum=MIN_LIMIT,
            maximum=MAX_INT,
            cap=self.cap,
            default=self.default,
        )


def limit_param(params: Params, limit: PageLimit) -> int:
    """``limit`` within ``limit``'s bounds (see :class:`PageLimit`)."""
    value = opt_int(params, "limit", MIN_LIMIT, MAX_INT, limit.default)
    assert value is not None
    return min(value, limit.cap)


SYMBOL = Param(
    "symbol",
    required=True,
    description="a symbol of /public/products, case-insensitive, with or without _SPBL",
)
SYMBOL_FILTER = Param("symbol", description=SYMBOL.description + "; absent: every symbol")


def symbol_param(params: Params, markets: Markets, required: bool = True) -> Symbol:
    text = req_str(params, "symbol") if required else opt_str(params, "symbol") or ""
    sym = markets.find_symbol(text)
    if sym is None:
        raise fail(errors.SYMBOL_NOT_FOUND, text[:64])
    return sym


def coin_param(markets: Markets, text: str) -> Coin:
    coin = markets.find_coin(text)
    if coin is None:
        raise fail(errors.PARAM_INVALID, f"unknown coin {text[:64]}")
    return coin


def units_param(params: Params, name: str, scale: int) -> int:
    text = req_str(params, name)
    value = parse_units(text, scale, name)
    if isinstance(value, Reject):
        raise Rejected(value)
    return value


def id_param(params: Params, name: str) -> int | None:
    """An order/fill/bill id: digits only; absent or empty is ``None``."""
    return opt_int(params, name, 0, MAX_INT)


def id_spec(name: str, description: str = "", required: bool = False) -> Param:
    """An id or millisecond-time parameter as :func:`id_param` (and ``opt_int``) reads it."""
    return Param(name, INTEGER, required, description, minimum=0, maximum=MAX_INT)
