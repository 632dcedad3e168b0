"""Walking the cursor-paged history endpoints (order history, fills, bills).

Semantics (from the contract and wire-compat.md): records come newest first; ``after=ID``
asks for records OLDER than ID. So the walk starts at the newest record (or just below a
given ``after``), then asks again with ``after`` = the id of the last record of the previous
page, until a page comes back empty. It also stops if a page's last id equals the cursor it
was asked with (a server that ignores ``after`` would otherwise loop forever).

A short page does not end the walk: a server may cap ``limit`` below what was asked, so only
an empty page proves the end. That costs one extra request at the end of the walk.
``limit`` is the page size, 1..500 (default 500, the contract's maximum).
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
