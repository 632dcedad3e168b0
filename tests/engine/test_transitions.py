"""The order status transition table and the WebSocket status numbers."""

from __future__ import annotations

import itertools

import pytest

from openweex.domain.orders import (
    STATUS_BY_WIRE,
    TRANSITIONS,
    IllegalTransition,
    Status,
    check_transition,
    ws_status,
)

INIT, NEW, PARTIAL, FULL, CANCELLED = (
    Status.INIT,
    Status.NEW,
    Status.PARTIAL_FILL,
    Status.FULL_FILL,
    Status.CANCELLED,
)

# Written out independently of the module: an order is born INIT, leaves it when its
# command is applied, may fill partly any number of times, and ends filled or cancelled.
LEGAL = {
    (INIT, NEW),
    (INIT, PARTIAL),
    (INIT, FULL),
    (INIT, CANCELLED),
    (NEW, PARTIAL),
    (NEW, FULL),
    (NEW, CANCELLED),
    (PARTIAL, PARTIAL),
    (PARTIAL, FULL),
    (PARTIAL, CANCELLED),
}
ALL_PAIRS = list(itertools.product(Status, Status))


def test_table_is_exactly_the_legal_moves() -> None:
    assert set(TRANSITIONS) == LEGAL


@pytest.mark.parametrize(("old", "new"), sorted(LEGAL))
def test_legal_move_allowed(old: Status, new: Status) -> None:
    assert check_transition(old, new) is new


@pytest.mark.parametrize(("old", "new"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_move_raises(old: Status, new: Status) -> None:
    with pytest.raises(IllegalTransition) as info:
        check_transition(old, new)
    assert old.wire in str(info.value) and new.wire in str(info.value)


def test_some_illegal_moves_by_name() -> None:
    for old, new in [
        (FULL, CANCELLED),  # cancel after fill
        (CANCELLED, NEW),  # resurrection
        (CANCELLED, PARTIAL),
        (FULL, PARTIAL),
        (PARTIAL, NEW),  # a fill cannot be undone
        (NEW, NEW),
        (NEW, INIT),
        (FULL, FULL),
        (CANCELLED, CANCELLED),  # cancelling twice
    ]:
        with pytest.raises(IllegalTransition):
            check_transition(old, new)


def test_final_statuses() -> None:
    assert [s for s in Status if s.final] == [FULL, CANCELLED]
    for old, _ in TRANSITIONS:
        assert not old.final, "a final status must have no way out"


def test_every_status_is_reachable_from_init() -> None:
    reached = {INIT}
    frontier = [INIT]
    while frontier:
        s = frontier.pop()
        for old, new in TRANSITIONS:
            if old is s and new not in reached:
                reached.add(new)
                frontier.append(new)
    assert reached == set(Status)


def test_wire_names() -> None:
    assert [s.wire for s in Status] == ["init", "new", "partial_fill", "full_fill", "cancelled"]
    assert {STATUS_BY_WIRE[s.wire] for s in Status} == set(Status)


@pytest.mark.parametrize(
    ("status", "filled", "want"),
    [
        (INIT, 0, 1),
        (NEW, 0, 1),
        (PARTIAL, 5, 3),
        (FULL, 10, 2),
        (CANCELLED, 0, 4),  # cancelled without any fill
        (CANCELLED, 1, 5),  # partially filled, then cancelled
    ],
)
def test_ws_status(status: Status, filled: int, want: int) -> None:
    assert ws_status(status, filled) == want
