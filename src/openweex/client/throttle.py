"""Client-side rate limiting and the retry policy.

:class:`Throttle` keeps, per endpoint, the times of the last N requests and hands out the
delay before the next one may go so that no window of ``per_seconds`` holds more than
``requests`` calls (a sliding log; the limits come from the contract, see
``openweex.client.endpoints``). A request waits ``margin`` seconds more than the window
strictly needs: the server counts requests when they arrive, and two requests sent exactly a
window apart may arrive a little closer (a server that enforces the same sliding window would
refuse the later one). Reservations are made in advance, so concurrent async calls queue up
fairly instead of all waking at the same instant. It never sleeps itself: the sync client
sleeps with ``time.sleep``, the async client with ``asyncio.sleep``.

:class:`RetryPolicy` says how idempotent calls are retried after a 429, a transport error or
a server error: exponential backoff ``initial_backoff * multiplier**attempt`` capped at
``max_backoff``, plus up to ``jitter`` (a fraction) of random extra, and never less than the
server's Retry-After.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple


class RateLimit(NamedTuple):
    """At most ``requests`` calls per ``per_seconds`` seconds."""

    requests: int
    per_seconds: float


class Throttle:
    """Per-key sliding-window limiter that returns how long to wait (it never sleeps)."""

    MARGIN = 0.05  # seconds: network jitter between two requests sent a window apart

    def __init__(self, clock: Callable[[], float] = time.monotonic, margin: float = MARGIN) -> None:
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        self._slots: dict[str, deque[float]] = {}

    def reserve(self, key: str, limit: RateLimit) -> float:
        """Reserve the next slot for ``key`` and return the seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            slots = self._slots.get(key)
            if slots is None or slots.maxlen != limit.requests:
                slots = deque(slots or (), maxlen=limit.requests)
                self._slots[key] = slots
            at = now
            if len(slots) == limit.requests:
                at = max(now, slots[0] + limit.per_seconds + self._margin)
            slots.append(at)
            return at - now


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries for idempotent calls. ``max_retries=0`` disables retrying."""

    max_retries: int = 3
    initial_backoff: float = 0.25
    multiplier: float = 2.0
    max_backoff: float = 8.0
    jitter: float = 0.1

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
        base = min(self.max_backoff, self.initial_backoff * self.multiplier**attempt)
        if self.jitter > 0:
            base += base * self.jitter * random.random()
        if retry_after is not None:
            base = max(base, retry_after)
        return base


NO_RETRY = RetryPolicy(max_retries=0)
"""A policy that never retries."""
