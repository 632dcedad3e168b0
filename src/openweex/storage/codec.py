"""Bytes for engine commands (journal records) and for plain data (snapshot payloads).

Command format: compact JSON (UTF-8, ASCII only, no spaces) of an array whose first element
is the command's stable tag from :data:`openweex.domain.commands.COMMAND_TAGS`, followed by
the command's fields in declaration order::

    [7,1700000000000,12,"BTCUSDT",1,1,1,6543210,1000,"oid-1"]      PlaceOrder
    [8,1700000000000,12,[[...PlaceOrder fields...],...]]            PlaceBatch (nested, untagged)

Invariants:

* ``decode(encode(cmd)) == cmd`` and ``type(decode(encode(cmd))) is type(cmd)`` for every
  command type. Decoding is driven by the field annotations: IntEnum fields come back as
  their enum members, ``tuple[...]`` fields as tuples, nested NamedTuples as their class.
* Tags and field order are part of the journal format: never renumber a tag, and only add
  new fields in a way that keeps old records decodable (e.g. a new command type).
* Malformed input or an unknown tag raises ``ValueError``.
* Speed: commands are encoded with orjson (the stdlib encoder takes over for what orjson
  cannot write exactly: ints beyond 64 bits, non-ASCII text), and the dominant records
  (PlaceOrder, CancelOrder, PlaceBatch) are decoded by hand-written fast paths that fall back
  to the generic, annotation-driven decoder whenever a value is not of the plain expected
  type (orjson reads ints beyond 64 bits as floats, so those always take the generic path).

Plain data format (:func:`encode_data`): compact JSON of ``None``, ``bool``, ``int``,
finite ``float``, ``str``, ``list``, ``tuple`` and ``dict``, where tuples and dicts JSON cannot
carry as they are stay exact: a tuple becomes ``{"__tuple__": [...]}`` and a dict with a key
that is not a string (or with a key named like one of these markers) becomes
``{"__map__": [[key, value], ...]}``. Int subclasses such as IntEnum are stored as ints.

Engine state for snapshots (:func:`encode_state`) is plain data with string keys, lists,
ints, strings and bools only; it is written with orjson when it can be (tuples, which the
engine state does not use, would come back as lists) and with :func:`encode_data` otherwise.
Either way :func:`decode_state` reads it back exactly.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import orjson

from openweex.domain.commands import COMMAND_TAGS, CancelOrder, Command, PlaceBatch, PlaceOrder
from openweex.domain.values import Force, OrderType, Side

_JSON_ENCODE = json.JSONEncoder(separators=(",", ":"), check_circular=False, allow_nan=False).encode
_JSON_DECODE = json.JSONDecoder().decode

_Decoder = Callable[[list[Any]], Any]
_Converter = Callable[[Any], Any]


def _as_list(value: Any) -> Any:
    if isinstance(value, tuple):  # nested NamedTuples (the orders of a PlaceBatch)
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(cmd: Command) -> bytes:
    """Encode one command as journal payload bytes."""
    try:
        tag = COMMAND_TAGS[type(cmd)]
    except KeyError:
        raise TypeError(f"not an engine command: {type(cmd).__name__}") from None
    try:
        data = orjson.dumps((tag, *cmd), default=_as_list)
        if data.isascii():
            return data
    except TypeError:  # an int beyond 64 bits
        pass
    return _JSON_ENCODE((tag, *cmd)).encode()


def decode(data: bytes) -> Command:
    """Decode bytes made by :func:`encode`; raises ``ValueError`` if they are not valid."""
    try:
        fields = orjson.loads(data)
        if type(fields) is list and fields:
            fast = _FAST.get(fields[0]) if type(fields[0]) is int else None
            if fast is not None:
                cmd = fast(fields)
                if cmd is not None:
                    return cmd
            if not _has_float(fields):
                return _decode_fields(fields)
        return _decode_fields(_JSON_DECODE(data.decode()))
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed command record: {exc!r}") from exc


def _decode_fields(fields: Any) -> Command:
    if type(fields) is not list or not fields:
        raise ValueError("a command must be a non-empty JSON array")
    decoder = _DECODERS.get(fields[0])
    if decoder is None or type(fields[0]) is not int:
        raise ValueError(f"unknown command tag {fields[0]!r}")
    result: Command = decoder(fields)
    return result


def _has_float(value: Any) -> bool:
    """True if orjson read a number as a float: an int beyond 64 bits (or not an int)."""
    kind = type(value)
    if kind is float:
        return True
    if kind is list:
        return any(_has_float(item) for item in value)
    return False


# --------------------------------------------------------------------------- fast paths

_SIDES = {int(v): v for v in Side}
_TYPES = {int(v): v for v in OrderType}
_FORCES = {int(v): v for v in Force}
_new = tuple.__new__


def _fast_place(f: list[Any], at: int = 1) -> PlaceOrder | None:
    """``[tag, ts, uid, symbol, side, type, force, price, qty, coid]`` from index ``at``."""
    ts, uid, symbol, side, otype, force, price, qty, coid = f[at:]
    if (
        type(ts) is not int
        or type(uid) is not int
        or type(price) is not int
        or type(qty) is not int
        or type(symbol) is not str
        or type(coid) is not str
    ):
        return None
    row = (ts, uid, symbol, _SIDES[side], _TYPES[otype], _FORCES[force], price, qty, coid)
    return _new(PlaceOrder, row)


def _fast_place_cmd(f: list[Any]) -> PlaceOrder | None:
    if len(f) != 10:
        return None
    _, ts, uid, symbol, side, otype, force, price, qty, coid = f
    ints = type(ts) is int and type(uid) is int and type(price) is int and type(qty) is int
    if not ints or type(symbol) is not str or type(coid) is not str:
        return None
    row = (ts, uid, symbol, _SIDES[side], _TYPES[otype], _FORCES[force], price, qty, coid)
    return _new(PlaceOrder, row)


def _fast_cancel(f: list[Any]) -> CancelOrder | None:
    if len(f) != 6:
        return None
    _, ts, uid, symbol, order_id, coid = f
    if type(ts) is not int or type(uid) is not int or type(order_id) is not int:
        return None
    if type(symbol) is not str or type(coid) is not str:
        return None
    return _new(CancelOrder, (ts, uid, symbol, order_id, coid))


def _fast_batch(f: list[Any]) -> PlaceBatch | None:
    if len(f) != 4 or type(f[1]) is not int or type(f[2]) is not int or type(f[3]) is not list:
        return None
    orders = []
    for item in f[3]:
        if type(item) is not list or len(item) != 9:
            return None
        order = _fast_place(item, 0)
        if order is None:
            return None
        orders.append(order)
    return _new(PlaceBatch, (f[1], f[2], tuple(orders)))


_FAST: dict[int, Callable[[list[Any]], Command | None]] = {
    COMMAND_TAGS[PlaceOrder]: _fast_place_cmd,
    COMMAND_TAGS[CancelOrder]: _fast_cancel,
    COMMAND_TAGS[PlaceBatch]: _fast_batch,
}


encode_command = encode
decode_command = decode


# --------------------------------------------------------------------------- decoders


def _converter(hint: Any) -> _Converter | None:
    """How to turn the JSON value of a field annotated ``hint`` back into its type."""
    if hint in (int, str, bool):
        return None
    if isinstance(hint, type) and issubclass(hint, IntEnum):
        members = {int(member): hint(int(member)) for member in hint}
        return members.__getitem__
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"unsupported command field type {hint!r}")
        item = _converter(args[0])
        if item is None:
            return tuple
        return lambda values: tuple([item(value) for value in values])
    if isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields"):
        return _record_decoder(hint, 0)
    raise TypeError(f"unsupported command field type {hint!r}")


def _record_decoder(cls: type[Any], offset: int) -> _Decoder:
    """Decoder of a JSON array holding ``cls``'s fields from index ``offset`` on."""
    hints = typing.get_type_hints(cls)
    fields: tuple[str, ...] = cls._fields
    convs = [(i, conv) for i, name in enumerate(fields) if (conv := _converter(hints[name]))]
    size = offset + len(fields)
    make: Callable[[list[Any]], Any] = cls._make
    name = cls.__name__

    def decode_plain(values: list[Any]) -> Any:
        if len(values) != size:
            raise ValueError(f"{name} needs {size - offset} fields, got {len(values) - offset}")
        return make(values[offset:])

    def decode_converted(values: list[Any]) -> Any:
        if len(values) != size:
            raise ValueError(f"{name} needs {size - offset} fields, got {len(values) - offset}")
        row = values[offset:]
        for i, conv in convs:
            row[i] = conv(row[i])
        return make(row)

    return decode_converted if convs else decode_plain


_DECODERS: dict[int, _Decoder] = {tag: _record_decoder(cls, 1) for cls, tag in COMMAND_TAGS.items()}


# --------------------------------------------------------------------------- plain data

_TUPLE = "__tuple__"
_MAP = "__map__"


def encode_data(value: Any) -> bytes:
    """Encode plain data (see the module docstring) as compact JSON bytes."""
    return _JSON_ENCODE(_to_json(value)).encode()


def decode_data(data: bytes) -> Any:
    """Decode bytes made by :func:`encode_data`; raises ``ValueError`` if they are invalid."""
    try:
        return json.loads(data.decode(), object_hook=_from_json_object)
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"malformed data: {exc!r}") from exc


def encode_state(state: Any) -> bytes:
    """Encode engine state (plain data with string keys) for a snapshot; see the docstring."""
    return _encode_plain(state)


def _encode_plain(value: Any) -> bytes:
    """orjson for every part it can write exactly, :func:`encode_data` for the rest.

    One int beyond 64 bits (a ledger total, one huge balance) would otherwise send the whole
    state, every resting order included, through the much slower exact encoder (about 1 s
    instead of 60 ms for 300,000 orders, holding the GIL). Dicts and lists that orjson
    refuses are split and their items encoded one by one, so only the parts holding such a
    value take the slow path. What either encoder writes decodes to the same values.
    """
    try:
        return orjson.dumps(value)
    except TypeError:  # an int beyond 64 bits, or a key that is not a string, somewhere in it
        pass
    kind = type(value)
    if kind is list:
        return b"[" + b",".join([_encode_plain(item) for item in value]) + b"]"
    if (
        kind is dict
        and all(type(key) is str for key in value)
        and _TUPLE not in value
        and _MAP not in value
    ):
        items = [orjson.dumps(key) + b":" + _encode_plain(item) for key, item in value.items()]
        return b"{" + b",".join(items) + b"}"
    return encode_data(value)


def decode_state(data: bytes) -> Any:
    """Decode bytes made by :func:`encode_state` (or :func:`encode_data`)."""
    return decode_data(data)


def _to_json(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is list:
        return [_to_json(item) for item in value]
    if kind is dict:
        if all(type(key) is str for key in value) and _TUPLE not in value and _MAP not in value:
            return {key: _to_json(item) for key, item in value.items()}
        return {_MAP: [[_to_json(key), _to_json(item)] for key, item in value.items()]}
    if kind is tuple:
        return {_TUPLE: [_to_json(item) for item in value]}
    if isinstance(value, int):  # IntEnum and other int subclasses, except bool (above)
        return int(value)
    if isinstance(value, str):  # StrEnum and other str subclasses
        return str(value)
    if kind is float:
        return value
    raise TypeError(f"cannot encode {kind.__name__} as plain data")


def _from_json_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _TUPLE in obj:
            return tuple(obj[_TUPLE])
        if _MAP in obj:
            return {key: item for key, item in obj[_MAP]}
    return obj
