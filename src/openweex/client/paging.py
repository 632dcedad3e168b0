"""Walking the cursor-paged history endpoints (order history, fills, bills; transfers).

Semantics (from the contract and wire-compat.md): records come newest first; ``after=ID``
asks for records OLDER than ID. So the walk starts at the newest record (or just below a
given ``after``), then asks again with ``after`` = the id of the last record of the previous
page, until a page comes back empty. It also stops if a page's last id equals the cursor it
was asked with (a server that ignores ``after`` would otherwise loop forever).

A short page does not end the walk: a server may cap ``limit`` below what was asked, so only
an empty page proves the end. That costs one extra request at the end of the walk.
``limit`` is the page size, 1..500 (default 500, the contract's maximum).

Transfer records page by time (``tradeTime``, ms), not by id, and several can share a
millisecond: a page that ends in the middle of one would lose the rest of it to the next
``after``. So :func:`paginate_by_time` asks, after each page, for every record of the page's
last millisecond (``after=t+1`` and ``before=t-1``: up to 500 of them), then goes on below it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_PAGE_SIZE = 500

FetchPage = Callable[[str | None, int], Sequence[T]]
"""``fetch(after, limit)`` returning one page, newest first."""
AsyncFetchPage = Callable[[str | None, int], Awaitable[Sequence[T]]]


def check_page_size(limit: int) -> int:
    """Validate a page size (1..500)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    return limit


def _next_cursor(
    page: Sequence[T], cursor_of: Callable[[T], str], cursor: str | None
) -> str | None:
    """The cursor for the next page, or None when the walk is over."""
    if not page:
        return None
    last = cursor_of(page[-1])
    if not last or last == cursor:
        return None
    return last


def paginate(
    fetch: FetchPage[T],
    cursor_of: Callable[[T], str],
    *,
    after: str | None = None,
    limit: int = MAX_PAGE_SIZE,
) -> Iterator[T]:
    """Every record across pages, newest first (sync). The page size is checked now."""
    check_page_size(limit)
    return _walk(fetch, cursor_of, after, limit)


def _walk(
    fetch: FetchPage[T], cursor_of: Callable[[T], str], after: str | None, limit: int
) -> Iterator[T]:
    cursor = after
    while True:
        page = fetch(cursor, limit)
        yield from page
        cursor = _next_cursor(page, cursor_of, cursor)
        if cursor is None:
            return


def apaginate(
    fetch: AsyncFetchPage[T],
    cursor_of: Callable[[T], str],
    *,
    after: str | None = None,
    limit: int = MAX_PAGE_SIZE,
) -> AsyncIterator[T]:
    """Every record across pages, newest first (async). The page size is checked now."""
    check_page_size(limit)
    return _awalk(fetch, cursor_of, after, limit)


async def _awalk(
    fetch: AsyncFetchPage[T], cursor_of: Callable[[T], str], after: str | None, limit: int
) -> AsyncIterator[T]:
    cursor = after
    while True:
        page = await fetch(cursor, limit)
        for item in page:
            yield item
        cursor = _next_cursor(page, cursor_of, cursor)
        if cursor is None:
            return


FetchRange = Callable[[int | None, int | None, int], Sequence[T]]
"""``fetch(after, before, limit)``: records older than ``after`` and newer than ``before``
(ms, each optional), newest first."""
AsyncFetchRange = Callable[[int | None, int | None, int], Awaitable[Sequence[T]]]


def paginate_by_time(
    fetch: FetchRange[T], time_of: Callable[[T], int], *, limit: int = MAX_PAGE_SIZE
) -> Iterator[T]:
    """Every record across pages of a time-cursored endpoint, newest first (sync)."""
    check_page_size(limit)
    return _walk_by_time(fetch, time_of, limit)


def _walk_by_time(fetch: FetchRange[T], time_of: Callable[[T], int], limit: int) -> Iterator[T]:
    cursor: int | None = None
    while True:
        page = fetch(cursor, None, limit)
        if not page:
            return
        last = time_of(page[-1])
        yield from (record for record in page if time_of(record) != last)
        yield from fetch(last + 1, last - 1, MAX_PAGE_SIZE)  # all of its last millisecond
        if cursor is not None and last >= cursor:
            return  # (a server that ignores ``after`` would otherwise loop forever)
        cursor = last


def apaginate_by_time(
    fetch: AsyncFetchRange[T], time_of: Callable[[T], int], *, limit: int = MAX_PAGE_SIZE
) -> AsyncIterator[T]:
    """Every record across pages of a time-cursored endpoint, newest first (async)."""
    check_page_size(limit)
    return _awalk_by_time(fetch, time_of, limit)


async def _awalk_by_time(
    fetch: AsyncFetchRange[T], time_of: Callable[[T], int], limit: int
) -> AsyncIterator[T]:
    cursor: int | None = None
    while True:
        page = await fetch(cursor, None, limit)
        if not page:
            return
        last = time_of(page[-1])
        for record in page:
            if time_of(record) != last:
                yield record
        for record in await fetch(last + 1, last - 1, MAX_PAGE_SIZE):
            yield record
        if cursor is not None and last >= cursor:
            return
        cursor = last
