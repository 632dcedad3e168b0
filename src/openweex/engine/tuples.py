"""Building NamedTuple instances (the engine's events and acks) cheaply.

``make(cls, *items)`` is ``tuple.__new__(cls, items)``: an instance of ``cls`` holding
exactly ``items``, without running the NamedTuple's Python-level ``__new__`` (the engine
always passes every field, in order). The compiled build provides it as a small C function
(``_newtuple.c``) that fills the instance straight from its arguments; a fill produces
eight events, so this is a large part of the engine's cost. Without the extension it is
plain Python over ``tuple.__new__``.

``untrack(obj)`` stops the garbage collector tracking an object that cannot be part of a
reference cycle (the book's orders); without the extension it does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openweex.engine._newtuple import make, untrack
else:
    try:
        from openweex.engine._newtuple import make, untrack
    except ImportError:
        _tuple_new = tuple.__new__

        def make(cls, /, *items):
            return _tuple_new(cls, items)

        def untrack(obj, /):
            pass


__all__ = ["compiled", "make", "untrack"]


def compiled() -> bool:
    """True when ``make`` is the C implementation."""
    return type(make).__name__ == "builtin_function_or_method"
