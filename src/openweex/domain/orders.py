"""Order status and its explicit transition table.

REST status values are ``init``, ``new``, ``partial_fill``, ``full_fill`` and ``cancelled``.
The WebSocket order stream uses numbers: 1 new, 2 filled, 3 partially filled,
4 cancelled, 5 partially filled then cancelled (see :func:`ws_status`).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class Status(IntEnum):
    INIT = 0
    NEW = 1
    PARTIAL_FILL = 2
    FULL_FILL = 3
    CANCELLED = 4

    @property
    def wire(self) -> str:
        return _WIRE[self]

    @property
    def final(self) -> bool:
        return self >= Status.FULL_FILL


_WIRE = {
    Status.INIT: "init",
    Status.NEW: "new",
    Status.PARTIAL_FILL: "partial_fill",
    Status.FULL_FILL: "full_fill",
    Status.CANCELLED: "cancelled",
}

STATUS_BY_WIRE = {v: k for k, v in _WIRE.items()}

# Every legal move. An order is born INIT and leaves it while its command is applied.
TRANSITIONS: frozenset[tuple[Status, Status]] = frozenset(
    {
        (Status.INIT, Status.NEW),
        (Status.INIT, Status.PARTIAL_FILL),
        (Status.INIT, Status.FULL_FILL),
        (Status.INIT, Status.CANCELLED),
        (Status.NEW, Status.PARTIAL_FILL),
        (Status.NEW, Status.FULL_FILL),
        (Status.NEW, Status.CANCELLED),
        (Status.PARTIAL_FILL, Status.PARTIAL_FILL),
        (Status.PARTIAL_FILL, Status.FULL_FILL),
        (Status.PARTIAL_FILL, Status.CANCELLED),
    }
)


class IllegalTransition(Exception):
    """Raised for a status move outside :data:`TRANSITIONS`: always a bug."""


# TRANSITIONS by old status, for checks that need no tuple.
_NEXT: Final[dict[Status, frozenset[Status]]] = {
    old: frozenset(n for o, n in TRANSITIONS if o is old) for old in Status
}


def check_transition(old: Status, new: Status) -> Status:
    if new not in _NEXT[old]:
        raise IllegalTransition(f"{old.wire} -> {new.wire}")
    return new


def ws_status(status: Status, filled: int) -> int:
    """The WebSocket numeric status of an order."""
    if status is Status.FULL_FILL:
        return 2
    if status is Status.CANCELLED:
        return 5 if filled > 0 else 4
    if status is Status.PARTIAL_FILL:
        return 3
    return 1
