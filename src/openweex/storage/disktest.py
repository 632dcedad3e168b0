"""How long a disk takes to make a small append durable: the floor of an order's latency.

Every order is answered only after the journal's ``fdatasync`` returned, so no setting of the
exchange answers faster than the disk under its data directory syncs. :func:`measure_disk`
does what the journal does for a lone order, with nothing else around it: it writes
``size``-byte records into a file zero-filled ahead (as journal segments are), with direct
I/O where the filesystem allows it (as the journal does, :mod:`openweex.storage.appendfile`),
each followed by ``fdatasync``, paced at ``rate`` a second (0: one after the other), and
times each write + sync. It first times one append after ``idle`` seconds without any (a
disk that sat idle is often slow to wake), then runs ``warmup`` seconds at the rate without
counting them, then measures for ``seconds``. The file is a hidden temporary one in the
directory and is always removed.

Run it with the server stopped: the server's own syncs would share the disk.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openweex.storage.appendfile import AppendFile
from openweex.storage.files import FsyncFn, datasync_function

__all__ = ["DiskReport", "existing_dir", "measure_disk"]

FILE_SIZE = 16 << 20  # the records go round in a file of this size, zero-filled first
_MAX_SIZE = 1 << 20


@dataclass(frozen=True, slots=True)
class DiskReport:
    """What :func:`measure_disk` measured; times in seconds."""

    directory: str
    size: int
    rate: float
    idle: float
    first: float | None  # the append after ``idle`` seconds without any (None: not measured)
    timings: list[float]  # every measured append's write + sync, sorted
    seconds: float  # how long the measured appends took, from the first one's start
    direct: bool = False  # the appends were written with direct I/O

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile of :attr:`timings` (nearest rank)."""
        t = self.timings
        return t[min(len(t) - 1, int(q / 100 * len(t)))]

    def over(self, limit: float) -> int:
        """How many measured appends took longer than ``limit`` seconds."""
        return sum(1 for x in self.timings if x > limit)

    def to_json(self) -> dict[str, Any]:
        ms = 1e3
        return {
            "directory": self.directory,
            "recordBytes": self.size,
            "directIo": self.direct,
            "rate": self.rate,
            "appends": len(self.timings),
            "appendsPerSecond": round(len(self.timings) / self.seconds, 1),
            "firstAfterIdleMs": None if self.first is None else round(self.first * ms, 3),
            "idleSeconds": self.idle,
            "p50Ms": round(self.percentile(50) * ms, 3),
            "p90Ms": round(self.percentile(90) * ms, 3),
            "p99Ms": round(self.percentile(99) * ms, 3),
            "p999Ms": round(self.percentile(99.9) * ms, 3),
            "maxMs": round(self.timings[-1] * ms, 3),
            "over1Ms": self.over(0.001),
            "over2Ms": self.over(0.002),
            "over5Ms": self.over(0.005),
        }

    def lines(self) -> list[str]:
        def ms(x: float) -> str:
            return f"{x * 1e3:.2f} ms"

        n = len(self.timings)
        pace = f"{self.rate:,.0f}/s" if self.rate else "one after the other"
        out = [
            f"disk under {self.directory}: {n:,} appends of {self.size} bytes, each written "
            f"({'direct I/O' if self.direct else 'through the page cache'}) and fdatasync'ed, "
            f"{pace} ({n / self.seconds:,.0f}/s)",
        ]
        if self.first is not None:
            out.append(f"first append after {self.idle:g} s idle: {ms(self.first)}")
        out.append(
            "write + fdatasync: "
            + ", ".join(f"p{q:g} {ms(self.percentile(q))}" for q in (50, 90, 99, 99.9))
            + f", max {ms(self.timings[-1])}"
        )
        out.append(
            ", ".join(f"over {m} ms: {self.over(m / 1e3):,}" for m in (1, 2, 5))
            + " (an order is answered no sooner than its append)"
        )
        return out


def existing_dir(path: Path) -> Path:
    """``path``, or its nearest ancestor that exists (the filesystem a new directory gets),
    absolute. It may be something else than a directory: the caller says so."""
    path = path.absolute()
    while not os.path.lexists(path) and path.parent != path:
        path = path.parent
    return path


def measure_disk(
    directory: Path,
    *,
    seconds: float,
    rate: float,
    size: int = 200,
    warmup: float = 0.5,
    idle: float = 0.5,
    sync: FsyncFn | None = None,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> DiskReport:
    """Time appends of ``size`` bytes + ``fdatasync`` in a temporary file in ``directory``.

    ``rate`` appends a second (0: back to back) for ``warmup`` seconds, not counted, then for
    ``seconds``; before them one append after ``idle`` seconds without any (0: none). At
    least one append is measured. ``sync``, ``clock`` and ``sleep`` are for tests.
    """
    if seconds <= 0 or rate < 0 or warmup < 0 or idle < 0 or not 0 < size <= _MAX_SIZE:
        raise ValueError("seconds must be > 0, rate, warmup and idle >= 0, size 1..1 MiB")
    if sync is None:
        sync = datasync_function()
    fd, name = tempfile.mkstemp(prefix=".disk-test-", suffix=".tmp", dir=directory)
    os.close(fd)
    file: AppendFile | None = None
    try:
        file = appends = AppendFile(name, 0)
        appends.append(b"", zeros_until=FILE_SIZE)  # zero-filled as the journal's segments
        os.fsync(appends.fd)
        record = b"\x5a" * size

        def append() -> float:
            if appends.end + size > FILE_SIZE:
                appends.rewind()
            start = clock()
            appends.append(record)
            sync(appends.fd)
            return clock() - start

        first: float | None = None
        if idle:
            sleep(idle)
            first = append()
        for _ in _paced(rate, warmup, clock, sleep):
            append()
        timings: list[float] = []
        began = clock()
        for _ in _paced(rate, seconds, clock, sleep):
            timings.append(append())
        if not timings:
            timings.append(append())
        elapsed = clock() - began
        direct = file.direct
    finally:
        if file is not None:
            file.close()
        os.unlink(name)
    return DiskReport(
        str(directory), size, rate, idle, first, sorted(timings), elapsed or float("inf"), direct
    )


def _paced(
    rate: float, seconds: float, clock: Callable[[], float], sleep: Callable[[float], None]
) -> Iterator[int]:
    """Yield when each append is due: ``rate`` a second for ``seconds`` (0: back to back)."""
    start = clock()
    k = 0
    while (k / rate if rate else clock() - start) < seconds:
        wait = start + k / rate - clock() if rate else 0.0
        if wait > 0:
            sleep(wait)
        yield k
        k += 1
