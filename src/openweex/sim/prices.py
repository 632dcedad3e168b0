"""Reference prices: a seeded random walk in integer ticks, or a replayed CSV series.

Both are deterministic: the walk draws only integers from its own ``random.Random`` and does
all arithmetic on ints (no float ever touches a price), and a replay is a pure function of
the file and the simulated time. A source is asked ``advance(elapsed_ms)`` with the
simulation's elapsed time (non-decreasing) and answers a price in ticks (always >= 1).

Random walk. Each call moves the price by ``price x volatility x sqrt(dt / 1 min) x Z``
where ``Z`` is approximately standard normal (the Irwin-Hall sum of twelve 20-bit uniform
integers, centred), plus a pull of ``reversion x dt / 1 min`` of the gap back to the anchor
(the configured price), so a demo left running for days stays near its configured price.
The price is kept within [anchor / 20, anchor x 20] and at least one tick.

Replay files (CSV, comma separated, UTF-8 with or without a byte order mark, an optional
header line; a file whose name ends in ``.gz`` is read through gzip):

* candles: ``ts_ms,open,high,low,close,volume``, one row per candle, ``ts_ms`` the candle's
  open time in Unix milliseconds, rows in increasing time. The price path through a candle
  of length ``d`` (the gap to the next row; 60 s for the last) visits open at ``+0``, then
  low and high (high first for a falling candle) at ``+d/4`` and ``+d/2``, and close at
  ``+3d/4``; in between it is interpolated linearly, in integer ticks.
* trades: ``ts_ms,price,qty,side`` (``side`` buy or sell); the price is the last trade's
  price (a step function).

A header line names the kind (``open`` or ``price`` among its fields); without one, six
columns mean candles and four mean trades. Prices are rounded to the nearest tick of the
symbol (half to even); ``volume``, ``qty`` and ``side`` are checked but do not drive
anything. The file's time axis is replayed from its first row: simulated elapsed time ``t``
reads the file at ``first_ts + t x speed``; past the end it starts over (``loop``) or holds
the last price. A file that cannot be used (unreadable, not UTF-8, not CSV, a value that is
not a number or is absurdly large) raises :class:`ReplayError` naming the line at fault.
"""

from __future__ import annotations

import csv
import gzip
import random
import zlib
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from math import isqrt
from pathlib import Path
from typing import Protocol, TextIO

from openweex.sim.config import DEC, MAX_DIGITS, WALK_RANGE, SimConfigError

MINUTE_MS = 60_000
MAX_TS_DIGITS = 18  # ts_ms: up to 10**18 - 1 milliseconds
_BITS = 20
_UNIT = 1 << _BITS  # standard deviation of ``normal_int``


class PriceSource(Protocol):
    def advance(self, elapsed_ms: int) -> int:
        """The reference price in ticks at ``elapsed_ms`` of simulated time."""
        ...


def normal_int(rng: random.Random) -> int:
    """An integer approximately N(0, 2**40): mean 0, standard deviation 2**20."""
    return sum(rng.getrandbits(_BITS) for _ in range(12)) - 6 * _UNIT


def div_round(a: int, b: int) -> int:
    """``a / b`` rounded to the nearest int, halves away from zero (``b > 0``)."""
    q, r = divmod(abs(a), b)
    if 2 * r >= b:
        q += 1
    return q if a >= 0 else -q


class RandomWalk:
    """Seeded integer random walk with a weak pull back to its anchor."""

    def __init__(
        self, anchor: int, volatility: int, reversion: int, rng: random.Random, start: int = 0
    ) -> None:
        if anchor <= 0:
            raise ValueError("the anchor price must be positive")
        self.anchor = anchor
        self.volatility = volatility
        self.reversion = reversion
        self.rng = rng
        self.price = start if start > 0 else anchor
        self.last_ms = 0
        self.low = max(1, anchor // WALK_RANGE)
        self.high = anchor * WALK_RANGE

    def advance(self, elapsed_ms: int) -> int:
        dt = elapsed_ms - self.last_ms
        if dt <= 0:
            return self.price
        self.last_ms = elapsed_ms
        p = self.price
        # sigma over dt, in 1e-8: volatility x sqrt(dt / 1 min), sqrt taken in 1e-4 units.
        sigma = self.volatility * isqrt(dt * DEC // MINUTE_MS) // 10_000
        move = div_round(p * sigma * normal_int(self.rng), DEC * _UNIT)
        pull = div_round((self.anchor - p) * self.reversion * dt, DEC * MINUTE_MS)
        self.price = min(max(p + move + pull, self.low), self.high)
        return self.price


class Series:
    """A replayed price path: ``(offset_ms, ticks)`` points from the file's first row."""

    def __init__(
        self,
        points: list[tuple[int, int]],
        duration: int,
        interpolate: bool,
        speed: int = 1,
        loop: bool = True,
    ) -> None:
        if not points:
            raise ValueError("a replay needs at least one price")
        self.times = [t for t, _ in points]
        self.prices = [p for _, p in points]
        self.duration = max(duration, 1)
        self.interpolate = interpolate
        self.speed = speed
        self.loop = loop

    @property
    def first(self) -> int:
        return self.prices[0]

    def at(self, offset_ms: int) -> int:
        """The price ``offset_ms`` after the file's first row."""
        if offset_ms >= self.duration:
            if not self.loop:
                return self.prices[-1]
            offset_ms %= self.duration
        i = bisect_right(self.times, offset_ms) - 1
        if i < 0:
            return self.prices[0]
        if not self.interpolate or i + 1 >= len(self.times):
            return self.prices[i]
        t0, t1 = self.times[i], self.times[i + 1]
        p0, p1 = self.prices[i], self.prices[i + 1]
        return p0 + div_round((p1 - p0) * (offset_ms - t0), t1 - t0)

    def advance(self, elapsed_ms: int) -> int:
        return self.at(elapsed_ms * self.speed)


# -- loading ---------------------------------------------------------------------------------
class ReplayError(SimConfigError):
    """A replay file that cannot be used."""


def to_ticks(text: str, price_scale: int, where: str) -> int:
    """A decimal price string in ticks, rounded to the nearest tick (half to even)."""
    try:
        d = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ReplayError(f"{where}: not a number: {text!r}") from exc
    if not d.is_finite():
        raise ReplayError(f"{where}: not a finite number: {text!r}")
    digits = d.adjusted() + price_scale  # of the price in ticks, less one
    if digits >= MAX_DIGITS:
        raise ReplayError(f"{where}: price {text.strip()} is too large")
    ticks = round(Fraction(d) * 10**price_scale) if digits >= -2 else 0  # half to even
    if ticks <= 0:
        raise ReplayError(f"{where}: price must be at least one tick, got {text!r}")
    return ticks


def _check_number(text: str, where: str) -> None:
    try:
        d = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ReplayError(f"{where}: not a number: {text!r}") from exc
    if not d.is_finite() or d < 0:
        raise ReplayError(f"{where}: must be a non-negative number")


def _is_ts(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= MAX_TS_DIGITS


def _ts(text: str, where: str) -> int:
    t = text.strip()
    if not _is_ts(t):
        raise ReplayError(f"{where}: ts_ms must be an integer number of milliseconds")
    return int(t)


@contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    """``path`` as UTF-8 text (a leading byte order mark dropped), gunzipped when its name
    ends in ``.gz``."""
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
            yield fh
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield fh


def _read_lines(path: Path) -> list[tuple[int, list[str]]]:
    """The file's non-empty CSV rows with their line numbers."""
    lines: list[tuple[int, list[str]]] = []
    reader = None
    try:
        with _open_text(path) as fh:
            reader = csv.reader(fh)
            lines = [(reader.line_num, row) for row in reader if row]
    except UnicodeDecodeError as exc:
        hint = "" if path.suffix.lower() == ".gz" else " (a gzipped file must end in .gz)"
        raise ReplayError(f"cannot read {path}: it is not UTF-8 text{hint}") from exc
    except csv.Error as exc:
        where = f"{path}:{reader.line_num}" if reader is not None else str(path)
        raise ReplayError(f"{where}: not a CSV row: {exc}") from exc
    except gzip.BadGzipFile as exc:
        raise ReplayError(f"cannot read {path}: not a gzip file ({exc})") from exc
    except (EOFError, zlib.error) as exc:
        raise ReplayError(f"cannot read {path}: the gzip data is damaged ({exc})") from exc
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return lines


def _rows(path: Path) -> tuple[str, list[tuple[int, list[str]]]]:
    """The file's kind (``candles`` or ``trades``) and its data rows with line numbers."""
    lines = _read_lines(path)
    if not lines:
        raise ReplayError(f"{path}: no rows")
    kind = ""
    first = [c.strip().lower() for c in lines[0][1]]
    if not _is_ts(first[0]):
        kind = "candles" if "open" in first else "trades" if "price" in first else ""
        if not kind:
            raise ReplayError(f"{path}: header names neither candles (open) nor trades (price)")
        lines = lines[1:]
    if not kind:
        kind = {6: "candles", 4: "trades"}.get(len(first), "")
        if not kind:
            raise ReplayError(f"{path}: expected 6 columns (candles) or 4 (trades)")
    if not lines:
        raise ReplayError(f"{path}: no data rows")
    return kind, lines


def _candle_points(
    path: Path, rows: list[tuple[int, list[str]]], scale: int
) -> tuple[list[tuple[int, int]], int]:
    starts = [_ts(r[0], f"{path}:{n}") for n, r in rows]
    for i in range(1, len(rows)):
        if starts[i] <= starts[i - 1]:
            raise ReplayError(f"{path}:{rows[i][0]}: rows must be in increasing time")
    points: list[tuple[int, int]] = []
    for i, (n, row) in enumerate(rows):
        where = f"{path}:{n}"
        if len(row) != 6:
            raise ReplayError(f"{where}: expected ts_ms,open,high,low,close,volume")
        o, h, lo, c = (to_ticks(v, scale, where) for v in row[1:5])
        _check_number(row[5], where)
        if not (lo <= min(o, c) and h >= max(o, c)):
            raise ReplayError(f"{where}: high/low do not contain open and close")
        start = starts[i] - starts[0]
        end = starts[i + 1] - starts[0] if i + 1 < len(starts) else start + MINUTE_MS
        d = end - start
        mid = (h, lo) if c < o else (lo, h)
        points += [(start, o), (start + d // 4, mid[0]), (start + d // 2, mid[1])]
        points.append((start + 3 * d // 4, c))
    return points, starts[-1] - starts[0] + MINUTE_MS


def _trade_points(
    path: Path, rows: list[tuple[int, list[str]]], scale: int
) -> tuple[list[tuple[int, int]], int]:
    points: list[tuple[int, int]] = []
    t0 = _ts(rows[0][1][0], f"{path}:{rows[0][0]}")
    for n, row in rows:
        where = f"{path}:{n}"
        if len(row) != 4:
            raise ReplayError(f"{where}: expected ts_ms,price,qty,side")
        t = _ts(row[0], where) - t0
        if points and t < points[-1][0]:
            raise ReplayError(f"{where}: rows must be in time order")
        _check_number(row[2], where)
        if row[3].strip().lower() not in ("buy", "sell"):
            raise ReplayError(f"{where}: side must be buy or sell")
        points.append((t, to_ticks(row[1], scale, where)))
    return points, points[-1][0] + 1000


def load_series(path: Path, price_scale: int, speed: int = 1, loop: bool = True) -> Series:
    """Load a candles or trades CSV (see the module docstring) as a price path in ticks."""
    kind, rows = _rows(path)
    if kind == "candles":
        points, duration = _candle_points(path, rows, price_scale)
    else:
        points, duration = _trade_points(path, rows, price_scale)
    return Series(points, duration, interpolate=kind == "candles", speed=speed, loop=loop)
